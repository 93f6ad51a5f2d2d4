"""Write the metainfo a package installs: resources/' file, plus where the project is published.

    python packaging/linux/metainfo.py OUT [--homepage URL --screenshots URL]

The file in resources/ names no address: the project has none of its own yet, and an
address that only looks right is worse than none. A build that knows where the project is
published passes it (the release workflow: its repository's page, and the screenshots as
committed at the commit it builds); then the homepage and the screenshots below are added.
Without them the metainfo is still valid (appstreamcli validate), only without pictures.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "resources" / "linux" / "org.tallylight.Tallylight.metainfo.xml"

#: docs/screenshots/ file -> caption; the first is the default picture
SCREENSHOTS = {
    "tray-menu.png": "The tray menu while a session records",
    "review-window.png": "Reviewing a recorded session before sharing it",
    "start-dialog.png": "Starting a session",
}


def render(homepage: str = "", screenshots: str = "") -> str:
    """The metainfo text; with ``homepage`` and ``screenshots`` (a URL that serves the files
    of docs/screenshots/) their elements are added after the launchable."""
    text = SOURCE.read_text(encoding="utf-8")
    extra = []
    if homepage:
        extra.append(f'  <url type="homepage">{escape(homepage)}</url>')
    if screenshots:
        extra.append("  <screenshots>")
        for i, (name, caption) in enumerate(SCREENSHOTS.items()):
            extra.append('    <screenshot type="default">' if i == 0 else "    <screenshot>")
            extra.append(f"      <caption>{escape(caption)}</caption>")
            extra.append(f"      <image>{escape(screenshots.rstrip('/'))}/{name}</image>")
            extra.append("    </screenshot>")
        extra.append("  </screenshots>")
    if not extra:
        return text
    anchor = re.search(r"  <launchable [^\n]*\n", text)
    if anchor is None:
        raise SystemExit(f"{SOURCE}: no <launchable> to put the addresses after")
    return text[: anchor.end()] + "\n".join(extra) + "\n" + text[anchor.end() :]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--homepage", default="", help="the project's public page")
    parser.add_argument("--screenshots", default="", help="a URL serving docs/screenshots/")
    args = parser.parse_args()
    args.out.write_text(render(args.homepage, args.screenshots), encoding="utf-8")


if __name__ == "__main__":
    main()

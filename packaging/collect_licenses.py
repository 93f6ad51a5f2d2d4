"""Write resources/licenses/THIRD-PARTY-LICENSES.txt: every runtime dependency's licence.

Run it in the venv the app is built from after changing dependencies:
``python packaging/collect_licenses.py``. It follows ``tallylight``'s requirements (no
extras) through the installed distributions and copies each one's licence files. Qt for
Python ships no licence file in its wheels, so its LGPL-3.0 text (with the GPL-3.0 it
builds on) comes from the system's common licences. A frozen app also carries CPython,
whose licence is added. Qt is LGPL: the frozen app keeps it as separate shared
libraries, which a participant may replace.
"""

from __future__ import annotations

import re
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

OUT = Path(__file__).resolve().parents[1] / "resources" / "licenses" / "THIRD-PARTY-LICENSES.txt"
LICENCE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE)[^/]*$", re.I)
COMMON = Path("/usr/share/common-licenses")
#: distributions whose wheels carry no licence file: the standard texts of their licence
STANDARD_TEXTS = {"pyside6-essentials": ("LGPL-3", "GPL-3"), "shiboken6": ("LGPL-3", "GPL-3")}


def key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(root: str = "tallylight") -> list[metadata.Distribution]:
    seen: dict[str, metadata.Distribution] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if key(name) in seen:
            continue
        dist = metadata.distribution(name)
        seen[key(name)] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    seen.pop(key(root))
    return sorted(seen.values(), key=lambda d: key(d.metadata["Name"]))


def section(title: str, body: str) -> str:
    rule = "=" * 78
    return f"{rule}\n{title}\n{rule}\n\n{body.strip()}\n\n"


def main() -> int:
    parts = [
        "Third-party software in Tallylight, with the licence texts it is distributed under.\n"
        "Tallylight itself is under the MIT licence (see LICENSE).\n\n"
    ]
    python_licence = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    if python_licence.is_file():
        title = f"Python {sys.version.split()[0]} (in the frozen app)"
        parts.append(section(title, python_licence.read_text()))
    for dist in runtime_closure():
        name, version = dist.metadata["Name"], dist.version
        expression = dist.metadata.get("License-Expression") or dist.metadata.get("License") or ""
        head = f"{name} {version}" + (f" — {expression.splitlines()[0]}" if expression else "")
        files = [f for f in dist.files or [] if LICENCE_FILE.search(str(f)) and ".dist-info/" in str(f)]
        texts = [Path(str(dist.locate_file(f))).read_text(errors="replace") for f in files]
        texts += [(COMMON / t).read_text() for t in STANDARD_TEXTS.get(key(name), ())]
        if not texts:
            raise SystemExit(f"no licence text found for {name}; add it to STANDARD_TEXTS")
        parts.append(section(head, "\n\n".join(texts)))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(parts))
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

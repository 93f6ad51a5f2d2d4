"""Child process for the SIGKILL tests: cut a span out of a session, or compact it, then exit.

    python edit_child.py DATA_DIR SESSION_ID cut START_NS END_NS | compact

Prints "ready" before it starts changing anything, so the parent can time its kill.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tallylight.review.summary import list_summary
from tallylight.store import edit, vault
from tallylight.store.crypto import KdfParams  # noqa: F401  (the vault records its own parameters)


def main() -> None:
    data_dir, sid, what = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    v = vault.unlock("correct horse battery staple", data_dir)
    d = data_dir / "sessions" / sid
    print("ready", flush=True)
    if what == "cut":
        edit.cut_session(d, v, int(sys.argv[4]), int(sys.argv[5]), summarize=list_summary)
    else:
        edit.ensure_summary(d, v, summarize=list_summary)
    print("done", flush=True)


if __name__ == "__main__":
    main()

"""Coverage-guided fuzzing of one target of fuzz/targets.py with atheris (libFuzzer).

    python fuzz/run.py TARGET [SECONDS]

New inputs go to build/fuzz/TARGET (never into the repo); the seeds in
fuzz/corpus/TARGET are read, not written. A finding is saved as
build/fuzz/TARGET-crash-… and the run exits non-zero. An input that takes
longer than 20 s counts as a hang.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    name = sys.argv[1]
    seconds = sys.argv[2] if len(sys.argv) > 2 else "30"
    sys.path.insert(0, str(HERE))
    with atheris.instrument_imports(include=["tallylight", "targets"]):
        import targets
    if name not in targets.TARGETS:
        sys.exit(f"no fuzz target {name!r}; there are: {', '.join(targets.TARGETS)}")
    scratch = ROOT / "build" / "fuzz" / name
    scratch.mkdir(parents=True, exist_ok=True)
    args = [
        sys.argv[0],
        str(scratch),
        str(HERE / "corpus" / name),
        f"-max_total_time={seconds}",
        "-timeout=20",
        "-rss_limit_mb=3072",
        "-max_len=65536",
        f"-artifact_prefix={scratch}-",
        "-print_final_stats=1",
    ]
    atheris.Setup(args, targets.TARGETS[name])
    atheris.Fuzz()


if __name__ == "__main__":
    main()

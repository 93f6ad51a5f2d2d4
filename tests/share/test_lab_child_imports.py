"""The process that opens a bundle never loads pandas (0.3 s per bundle before), and pyarrow works."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from tallylight.lab import isolate
sys.meta_path.insert(0, isolate._WithoutPandas())
import pyarrow as pa
from tallylight.lab import dataset
assert pa.array(["a"]).to_pylist() == ["a"]
assert dataset.constant("x", 3).to_pylist() == ["x"] * 3
print("pandas" in sys.modules)
"""


def test_a_bundle_child_builds_arrow_arrays_without_loading_pandas() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"

"""The dataset's constant string columns (bundle, study, participant, session ids) built from buffers."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tallylight.lab import dataset


@given(st.text(max_size=40), st.integers(0, 300), st.integers(1, 64))
def test_a_constant_column_equals_the_repeated_value(value: str, n: int, chunk_bytes: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dataset, "_STRING_CHUNK", chunk_bytes)  # small chunks: the boundaries are exercised
        got = dataset.constant(value, n)
    assert got.type == pa.string()
    assert got.to_pylist() == [value] * n
    got.validate(full=True)

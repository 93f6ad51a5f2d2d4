"""Save bundle…: the participant's copy appears whole or not at all and never writes through
or over anything that is already at the chosen path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tallylight.errors import ShareError
from tallylight.share import outbox
from tallylight.share.bundle import Encrypted

BUNDLE_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def kept(tallylight_home: Path) -> outbox.Pending:
    enc = Encrypted(BUNDLE_ID, {}, b"age-encryption.org/v1\n" + bytes(range(256)) * 64)
    return outbox.put(enc, "study-1", ["s1"], None)


def test_copy_from_outbox_writes_the_whole_bundle(kept: outbox.Pending, tmp_path: Path) -> None:
    dest = tmp_path / "mine.age"
    outbox.copy_from_outbox(kept, dest)
    assert dest.read_bytes() == kept.path().read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["mine.age"]  # no temporary file left


@pytest.mark.parametrize("save", ["copy_from_outbox", "save_copy"])
def test_a_dangling_link_at_the_chosen_path_is_never_written_through(
    kept: outbox.Pending, tmp_path: Path, save: str
) -> None:
    elsewhere = tmp_path / "elsewhere" / "target.age"
    elsewhere.parent.mkdir()
    dest = tmp_path / "mine.age"
    dest.symlink_to(elsewhere)
    if save == "copy_from_outbox":
        with pytest.raises(ShareError, match="already exists"):
            outbox.copy_from_outbox(kept, dest)
    else:
        with pytest.raises(ShareError, match="already exists"):
            outbox.save_copy(kept.path().read_bytes(), dest)
    assert not elsewhere.exists()
    assert dest.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "mine.age"]

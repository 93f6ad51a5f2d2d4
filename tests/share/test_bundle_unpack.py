"""Unpacking a bundle's ZIP entries: the same bytes as zipfile reads, and every limit and damage
refused, with ISA-L's inflate (the lab extra) and with zlib's (where isal is not installed)."""

from __future__ import annotations

import io
import zipfile
import zlib
from types import ModuleType

import pytest
from hostile_zip import DEFLATED, STORED, Entry, entry, raw_zip, relist, unzip, zeros_deflated
from share_helpers import inputs

from tallylight.errors import BundleError
from tallylight.share import bundle

CSV = "sessions/s1/events.csv"


def _inflaters() -> list[ModuleType]:
    try:
        from isal import isal_zlib
    except ImportError:
        return [zlib]
    return [zlib, isal_zlib]


@pytest.fixture(params=_inflaters(), ids=lambda m: m.__name__)
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module: ModuleType = request.param
    monkeypatch.setattr(bundle, "_inflater", lambda: module)
    return module


def _files() -> dict[str, bytes]:
    return dict(unzip(bundle.build(inputs(["age1x"])).plaintext))


def test_the_lab_extra_brings_isal() -> None:
    """The fast inflate is what `pip install tallylight[lab]` gives (zlib stays the fallback)."""
    assert len(_inflaters()) == 2


def test_a_genuine_bundle_unpacks_to_what_zipfile_reads(inflater: ModuleType) -> None:
    built = bundle.build(inputs(["age1x"]))
    opened = bundle.open_plaintext(built.plaintext)
    with zipfile.ZipFile(io.BytesIO(built.plaintext)) as zf:
        assert opened.events["s1"] == zf.read(CSV)
        assert opened.codebook == zf.read("codebook.csv")
    assert bundle._inflater() is inflater


@pytest.mark.parametrize("method", [STORED, DEFLATED])
def test_entries_stored_or_deflated_by_another_writer_unpack(inflater: ModuleType, method: int) -> None:
    files = _files()
    opened = bundle.open_plaintext(raw_zip(entry(n, d, method) for n, d in files.items()))
    assert opened.events["s1"] == files[CSV]


def test_a_zip_bomb_is_refused_by_its_ratio(inflater: ModuleType) -> None:
    files = relist(_files())
    stored, crc = zeros_deflated(64 << 20)
    rest = [entry(n, d) for n, d in files.items() if n != CSV]
    with pytest.raises(BundleError, match="expands like a zip bomb"):
        bundle.open_plaintext(raw_zip([*rest, Entry(CSV, DEFLATED, stored, crc, 64 << 20)]))


def test_an_entry_past_its_limit_is_refused_though_the_bundle_fits(inflater: ModuleType) -> None:
    files = _files()
    big = bytes(range(256)) * 32  # 8 KiB (deflate barely shrinks it): past bundle.sig's 4 KiB
    archive = raw_zip(entry(n, d) for n, d in {**files, "bundle.sig": big}.items())
    with pytest.raises(BundleError, match=r"bundle\.sig in the bundle unpacks to more than"):
        bundle.open_plaintext(archive)


def test_more_than_the_whole_budget_is_refused(inflater: ModuleType) -> None:
    files = _files()
    with pytest.raises(BundleError, match="would unpack to more than"):
        bundle.open_plaintext(raw_zip(entry(n, d) for n, d in files.items()), max_unpacked=1000)


@pytest.mark.parametrize("claim", [100, 1 << 30])
def test_an_entry_whose_size_lies_is_damaged(inflater: ModuleType, claim: int) -> None:
    files = _files()
    rest = [entry(n, d) for n, d in files.items() if n != CSV]
    with pytest.raises(BundleError, match="damaged"):
        bundle.open_plaintext(raw_zip([*rest, entry(CSV, files[CSV], claim=claim)]))


def _damage(change: str) -> bytes:
    files = _files()
    rest = [entry(n, d) for n, d in files.items() if n != CSV]
    good = entry(CSV, files[CSV])
    stored = bytearray(good.stored)
    if change == "crc":
        return raw_zip([*rest, Entry(CSV, DEFLATED, good.stored, good.crc ^ 1, good.size)])
    if change == "flipped":
        stored[len(stored) // 2] ^= 0xFF
    if change == "cut short":
        del stored[len(stored) // 2 :]
    archive = raw_zip([*rest, Entry(CSV, DEFLATED, bytes(stored), good.crc, good.size)])
    if change == "local name":  # the local header names another file than the directory
        at = archive.index(CSV.encode())
        archive = archive[:at] + CSV.replace("s1", "s2").encode() + archive[at + len(CSV) :]
    if change == "local signature":
        at = archive.index(CSV.encode()) - 30
        archive = archive[:at] + b"PK\x09\x09" + archive[at + 4 :]
    return archive


@pytest.mark.parametrize("change", ["crc", "flipped", "cut short", "local name", "local signature"])
def test_a_damaged_entry_is_refused(inflater: ModuleType, change: str) -> None:
    with pytest.raises(BundleError, match="damaged"):
        bundle.open_plaintext(_damage(change))


def test_an_entry_the_archive_ends_inside_is_refused(inflater: ModuleType) -> None:
    files = _files()
    archive = bytearray(raw_zip(entry(n, d) for n, d in files.items()))
    # the directory claims a megabyte more stored bytes than the archive holds
    at = archive.index(CSV.encode(), archive.index(b"PK\x01\x02")) - 46
    assert archive[at : at + 4] == b"PK\x01\x02"
    size = int.from_bytes(archive[at + 20 : at + 24], "little") + (1 << 20)
    archive[at + 20 : at + 24] = size.to_bytes(4, "little")
    with pytest.raises(BundleError, match="damaged"):
        bundle.open_plaintext(bytes(archive))

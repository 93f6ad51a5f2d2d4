"""``tallylight-lab keygen`` and ``manifest new | sign | verify``, run as the console script."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest

from helpers import run_cli_in_process


def lab(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``tallylight-lab ARGS`` in this process (test_console_script_is_installed runs the script)."""
    return run_cli_in_process([str(a) for a in args], lab=True)


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "tallylight-lab"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "keygen" in result.stdout
    assert "manifest" in result.stdout


@pytest.fixture
def keydir(tmp_path: Path) -> Path:
    out = tmp_path / "keys"
    result = lab("keygen", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "age1" in result.stdout
    assert "fingerprint" in result.stdout.lower()
    return out


def test_keygen_private_files_are_0600_and_age_reads_the_identity(keydir: Path, tmp_path: Path) -> None:
    for name in ("identity.txt", "signing.key"):
        assert stat.S_IMODE(os.stat(keydir / name).st_mode) == 0o600
    recipient = (keydir / "recipient.txt").read_text().strip()
    assert recipient.startswith("age1")
    # Debian's age encrypts to the recipient and decrypts with the identity file
    plain = tmp_path / "p.txt"
    plain.write_text("hello researcher")
    enc = tmp_path / "p.age"
    subprocess.run(["age", "-r", recipient, "-o", str(enc), str(plain)], check=True, timeout=30)
    out = subprocess.run(
        ["age", "-d", "-i", str(keydir / "identity.txt"), str(enc)],
        capture_output=True,
        check=True,
        timeout=30,
    )
    assert out.stdout == b"hello researcher"
    # and pyrage decrypts with the identity line of the file
    line = next(
        x for x in (keydir / "identity.txt").read_text().splitlines() if x.startswith("AGE-SECRET-KEY-")
    )
    ident = pyrage.x25519.Identity.from_str(line)
    assert pyrage.decrypt(enc.read_bytes(), [ident]) == b"hello researcher"


def test_keygen_never_overwrites(keydir: Path) -> None:
    before = (keydir / "identity.txt").read_bytes()
    result = lab("keygen", "--out", keydir)
    assert result.returncode == 2
    assert "never overwritten" in result.stderr
    assert "Traceback" not in result.stderr
    assert (keydir / "identity.txt").read_bytes() == before


def _fill_in(path: Path) -> None:
    """What a researcher does: write the study's own text over every TODO."""
    from tallylight.study import template

    text = path.read_text()
    for dotted, (_example, what) in template.EXAMPLE_VALUES.items():
        own = "lab@uni.example" if dotted == "researcher.contact" else f"Our {what} ({dotted})"
        text = text.replace(f"{template.TODO}{what}", own)
    path.write_text(text)


def test_sign_refuses_template_and_example_texts_naming_each_field(keydir: Path, tmp_path: Path) -> None:
    from tallylight.study import template

    for extra in ((), ("--example",)):
        manifest_file = tmp_path / f"study{len(extra)}.toml"
        assert lab("manifest", "new", "--out", manifest_file, "--key", keydir, *extra).returncode == 0
        assert ("Dr. Jane Example" in manifest_file.read_text()) == bool(extra)  # only --example fills it
        result = lab("manifest", "sign", manifest_file, "--key", keydir)
        assert result.returncode == 8
        for field in template.EXAMPLE_VALUES:
            assert field in result.stderr
        assert "tallylight-signature" not in manifest_file.read_text()


def test_new_sign_verify_round_trip(keydir: Path, tmp_path: Path) -> None:
    manifest_file = tmp_path / "study.toml"
    assert lab("manifest", "new", "--out", manifest_file, "--key", keydir).returncode == 0
    _fill_in(manifest_file)
    unsigned = lab("manifest", "verify", manifest_file)
    assert unsigned.returncode == 8
    assert "not signed" in unsigned.stderr
    signed = lab("manifest", "sign", manifest_file, "--key", keydir)
    assert signed.returncode == 0, signed.stderr
    keygen_fp = (keydir / "signing.pub").read_text().split("fingerprint: ")[1].strip()
    verified = lab("manifest", "verify", manifest_file)
    assert verified.returncode == 0, verified.stderr
    assert f"Signer fingerprint: {keygen_fp}" in verified.stdout
    # tamper one byte: refused with a sentence, not a traceback
    raw = bytearray(manifest_file.read_bytes())
    raw[raw.index(b"Our the study's title")] ^= 0x01
    manifest_file.write_bytes(bytes(raw))
    bad = lab("manifest", "verify", manifest_file)
    assert bad.returncode == 8
    assert "changed after it was signed" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_sign_refuses_a_malformed_manifest_naming_the_field(keydir: Path, tmp_path: Path) -> None:
    manifest_file = tmp_path / "study.toml"
    assert lab("manifest", "new", "--out", manifest_file).returncode == 0  # no --key: placeholder recipient
    _fill_in(manifest_file)
    result = lab("manifest", "sign", manifest_file, "--key", keydir)
    assert result.returncode == 8
    assert "data.recipients[0]" in result.stderr
    assert "tallylight-signature" not in manifest_file.read_text()


def test_missing_files_are_sentences(tmp_path: Path) -> None:
    for args in (
        ("manifest", "verify", tmp_path / "none.toml"),
        ("manifest", "sign", tmp_path / "x", "--key", tmp_path),
    ):
        result = lab(*args)
        assert result.returncode == 2
        assert "does not exist" in result.stderr
        assert "Traceback" not in result.stderr


def test_unwritable_places_are_sentences(tmp_path: Path, keydir: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    for args in (
        ("keygen", "--out", a_file / "keys"),
        ("manifest", "new", "--out", a_file / "study.toml"),
        ("manifest", "new", "--out", tmp_path / "no" / "such" / "study.toml"),
    ):
        result = lab(*args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr

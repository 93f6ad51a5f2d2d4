"""resources/: the icon set, the Linux desktop entry and metainfo, the licence texts, and the
one lookup that finds them from a checkout and from an installed wheel."""

from __future__ import annotations

import ast
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import sources
from tallylight import resources

ROOT = Path(__file__).resolve().parents[1]
RES = ROOT / "resources"
LINUX = RES / "linux"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_every_runtime_file_resolves_from_the_checkout() -> None:
    assert resources.root() == RES
    for name in resources.RUNTIME_FILES:
        assert resources.path(name).is_file()


def test_the_code_asks_the_lookup_for_runtime_files_only() -> None:
    """Every ``resources.path(X)`` in src names one of RUNTIME_FILES (so the wheel test covers it)."""
    asked = []
    for py in sources.files(ROOT / "src"):
        for node in ast.walk(sources.tree(py)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "path"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "resources"
            ):
                arg = node.args[0]
                if isinstance(arg, ast.Name) and "in resources.RUNTIME_FILES" in sources.text(py):
                    continue  # a loop over all of them (the self-test)
                assert isinstance(arg, ast.Attribute), f"{py}: resources.path() with a literal"
                asked.append(getattr(resources, arg.attr))
    assert asked
    assert set(asked) <= set(resources.RUNTIME_FILES)


def test_a_missing_file_is_a_sentence_not_a_traceback() -> None:
    from tallylight.errors import ResourceMissing

    with pytest.raises(ResourceMissing, match="reinstall"):
        resources.path("icons/nothing-here.png")


def test_png_ico_and_icns_are_made_from_the_svg_at_their_sizes() -> None:
    icons = RES / "icons"
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        assert png_size((icons / "png" / f"tallylight-{size}.png").read_bytes()) == (size, size)
    ico = (icons / "tallylight.ico").read_bytes()
    _, kind, count = struct.unpack("<HHH", ico[:6])
    assert kind == 1
    assert count >= 6
    sizes = []
    for i in range(count):
        w, h, _, _, _, _, length, offset = struct.unpack("<BBBBHHII", ico[6 + 16 * i : 22 + 16 * i])
        assert png_size(ico[offset : offset + length]) == (w or 256, h or 256)
        sizes.append(w or 256)
    assert {16, 32, 48, 256} <= set(sizes)
    icns = (icons / "tallylight.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert struct.unpack(">I", icns[4:8])[0] == len(icns)
    pos, kinds = 8, {}
    while pos < len(icns):
        kind, length = icns[pos : pos + 4].decode(), struct.unpack(">I", icns[pos + 4 : pos + 8])[0]
        kinds[kind] = png_size(icns[pos + 8 : pos + length])[0]
        pos += length
    assert kinds == {"icp4": 16, "icp5": 32, "icp6": 64, "ic07": 128, "ic08": 256, "ic09": 512}


def test_desktop_entry_passes_desktop_file_validate() -> None:
    desktop = LINUX / "org.tallylight.Tallylight.desktop"
    result = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "error" not in result.stdout, result.stdout
    assert "Exec=tallylight\n" in desktop.read_text()
    assert "Icon=tallylight\n" in desktop.read_text()


def appstream_validate(metainfo: Path) -> None:
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(metainfo)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_names_no_address_the_project_does_not_have() -> None:
    """The project has no public address yet: resources/ claims none (and still validates)."""
    metainfo = LINUX / "org.tallylight.Tallylight.metainfo.xml"
    appstream_validate(metainfo)
    assert "://" not in metainfo.read_text()


def test_a_published_build_gets_the_homepage_and_screenshots(tmp_path: Path) -> None:
    """What the release workflow builds: the homepage and every screenshot at the given address."""
    out = tmp_path / "org.tallylight.Tallylight.metainfo.xml"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "linux" / "metainfo.py"),
            str(out),
            "--homepage",
            "https://example.org/tallylight",
            "--screenshots",
            "https://example.org/tallylight/raw/abc123/docs/screenshots/",
        ],
        check=True,
    )
    appstream_validate(out)
    text = out.read_text()
    assert '<url type="homepage">https://example.org/tallylight</url>' in text
    for shot in ("tray-menu.png", "review-window.png", "start-dialog.png"):
        assert f"<image>https://example.org/tallylight/raw/abc123/docs/screenshots/{shot}</image>" in text
        assert (ROOT / "docs" / "screenshots" / shot).is_file()
    assert text.count('<screenshot type="default">') == 1


def test_licence_texts_cover_every_runtime_dependency() -> None:
    text = (RES / "licenses" / "THIRD-PARTY-LICENSES.txt").read_text()
    for name in ("PySide6_Essentials", "shiboken6", "pynput", "cryptography", "pyrage", "pyqtgraph", "numpy"):
        assert f"\n{name} " in text, name
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in text
    assert "Version 3" in text


@pytest.mark.slow
def test_every_runtime_file_resolves_in_a_wheel_install(tmp_path: Path) -> None:
    """Build the wheel, unpack it as pip installs it, and look every runtime file up from there."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        timeout=600,
    )
    (wheel,) = (tmp_path / "dist").glob("tallylight-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
    )
    probe = (
        "import tallylight, tallylight.resources as r\n"
        "print(tallylight.__file__)\n"
        "print(r.root())\n"
        "for n in r.RUNTIME_FILES: print(r.path(n))\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r})\n" + probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.splitlines()
    assert out[0].startswith(str(target))
    assert out[1] == str(target / "tallylight" / "_resources")
    assert len(out) == 2 + len(resources.RUNTIME_FILES)
    assert all(Path(line).is_file() and line.startswith(str(target)) for line in out[2:])

"""Study fixtures: a vault with cheap Argon2id parameters, a manifest file, a joined study."""

from __future__ import annotations

from pathlib import Path

import pytest
from study_helpers import PASS, write_signed

from tallylight.store import vault
from tallylight.store.crypto import KdfParams


@pytest.fixture
def data_dir(tallylight_home: Path) -> Path:
    return tallylight_home / "data"


@pytest.fixture
def unlocked(data_dir: Path) -> vault.UnlockedVault:
    return vault.create_vault(PASS, data_dir, params=KdfParams(iterations=1, lanes=1, memory_kib=64))


@pytest.fixture
def manifest_file(tmp_path: Path) -> Path:
    return write_signed(tmp_path / "study.toml")

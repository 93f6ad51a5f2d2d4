"""Store fixtures: a vault with cheap Argon2id parameters (the real ones in test_vault)."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import CHEAP, PASS

from tallylight.store import vault


@pytest.fixture
def data_dir(tallylight_home: Path) -> Path:
    return tallylight_home / "data"


@pytest.fixture
def unlocked(data_dir: Path) -> vault.UnlockedVault:
    return vault.create_vault(PASS, data_dir, params=CHEAP)

"""Review fixtures: a vault with cheap Argon2id parameters, and the scripted session of test_summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.store_helpers import CHEAP, PASS
from tallylight.store import vault


@pytest.fixture
def data_dir(tallylight_home: Path) -> Path:
    return tallylight_home / "data"


@pytest.fixture
def unlocked(data_dir: Path) -> vault.UnlockedVault:
    return vault.create_vault(PASS, data_dir, params=CHEAP)

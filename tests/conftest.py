from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from monitor import store
from monitor.config import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpora" / "feedparser"


@pytest.fixture
def settings() -> Settings:
    """Settings for tests: quick retries and timeouts."""
    return replace(Settings(), retry_backoff=0.0, timeout=2.0, connect_timeout=2.0,
                   max_retry_after=5.0)


@pytest.fixture
def memdb():
    return store.memory_db()

"""Shared test fixtures.

Tests that need something a user's machine may lack (PostgreSQL, the shared data folder, Chromium)
are skipped with the reason shown, unless PAPERWIRE_TEST_REQUIRE_SERVICES=1 (CI), when they fail.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def require(condition: bool, reason: str) -> None:
    """Skip (on a developer machine) or fail (in CI) when a needed service or file is missing."""
    if condition:
        return
    if os.environ.get("PAPERWIRE_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required for this test but missing: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder beside the repository (or PAPERWIRE_SHARED_DATA)."""
    path = Path(os.environ.get("PAPERWIRE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    require(path.is_dir(), f"shared data folder not found at {path}")
    return path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES

"""Fixtures of the daily-loop tests: the recorded arXiv / Hugging Face server, the real embedding
model exported once per session, and contexts configured to harvest from the server."""
from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, require
from tests.daily.recorded import SAMPLE, RecordedServer, read_arxiv


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """A folder holding the ONNX export of the packaged MiniLM (exported once, ~12 s; reused from the
    repository's ./data/models or PAPERWIRE_TEST_MODELS_DIR when an export of these weights is there)."""
    from paperwire.index.embedder import export_onnx, onnx_path

    folder = tmp_path_factory.mktemp("models")
    for candidate in (os.environ.get("PAPERWIRE_TEST_MODELS_DIR"), REPO_ROOT / "data" / "models"):
        if candidate and onnx_path(Path(candidate)).exists():
            onnx_path(folder).symlink_to(onnx_path(Path(candidate)))
            return folder
    export_onnx(folder)
    return folder


@pytest.fixture
def data_dir(tmp_path, models_dir) -> Path:
    """A data folder whose models/ is the session's exported model."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "models").symlink_to(models_dir, target_is_directory=True)
    return folder


@pytest.fixture(scope="session")
def arxiv_papers() -> list[dict]:
    """The 2,000-paper sample of real arXiv metadata."""
    require(SAMPLE.exists(), f"shared data not found at {SAMPLE}")
    return read_arxiv(2000)


@pytest.fixture
def recorded():
    """The recorded arXiv OAI-PMH and Hugging Face server on localhost (empty until a test adds days)."""
    with RecordedServer() as server:
        yield server


# a Wednesday: its announcement is Wednesday's listing; "now" is that evening, after the harvest time
DAY = date(2026, 6, 3)
NOW = datetime(2026, 6, 4, 1, 0)


@pytest.fixture
def daily_settings(db_url, data_dir, recorded):
    """A factory of Settings harvesting from ``recorded`` into ``db_url`` (overrides as keywords)."""
    from paperwire.settings import Settings

    def make(**overrides):
        fields = {"database_url": db_url, "data_dir": data_dir, "harvest_sources": ["arxiv", "hf"],
                  "arxiv_sets": ["cs"], "harvest_backfill_days": 2, "hf_days": 1, **recorded.settings()}  # fmt: skip
        return Settings(**{**fields, **overrides})

    return make


@pytest.fixture
def daily_pw(store, daily_settings):
    """The context of ``daily_settings()`` on the test's store (sqlite and postgres)."""
    from paperwire.context import Paperwire

    contexts = []

    def make(**overrides):
        context = Paperwire(daily_settings(**overrides), store)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()

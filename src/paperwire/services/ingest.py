"""Ingest use cases shared by the CLI, the web app and jobs: files, the bundled demo corpus and the
network sources. Each returns :class:`IngestReport` objects; none prints anything."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

from paperwire.ingest import IngestReport, ingest_items
from paperwire.settings import Settings
from paperwire.sources.files import read_file
from paperwire.store import Store

Progress = Callable[[int], None]

DEMO_FILES = ("demo_arxiv.jsonl.gz", "hf_daily_papers.json.gz")


def ingest_path(store: Store, path: str | Path, *, batch_size: int = 1000, progress: Progress | None = None,
                source: str = "file") -> IngestReport:  # fmt: skip
    """Ingest one file (JSONL[.gz], JSON, CSV or BibTeX). Raises FileFormatError for an unreadable file."""
    path = Path(path)
    items = read_file(path)  # validates the path and format before a run is logged
    first = next(items, None)
    stream = _chain(first, items) if first is not None else iter(())
    return ingest_items(store, stream, source=source, target=str(path.resolve()), batch_size=batch_size,
                        progress=progress)  # fmt: skip


def demo_paths() -> list[Path]:
    base = resources.files("paperwire") / "data"
    return [Path(str(base / name)) for name in DEMO_FILES]


def ingest_demo(store: Store, *, batch_size: int = 1000, progress: Progress | None = None) -> list[IngestReport]:
    """Load the bundled corpus: recent arXiv cs papers and Hugging Face daily papers with upvotes."""
    return [ingest_path(store, path, batch_size=batch_size, progress=progress, source="demo") for path in demo_paths()]


def store_is_empty(store: Store) -> bool:
    return store.stats()["papers"] == 0


def open_store(settings: Settings, *, upgrade: bool = False) -> Store:
    return Store.open(settings.resolved_database_url, upgrade=upgrade)


def _chain(first, rest: Iterable):
    yield first
    yield from rest

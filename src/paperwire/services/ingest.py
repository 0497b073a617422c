"""Ingest use cases shared by the CLI, the web app and jobs: files, the bundled demo corpus and the
network sources. Each returns :class:`IngestReport` objects; none prints anything."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from importlib import resources
from pathlib import Path

from paperwire.ingest import IngestReport, Ingestor, ingest_items
from paperwire.ingest.pipeline import ingest_file
from paperwire.settings import Settings
from paperwire.sources.files import read_file
from paperwire.store import Store

Progress = Callable[[int], None]

DEMO_FILES = ("demo_arxiv.jsonl.gz", "hf_daily_papers.json.gz")


PROCESS_THRESHOLD = 4_000_000  # bytes: larger files are parsed in a child process, on the other core


def ingest_path(store: Store, path: str | Path, *, batch_size: int = 2000, progress: Progress | None = None,
                source: str = "file") -> IngestReport:  # fmt: skip
    """Ingest one file (JSONL[.gz], JSON, CSV or BibTeX). Raises FileFormatError for an unreadable file."""
    path = Path(path)
    read_file(path)  # checks the path and format now, before a run is logged
    return ingest_file(store, str(path), source=source, target=str(path.resolve()), batch_size=batch_size,
                       progress=progress, in_process=path.stat().st_size > PROCESS_THRESHOLD)  # fmt: skip


def demo_paths() -> list[Path]:
    base = resources.files("paperwire") / "data"
    return [Path(str(base / name)) for name in DEMO_FILES]


def ingest_demo(store: Store, *, batch_size: int = 2000, progress: Progress | None = None) -> list[IngestReport]:
    """Load the bundled corpus: recent arXiv cs papers and Hugging Face daily papers with upvotes."""
    return [ingest_path(store, path, batch_size=batch_size, progress=progress, source="demo") for path in demo_paths()]


def store_is_empty(store: Store) -> bool:
    return store.stats()["papers"] == 0


def open_store(settings: Settings, *, upgrade: bool = False) -> Store:
    return Store.open(settings.resolved_database_url, upgrade=upgrade)


def _chain(first, rest: Iterable):
    yield first
    yield from rest


# -- network sources ---------------------------------------------------------------------------------
def ingest_arxiv(store: Store, settings: Settings, categories: list[str], since: date, until: date | None = None, *,
                 progress: Progress | None = None, min_interval: float = 3.0) -> IngestReport:  # fmt: skip
    """New papers of ``categories`` submitted between ``since`` and ``until`` from the arXiv query API
    (at most one request every ``min_interval`` seconds, as arXiv asks)."""
    from paperwire.sources.arxiv_api import ArxivApiSource

    target = f"{','.join(categories)} {since.isoformat()}..{(until or '')}"
    with ArxivApiSource(base_url=settings.arxiv_api_url, min_interval=min_interval) as source:
        items = (item for category in categories for item in source.fetch(category, since, until))
        return ingest_items(store, items, source="arxiv", target=target, batch_size=settings.ingest_batch_size,
                            progress=progress)  # fmt: skip


def ingest_oai(store: Store, settings: Settings, from_: date | None = None, until: date | None = None, *,
               set_spec: str = "cs", progress: Progress | None = None, sleep=None) -> IngestReport:  # fmt: skip
    """Incremental OAI-PMH harvest. Without ``from_`` it continues where the last harvest of this
    endpoint and set stopped: from a killed run's resumption token, else from the newest datestamp
    seen. The cursor is stored with each committed page."""
    import time

    from paperwire.sources.arxiv_oai import ArxivOaiSource
    from paperwire.sources.errors import ResumptionTokenExpired

    target = f"{settings.arxiv_oai_url} set={set_spec}"
    previous = store.runs(source="oai", target=target, limit=1)
    cursor = json.loads(previous[0].cursor) if previous and previous[0].cursor else {}
    token = None
    if from_ is None:
        if previous and previous[0].status in ("running", "interrupted", "failed") and cursor.get("token"):
            token = cursor["token"]
            from_ = _date_or_none(cursor.get("from"))
        else:
            from_ = _date_or_none(cursor.get("datestamp"))
    ingestor = Ingestor(store, source="oai", target=target, batch_size=settings.ingest_batch_size, progress=progress)
    newest = cursor.get("datestamp")
    try:
        with ArxivOaiSource(base_url=settings.arxiv_oai_url, set_spec=set_spec, sleep=sleep or time.sleep) as source:
            try:
                pages = iter(source.harvest(from_, until, resumption_token=token))
                first = next(pages, None)
            except ResumptionTokenExpired:  # the server forgot the token: start the window again
                token = None
                pages = iter(source.harvest(from_, until))
                first = next(pages, None)
            for page in _chain(first, pages) if first is not None else ():
                newest = max(filter(None, (newest, page.max_datestamp)), default=None)
                state = {"from": from_.isoformat() if from_ else None, "token": page.resumption_token, "datestamp": newest}
                ingestor.feed(page.items, cursor=json.dumps(state))
    except BaseException:
        ingestor.finish("failed")
        raise
    return ingestor.finish()


def ingest_hf_daily(store: Store, settings: Settings, days: list[date], *,
                    progress: Progress | None = None) -> IngestReport:  # fmt: skip
    """Hugging Face daily papers of ``days`` (upvotes, organisation, submitter, code links)."""
    from paperwire.sources.hf_daily import HfDailySource

    target = f"{settings.hf_endpoint} {days[0].isoformat()}..{days[-1].isoformat()}"
    with HfDailySource(endpoint=settings.hf_endpoint) as source:
        items = (item for day in days for item in source.fetch(day))
        return ingest_items(store, items, source="hf", target=target, batch_size=settings.ingest_batch_size,
                            progress=progress)  # fmt: skip


def _date_or_none(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None

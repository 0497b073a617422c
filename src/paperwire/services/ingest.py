"""Ingest use cases shared by the CLI, the web app and jobs: files, the bundled demo corpus and the
network sources. Each returns :class:`IngestReport` objects; none prints anything."""
from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from importlib import resources
from pathlib import Path

from paperwire.ingest import IngestReport, Ingestor, ingest_items
from paperwire.ingest.pipeline import ingest_file
from paperwire.settings import Settings
from paperwire.sources.files import read_file
from paperwire.sources.records import PaperRecord
from paperwire.store import Store

Progress = Callable[[int], None]

DEMO_FILES = ("demo_arxiv.jsonl.gz", "hf_daily_papers.json.gz")


PROCESS_THRESHOLD = 4_000_000  # bytes: larger files are parsed in a child process, on the other core


def ingest_path(store: Store, path: str | Path, *, batch_size: int = 2000, progress: Progress | None = None,
                source: str = "file", parallel: bool = False) -> IngestReport:  # fmt: skip
    """Ingest one file (JSONL[.gz], JSON, CSV or BibTeX). Raises FileFormatError for an unreadable file.

    ``parallel`` parses a large file in a child process (for programs started from a file, like the
    CLI: the child re-imports the main module)."""
    path = Path(path)
    check_path(path)
    in_process = parallel and path.stat().st_size > PROCESS_THRESHOLD
    return ingest_file(store, str(path), source=source, target=str(path.resolve()), batch_size=batch_size,
                       progress=progress, in_process=in_process)  # fmt: skip


def check_path(path: str | Path) -> None:
    """Raise FileFormatError now for a missing, unreadable or unsupported file (before any run starts)."""
    read_file(path).close()


def demo_paths() -> list[Path]:
    base = resources.files("paperwire") / "data"
    return [Path(str(base / name)) for name in DEMO_FILES]


def ingest_demo(store: Store, *, batch_size: int = 2000, progress: Progress | None = None,
                parallel: bool = False) -> list[IngestReport]:  # fmt: skip
    """Load the bundled corpus: recent arXiv cs papers and Hugging Face daily papers with upvotes."""
    return [ingest_path(store, path, batch_size=batch_size, progress=progress, source="demo", parallel=parallel)
            for path in demo_paths()]  # fmt: skip


def store_is_empty(store: Store) -> bool:
    return store.stats()["papers"] == 0


def open_store(settings: Settings, *, upgrade: bool = False) -> Store:
    return Store.open(settings.resolved_database_url, upgrade=upgrade)


def _pages(harvest: Iterable) -> Iterable:
    """Start a harvest: the first request happens here, so an expired token is seen at once."""
    pages = iter(harvest)
    first = next(pages, None)
    return () if first is None else itertools.chain([first], pages)


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
               set_spec: str = "cs", progress: Progress | None = None, sleep=None, first_from: date | None = None,
               categories: Sequence[str] = (), max_retries: int = 5) -> IngestReport:  # fmt: skip
    """Incremental OAI-PMH harvest. Without ``from_`` it continues where the last harvest of this
    endpoint and set stopped: from a killed run's resumption token, else from the newest datestamp
    seen, else (a first harvest) from ``first_from``. The cursor is stored with each committed page.
    With ``categories``, records in none of them are dropped (and not counted). Each record is marked
    with the set and categories harvested, from which ingest tells new papers from cross-lists."""
    import time

    from paperwire.sources.arxiv_oai import ArxivOaiSource
    from paperwire.sources.errors import ResumptionTokenExpired

    target = f"{settings.arxiv_oai_url} set={set_spec}"
    wanted = sorted(set(categories))
    previous = store.last_run_with_cursor(source="oai", target=target)
    cursor = json.loads(previous.cursor) if previous else {}
    token = None
    if from_ is None:
        if previous and previous.status in ("running", "interrupted", "failed") and cursor.get("token"):
            token = cursor["token"]
            from_ = _date_or_none(cursor.get("from"))
        else:
            from_ = _date_or_none(cursor.get("datestamp")) or (None if previous else first_from)
    newest = cursor.get("datestamp")
    with (Ingestor(store, source="oai", target=target, batch_size=settings.ingest_batch_size, progress=progress)
          as ingestor,
          ArxivOaiSource(base_url=settings.arxiv_oai_url, set_spec=set_spec, sleep=sleep or time.sleep,
                         max_retries=max_retries) as source):  # fmt: skip
        try:
            pages = _pages(source.harvest(from_, until, resumption_token=token))
        except ResumptionTokenExpired:  # the server forgot the token: harvest the window again
            pages = _pages(source.harvest(from_, until))
        for page in pages:
            newest = max(filter(None, (newest, page.max_datestamp)), default=None)
            state = {"from": from_.isoformat() if from_ else None, "token": page.resumption_token, "datestamp": newest}
            items = [item for item in page.items if not isinstance(item, PaperRecord) or _listed(item, set_spec, wanted)]
            ingestor.feed(items, cursor=json.dumps(state))
    return ingestor.report


def _listed(record: PaperRecord, set_spec: str, wanted: list[str]) -> bool:
    """Mark ``record`` with what was harvested; False when the category filter drops it."""
    if wanted:
        found = record.categories if isinstance(record.categories, list) else str(record.categories or "").split()
        if not set(wanted).intersection(found):
            return False
        record.extra["listed_for"] = wanted
    record.extra["listed_in"] = set_spec
    return True


def ingest_hf_daily(store: Store, settings: Settings, days: list[date], *, progress: Progress | None = None,
                    sleep=None, max_retries: int = 4) -> IngestReport:  # fmt: skip
    """Hugging Face daily papers of ``days`` (upvotes, organisation, submitter, code links)."""
    import time

    from paperwire.sources.hf_daily import HfDailySource

    target = f"{settings.hf_endpoint} {days[0].isoformat()}..{days[-1].isoformat()}"
    with HfDailySource(endpoint=settings.hf_endpoint, sleep=sleep or time.sleep, max_retries=max_retries) as source:
        items = (item for day in days for item in source.fetch(day))
        return ingest_items(store, items, source="hf", target=target, batch_size=settings.ingest_batch_size,
                            progress=progress)  # fmt: skip


def _date_or_none(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None

"""The daily harvest: fetch what arXiv announced and what Hugging Face lists, store it, index it.

``harvest(pw)`` is one full cycle, used alike by the schedule in ``paperwire serve`` (``jobs.harvest``),
by ``paperwire harvest`` (cron, the README) and by the tests. For each source in
``PAPERWIRE_HARVEST_SOURCES`` it claims the source in the ``harvests`` table (so two servers never
fetch the same thing at once), fetches, and records the outcome there: the last success, the papers
added, or the error and how many attempts in a row failed. A source that fails (no network) costs
nothing else: the other source still runs and the stored papers keep being served. New papers are
then indexed (``services.indexing``).

- **arxiv**: OAI-PMH ``ListRecords`` for each set of ``PAPERWIRE_ARXIV_SETS``, incremental from the
  cursor stored with the last page; a first harvest reaches back ``PAPERWIRE_HARVEST_BACKFILL_DAYS``.
  ``PAPERWIRE_ARXIV_CATEGORIES`` narrows it to papers listed in those categories.
- **hf**: Hugging Face daily papers of today and the ``PAPERWIRE_HF_DAYS`` days before, which also
  refreshes the upvotes, comment counts and stars of papers already stored.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from paperwire.context import Paperwire
from paperwire.ingest import IngestReport
from paperwire.services import ingest as ingest_svc
from paperwire.services.indexing import IndexReport, index_new
from paperwire.store import harvests

log = logging.getLogger(__name__)

SOURCES = ("arxiv", "hf")
RETRIES = 2  # HTTP retries inside one attempt; the schedule retries failed attempts with backoff


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class SourceRun:
    source: str
    status: str  # ok, failed, skipped
    added: int = 0
    updated: int = 0
    seen: int = 0
    failed: int = 0  # records that could not be read or stored
    error: str | None = None
    reason: str | None = None  # why it was skipped
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"source": self.source, "status": self.status, "added": self.added, "updated": self.updated,
                "seen": self.seen, "failed": self.failed, "error": self.error, "reason": self.reason,
                "seconds": round(self.seconds, 2)}  # fmt: skip


@dataclass
class HarvestReport:
    runs: list[SourceRun] = field(default_factory=list)
    index: IndexReport | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(run.status != "failed" for run in self.runs)

    @property
    def added(self) -> int:
        return sum(run.added for run in self.runs)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "runs": [run.as_dict() for run in self.runs],
                "index": self.index.as_dict() if self.index else None, "seconds": round(self.seconds, 2)}  # fmt: skip


def harvest(pw: Paperwire, *, sources: Iterable[str] | None = None, now: datetime | None = None,
            index: bool = True, fresh_within: timedelta | None = None, retries: int = RETRIES,
            sleep: Callable[[float], None] | None = None) -> HarvestReport:  # fmt: skip
    """One harvest cycle (see the module docstring). ``sources`` defaults to the settings' list;
    ``now`` is the clock (UTC, naive); a source whose last success is within ``fresh_within`` is
    skipped (the schedule uses it so that several servers harvest once); ``index`` embeds and indexes
    what arrived."""
    started = time.monotonic()
    now = now or utcnow()
    report = HarvestReport()
    chosen = list(pw.settings.harvest_sources if sources is None else sources)
    known = harvests.states(pw.store)
    for source in chosen:
        if source not in SOURCES:
            raise ValueError(f"unknown harvest source {source!r} (use {', '.join(SOURCES)})")
        state = known.get(source)
        if fresh_within is not None and state and state.last_success_at and now - state.last_success_at < fresh_within:
            report.runs.append(SourceRun(source, "skipped", reason="harvested recently"))
            continue
        if not harvests.claim(pw.store, source, now):
            report.runs.append(SourceRun(source, "skipped", reason="another harvest of this source is running"))
            continue
        report.runs.append(_run(pw, source, now, retries=retries, sleep=sleep))
    try:
        if index and any(run.added or run.updated for run in report.runs):
            report.index = index_new(pw)
    finally:  # a source counts as harvested once its papers are indexed (the digest waits for that)
        for run in report.runs:
            if run.status == "ok":
                harvests.succeed(pw.store, run.source, now, added=run.added, updated=run.updated)
    report.seconds = time.monotonic() - started
    return report


def running(pw: Paperwire, now: datetime | None = None) -> list[str]:
    """The sources being harvested (or their papers indexed) right now, by any process: the digest
    waits for them, so a day's digest is built after that day's harvest."""
    now = now or utcnow()
    return [state.source for state in harvests.states(pw.store).values()
            if state.running_since is not None and now - state.running_since < harvests.LEASE]  # fmt: skip


def _run(pw: Paperwire, source: str, now: datetime, *, retries: int, sleep) -> SourceRun:
    started = time.monotonic()
    run = SourceRun(source, "ok")
    try:
        reports = _fetch_arxiv(pw, now, retries, sleep) if source == "arxiv" else [_fetch_hf(pw, now, retries, sleep)]
    except Exception as err:  # noqa: BLE001 - no network, a broken endpoint: recorded, shown, retried later
        run.status, run.error = "failed", str(err) or type(err).__name__
        run.seconds = time.monotonic() - started
        harvests.fail(pw.store, source, now, run.error)
        log.warning("harvest of %s failed: %s", source, run.error)
        return run
    for one in reports:
        run.added += one.added
        run.updated += one.updated
        run.seen += one.seen
        run.failed += one.failed
    run.seconds = time.monotonic() - started
    log.info("harvest of %s: %d new, %d updated (%.1f s)", source, run.added, run.updated, run.seconds)
    return run


def _fetch_arxiv(pw: Paperwire, now: datetime, retries: int, sleep) -> list[IngestReport]:
    settings = pw.settings
    first_from = now.date() - timedelta(days=settings.harvest_backfill_days)
    return [ingest_svc.ingest_oai(pw.store, settings, set_spec=set_spec, first_from=first_from,
                                  categories=settings.arxiv_categories, max_retries=retries, sleep=sleep)
            for set_spec in settings.arxiv_sets]  # fmt: skip


def _fetch_hf(pw: Paperwire, now: datetime, retries: int, sleep) -> IngestReport:
    today = now.date()
    days = [today - timedelta(days=back) for back in range(pw.settings.hf_days, -1, -1)]
    return ingest_svc.ingest_hf_daily(pw.store, pw.settings, days, max_retries=retries, sleep=sleep)


# -- the schedule (run by jobs.harvest in `paperwire serve`; shown by `paperwire status`) ------------
EASTERN = "America/New_York"
ANNOUNCE_DAYS = "sun,mon,tue,wed,thu"
FIRST_RETRY = timedelta(minutes=5)
MAX_RETRY = timedelta(hours=2)
FRESH = timedelta(minutes=10)  # a source harvested this recently (by any server) is not harvested again


def backoff(failures: int) -> timedelta:
    """The wait before retrying a source that failed ``failures`` times in a row."""
    return min(FIRST_RETRY * 2 ** max(0, failures - 1), MAX_RETRY)


def triggers(settings) -> dict[str, list]:
    """The regular triggers of each configured source."""
    out: dict[str, list] = {}
    if "arxiv" in settings.harvest_sources:
        out["arxiv"] = [CronTrigger(day_of_week=ANNOUNCE_DAYS, hour=int(at.split(":")[0]), minute=int(at.split(":")[1]),
                                    timezone=EASTERN) for at in settings.arxiv_harvest_times]  # fmt: skip
    if "hf" in settings.harvest_sources:
        out["hf"] = [IntervalTrigger(hours=settings.hf_harvest_every_hours, timezone="UTC")]
    return out


def next_runs(settings, now: datetime | None = None) -> dict[str, datetime | None]:
    """When each source's next regular harvest is due (UTC, naive): for ``paperwire status``."""
    now_aware = (now or datetime.now(timezone.utc).replace(tzinfo=None)).replace(tzinfo=timezone.utc)
    out = {}
    for source, found in triggers(settings).items():
        times = [t.get_next_fire_time(None, now_aware) for t in found]
        times = [t.astimezone(timezone.utc).replace(tzinfo=None) for t in times if t is not None]
        out[source] = min(times) if times else None
    return out


def due_at_startup(pw: Paperwire, now: datetime | None = None) -> list[str]:
    """The configured sources whose last success is older than a day, or that never succeeded."""
    now = now or utcnow()
    known = harvests.states(pw.store)
    due = []
    for source in pw.settings.harvest_sources:
        state = known.get(source)
        if state is None or state.last_success_at is None or now - state.last_success_at > timedelta(days=1):
            due.append(source)
    return due



def status(pw: Paperwire, now: datetime | None = None, *, backlog: bool = True) -> dict:
    """Freshness you can see: per source the last success and attempt, the papers it added, the last
    error, whether it is failing for more than a day (``stale``) and the next harvest; the newest
    listing days, the embedding backlog, and whether only the bundled sample corpus is shown."""
    from paperwire.services.indexing import backlog as embedding_backlog

    now = now or utcnow()
    settings = pw.settings
    known = harvests.states(pw.store)
    regular = next_runs(settings, now)
    sources = []
    for source in SOURCES:
        enabled = source in settings.harvest_sources
        state = known.get(source) or harvests.HarvestState(source)
        upcoming = regular.get(source)
        if source == "hf" and enabled and state.last_success_at:
            upcoming = max(now, state.last_success_at + timedelta(hours=settings.hf_harvest_every_hours))
        if enabled and state.failures and state.last_error_at:
            retry = max(now, state.last_error_at + backoff(state.failures))
            upcoming = min(filter(None, (upcoming, retry)))
        never = state.last_success_at is None
        stale = enabled and state.failures > 0 and (never or now - state.last_success_at > timedelta(days=1))
        sources.append({**state.as_dict(), "enabled": enabled, "stale": stale,
                        "next": upcoming.isoformat(timespec="seconds") + "Z" if enabled and upcoming else None})  # fmt: skip
    corpus = harvests.freshness(pw.store)
    live = any(s["last_success"] for s in sources)
    return {
        "now": now.isoformat(timespec="seconds") + "Z",
        "sources": sources,
        "papers": corpus["papers"],
        "newest_listing": corpus["newest_listing"].isoformat() if corpus["newest_listing"] else None,
        "newest_hf_day": corpus["newest_hf_day"].isoformat() if corpus["newest_hf_day"] else None,
        "bundled_only": not live,
        "bundled_span": [d.date().isoformat() for d in (corpus["bundled_first"], corpus["bundled_last"]) if d],
        "last_update": max(filter(None, (s["last_success"] for s in sources)), default=None),
        "embedding_backlog": embedding_backlog(pw) if backlog else None,
    }

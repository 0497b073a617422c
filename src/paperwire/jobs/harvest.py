"""The harvest schedule inside ``paperwire serve`` (APScheduler, like the digest's).

- **arxiv** on the evenings arXiv announces (Sunday to Thursday; announcements go out at 20:00 US
  Eastern), at each time of ``PAPERWIRE_ARXIV_HARVEST_TIMES`` (Eastern).
- **hf** every ``PAPERWIRE_HF_HARVEST_EVERY_HOURS``.
- **At start-up**, a few seconds after the server listens, every source whose last success is older
  than a day (or that never succeeded).
- **After a failure** (no network, a broken endpoint) the source is tried again with backoff: 5 minutes,
  then doubling up to 2 hours, until it succeeds or its next regular time comes.

Each run is ``services.harvest.harvest`` for one source. Several servers may run this schedule: the
``harvests`` table lets one of them claim a source at a time, and a source harvested in the last
minutes is skipped, so they harvest once between them.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from paperwire.context import Paperwire
from paperwire.services.harvest import FRESH, backoff, due_at_startup, harvest, triggers
from paperwire.store import harvests

log = logging.getLogger(__name__)

STARTUP_DELAY = timedelta(seconds=5)


class HarvestScheduler:
    """Runs the harvest schedule of one context in background threads; ``stop()`` ends it."""

    def __init__(self, pw: Paperwire):
        self.pw = pw
        self._apscheduler = BackgroundScheduler(timezone="UTC", daemon=True)
        self._lock = threading.Lock()
        self.runs = 0

    def run(self, source: str) -> None:
        """One scheduled harvest of ``source``; on failure, a retry after the backoff."""
        try:
            with self._lock:  # one source at a time: the indexing after each must not overlap
                report = harvest(self.pw, sources=[source], fresh_within=FRESH, now=self.pw.clock())
        except Exception:  # noqa: BLE001 - the schedule must survive (database down...)
            log.exception("harvest of %s could not run", source)
            self._retry(source, 1)
            return
        self.runs += 1
        for run in report.runs:
            if run.status == "failed":
                failures = harvests.states(self.pw.store).get(source)
                self._retry(source, failures.failures if failures else 1)

    def _retry(self, source: str, failures: int) -> None:
        wait = backoff(failures)
        log.warning("harvest of %s: next attempt in %d min", source, wait.total_seconds() // 60)
        when = datetime.now(timezone.utc) + wait
        self._apscheduler.add_job(self.run, DateTrigger(when), args=[source], id=f"harvest-retry-{source}",
                                  replace_existing=True, misfire_grace_time=3600)  # fmt: skip

    def start(self) -> "HarvestScheduler":
        for source, found in triggers(self.pw.settings).items():
            for n, trigger in enumerate(found):
                self._apscheduler.add_job(self.run, trigger, args=[source], id=f"harvest-{source}-{n}",
                                          max_instances=1, coalesce=True, misfire_grace_time=3600)  # fmt: skip
        first = datetime.now(timezone.utc) + STARTUP_DELAY
        for source in due_at_startup(self.pw, self.pw.clock()):
            self._apscheduler.add_job(self.run, DateTrigger(first), args=[source], id=f"harvest-start-{source}")
        self._apscheduler.start()
        return self

    def stop(self) -> None:
        self._apscheduler.shutdown(wait=False)

    __call__ = stop


def start_harvest_schedule(pw: Paperwire) -> HarvestScheduler | None:
    """Start the schedule (None when ``PAPERWIRE_HARVEST_SOURCES`` is empty)."""
    if not pw.settings.harvest_sources:
        return None
    return HarvestScheduler(pw).start()

"""The digest schedule: APScheduler in the ``paperwire serve`` process, or ``paperwire digest send`` from cron.

Each tick (every minute) runs ``services.digest.run_due``: it creates the deliveries that fell due and
then either sends them in this process (no ``PAPERWIRE_REDIS_URL``) or hands them to the queue for
``paperwire worker`` processes. With Redis, a tick first takes a short Redis lock, so when several
servers run only one of them fires each minute. The database is the second line of defence:
deliveries are unique per (subscriber, date) and claimed atomically, so even two ticks that both ran
send nothing twice.
"""
from __future__ import annotations

import logging
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from paperwire.jobs.queue import open_queue
from paperwire.services.digest import run_due
from paperwire.services.harvest import running as harvest_running
from paperwire.services.digest_send import SendPolicy, Sender
from paperwire.context import Paperwire

log = logging.getLogger(__name__)
TICK_SECONDS = 60.0


@dataclass
class TickReport:
    ran: bool
    created: int = 0
    enqueued: int = 0
    sent: Counter = field(default_factory=Counter)


class DigestScheduler:
    """One tick's work, and the APScheduler that repeats it. Also usable without APScheduler (tests, cron)."""

    def __init__(self, pw: Paperwire, *, interval_seconds: float = TICK_SECONDS, namespace: str = "paperwire",
                 policy: SendPolicy | None = None, requeue_after_seconds: float = 900.0):  # fmt: skip
        self.pw, self.settings, self.store = pw, pw.settings, pw.store
        settings = pw.settings
        self.interval = interval_seconds
        self.policy = policy or SendPolicy.from_settings(settings)
        self.requeue_after = requeue_after_seconds
        self.owner = secrets.token_hex(8)
        self.queue = open_queue(settings, namespace)
        self._sender: Sender | None = None
        self._stop = threading.Event()
        self.ticks_run = 0
        self.ticks_skipped = 0
        self._apscheduler = None

    def tick(self, now: datetime | None = None) -> TickReport:
        """Create due deliveries and send (or enqueue) what is ready; skipped when another server holds the lock."""
        if self.queue is None and not self.settings.smtp_url:  # nowhere to send: schedule nothing
            self.ticks_skipped += 1
            return TickReport(ran=False)
        if self.queue is not None and not self.queue.lock("digest-tick", self.interval * 0.9, self.owner):
            self.ticks_skipped += 1
            return TickReport(ran=False)
        if busy := harvest_running(self.pw, now):  # the day's papers first: the next tick sends
            log.info("digest waits for the harvest of %s", ", ".join(busy))
            self.ticks_skipped += 1
            return TickReport(ran=False)
        self.ticks_run += 1
        report = run_due(self.pw, now=now, dispatcher=self.queue,
                         requeue_after_seconds=self.requeue_after, get_sender=self._kept_sender, wait_seconds=None,
                         stop=self._stop.is_set)  # fmt: skip
        return TickReport(ran=True, created=report.created, enqueued=report.enqueued, sent=report.outcomes)

    def _kept_sender(self) -> Sender:
        """The Sender of in-process sending, opened on the first tick that sends and kept until stop()."""
        if self._sender is None:
            self._sender = Sender(self.pw, self.policy)
        return self._sender

    def _safe_tick(self) -> None:
        try:
            report = self.tick()
            if report.ran and (report.created or report.enqueued or report.sent):
                log.info("digest tick: %d new, %d enqueued, sent %s", report.created, report.enqueued, dict(report.sent))
        except Exception:  # noqa: BLE001 - the schedule must survive a bad tick (database or Redis down)
            log.exception("digest tick failed")

    def start(self) -> "DigestScheduler":
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        self._apscheduler = BackgroundScheduler(timezone="UTC", daemon=True)
        self._apscheduler.add_job(self._safe_tick, IntervalTrigger(seconds=self.interval), id="digest-tick",
                                  max_instances=1, coalesce=True, misfire_grace_time=int(max(1, self.interval)),
                                  next_run_time=datetime.now().astimezone())  # fmt: skip
        self._apscheduler.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._apscheduler is not None:
            self._apscheduler.shutdown(wait=True)
            self._apscheduler = None
        if self._sender is not None:
            self._sender.close()
        if self.queue is not None:
            self.queue.close()

    __call__ = stop


def start_scheduler(pw: Paperwire, **options) -> DigestScheduler:
    """Start the in-process digest schedule; returns a handle, call it (or ``.stop()``) to stop.

    Call from the FastAPI lifespan of ``create_app`` (every `paperwire serve` worker may run one:
    with Redis only one fires per minute, without it claims keep sending exactly-once)."""
    return DigestScheduler(pw, **options).start()

"""Fan-out through Redis (dramatiq) to `paperwire worker` processes, crash recovery, and the scheduler
lock: a worker killed with SIGKILL mid-run and restarted sends every digest exactly once, and two
schedulers send once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from paperwire.context import Paperwire
from paperwire.jobs.queue import open_queue
from paperwire.jobs.scheduler import DigestScheduler, start_scheduler
from paperwire.services import digest as svc
from paperwire.services.digest import SendPolicy
from paperwire.store import digest as digest_db
from tests.digest.conftest import D
from tests.factories import active_subscriber, load, make_record

PAPERWIRE = Path(sys.executable).parent / "paperwire"
FAST = SendPolicy(lease_seconds=2, backoff_base=0.2, backoff_cap=0.5, max_attempts=20)


def _worker(db_url, redis_url, namespace, smtp, log):
    env = {**os.environ, "PAPERWIRE_DATABASE_URL": db_url, "PAPERWIRE_REDIS_URL": redis_url,
           "PAPERWIRE_SMTP_URL": smtp.url, "PAPERWIRE_BASE_URL": "http://paperwire.test",
           "PAPERWIRE_SECRET_KEY": "test-secret"}  # fmt: skip
    return subprocess.Popen([str(PAPERWIRE), "worker", "--namespace", namespace, "--lease", "2",
                             "--heartbeat-timeout", "1500", "--backoff", "0.2"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip


def _wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_mid_run_and_restarted_sends_every_digest_exactly_once(store, db_url, settings_for,
                                                                               smtp_server, redis_ns, tmp_path):  # fmt: skip
    redis_url, namespace = redis_ns
    settings = settings_for(smtp_server, redis_url=redis_url)
    load(store, make_record(day="2026-06-02", upvotes=3), make_record(day="2026-06-02", upvotes=1))
    emails = [f"reader{i:02d}@example.org" for i in range(24)]
    for address in emails:
        active_subscriber(store, address)
    smtp_server.mailbox.rcpt_delay = 0.08  # ~10 messages a second, so the kill lands mid-run
    queue = open_queue(settings, namespace)
    try:
        report = svc.run_due(Paperwire(settings, store), digest_date=D("2026-06-03"), dispatcher=queue)
    finally:
        queue.close()
    assert report.created == 24 and report.enqueued == 24

    log = open(tmp_path / "worker.log", "ab")
    first = _worker(db_url, redis_url, namespace, smtp_server, log)
    try:
        _wait_until(lambda: len(smtp_server.mailbox.messages) >= 6, 30, "the first messages")
        # kill while the worker waits for the server's RCPT reply: a claimed digest in mid-transaction
        _wait_until(smtp_server.mailbox.in_rcpt.is_set, 5, "a transaction in progress")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(5)
        sent_before = len(smtp_server.mailbox.messages)
        assert 6 <= sent_before < 24
        held = [d for d in digest_db.deliveries(store, D("2026-06-03")) if d.status == "sending"]
        assert len(held) == 1  # the killed worker's claim, left with a lease

        second = _worker(db_url, redis_url, namespace, smtp_server, log)
        try:
            _wait_until(lambda: all(d.status == "sent" for d in digest_db.deliveries(store, D("2026-06-03"))),
                        45, "every digest sent")  # fmt: skip
            time.sleep(0.5)  # anything sent twice would have arrived by now
        finally:
            second.terminate()
            second.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        log.close()
    counts = smtp_server.mailbox.counts()
    assert sorted(counts) == emails and set(counts.values()) == {1}, (tmp_path / "worker.log").read_text()[-3000:]


def _due_now(store, emails):
    """Subscribers due right now (send hour 0 UTC) with yesterday's papers loaded."""
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
    load(store, make_record(day=yesterday, upvotes=2))
    for address in emails:
        active_subscriber(store, address, send_hour=0, empty_day="note")


def test_two_schedulers_with_redis_fire_once_and_send_once(store, settings_for, smtp_server, redis_ns):
    from paperwire.jobs.worker import run_worker

    redis_url, namespace = redis_ns
    settings = settings_for(smtp_server, redis_url=redis_url)
    emails = ["ada@example.org", "bob@example.org", "cy@example.org"]
    _due_now(store, emails)
    pw = Paperwire(settings, store)
    a = DigestScheduler(pw, interval_seconds=5, namespace=namespace, policy=FAST)
    b = DigestScheduler(pw, interval_seconds=5, namespace=namespace, policy=FAST)
    barrier = threading.Barrier(2)
    reports = {}

    def run(name, scheduler):
        barrier.wait()
        reports[name] = scheduler.tick()

    threads = [threading.Thread(target=run, args=(n, s)) for n, s in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(r.ran for r in reports.values()) == [False, True]
    assert sum(r.created for r in reports.values()) == 3 and sum(r.enqueued for r in reports.values()) == 3

    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(pw,),
                              kwargs={"namespace": namespace, "policy": FAST, "stop_event": stop})  # fmt: skip
    worker.start()
    try:
        smtp_server.mailbox.wait_for(3)
        for s in (a, b):
            s.tick()  # later ticks (whoever fires) find nothing new
        time.sleep(0.5)
    finally:
        stop.set()
        worker.join(30)
        a.stop()
        b.stop()
    assert smtp_server.mailbox.counts() == {e: 1 for e in emails}


def test_in_process_schedulers_without_redis_still_send_once(store, settings, smtp_server, pw):
    emails = ["ada@example.org", "bob@example.org"]
    _due_now(store, emails)
    stops = [start_scheduler(pw, interval_seconds=0.5, policy=FAST) for _ in range(2)]
    try:
        smtp_server.mailbox.wait_for(2)
        time.sleep(1.2)  # more ticks on both
    finally:
        for stop in stops:
            stop()
    assert sum(s.ticks_run for s in stops) >= 3
    assert smtp_server.mailbox.counts() == {e: 1 for e in emails}
    assert {d.status for d in digest_db.deliveries(store)} == {"sent"}


def test_the_digest_waits_while_a_harvest_is_running_and_sends_after_it(store, smtp_server, pw):
    from paperwire.store import harvests

    _due_now(store, ["ada@example.org"])
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert harvests.claim(store, "arxiv", now)
    scheduler = DigestScheduler(pw, interval_seconds=5, policy=FAST)
    assert scheduler.tick().ran is False  # today's papers are still arriving
    assert smtp_server.mailbox.counts() == {}
    harvests.succeed(store, "arxiv", now, added=1, updated=0)
    assert scheduler.tick().ran is True
    assert smtp_server.mailbox.counts() == {"ada@example.org": 1}

"""Digest fan-out benchmark: 100k synthetic subscribers with mixed preferences over the ~75k-paper
corpus (../shared/data/arxiv, or the bundled corpus), SQLite in a temp dir. Measured in one run:

  - scheduling: creating 100k deliveries for a date (what a tick does once a day),
  - build: selecting and rendering (HTML + text) every subscriber's digest, as the senders do,
    beside the naive baseline that reads candidates for every subscriber (no shared cache; a sample,
    extrapolated),
  - sending: messages/s through the Redis queue to `paperwire worker` processes (1 and 2) and a local
    aiosmtpd server, beside the ceiling of one smtplib connection resending one prebuilt message.

Usage: python benchmarks/digest_fanout.py [--subscribers 100000] [--send 3000] [--papers N]
Needs Redis at 127.0.0.1:6379 for the worker runs (skipped with a note otherwise).
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
DATA = Path(os.environ.get("PAPERWIRE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz"
REDIS = "redis://127.0.0.1:6379/0"
CATEGORIES = ["cs.CL", "cs.LG", "cs.CV", "cs.AI", "cs.RO", "cs.CR", "cs.IR", "cs.SE", "cs.DS", "cs.HC", "stat.ML"]
from paperwire.context import Paperwire  # noqa: E402 - after the path is set
from paperwire.rank.digest import window  # noqa: E402
from paperwire.store import feed_queries  # noqa: E402

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "America/Los_Angeles", "Asia/Kolkata"]


def load_corpus(store, limit: int | None) -> int:
    from paperwire.services.ingest import ingest_demo, ingest_path

    if DATA.exists():
        report = ingest_path(store, DATA, parallel=True)
        return report.added
    return sum(r.added for r in ingest_demo(store))


def add_subscribers(store, n: int, seed: int = 7) -> None:
    from paperwire.store.schema_digest import digest_subscribers as S
    from paperwire.store.store import utcnow

    rng = random.Random(seed)
    now = utcnow()
    rows = []
    for i in range(n):
        cats = rng.sample(CATEGORIES, rng.choice([0, 1, 1, 2, 3]))
        rows.append({
            "email": f"reader{i:06d}@bench.example", "status": "active", "created_at": now, "confirmed_at": now,
            "frequency": "weekly" if rng.random() < 0.2 else "daily", "weekday": rng.randrange(7),
            "send_hour": rng.randrange(24), "timezone": rng.choice(ZONES),
            "sections": "trending,categories" if cats else "trending", "categories": ",".join(cats),
            "trending_n": rng.choice([5, 10, 10, 20]), "empty_day": rng.choice(["skip", "note"]),
        })  # fmt: skip
    with store.transaction() as conn:
        for start in range(0, n, 5000):
            conn.execute(S.insert(), rows[start : start + 5000])


def busy_date(store) -> date:
    newest = store.newest_published()
    day = newest.date()
    while not feed_queries.digest_ids(store, *window(day, "daily")):
        day -= timedelta(days=1)
    # a weekday digest whose window (the day before) has papers
    return day


def measure_build(store, settings, day: date, n: int) -> dict:
    from paperwire.digest.render import digest_message
    from paperwire.services.digest_build import DigestBuilder
    from paperwire.store import digest as digest_db

    subs = digest_db.subscribers(store, "active")[:n]
    builder = DigestBuilder(Paperwire(settings, store))
    builder.candidates(day, "daily"), builder.candidates(day, "weekly")  # warm, as a worker would after one message
    start = time.perf_counter()
    papers = 0
    for s in subs:
        selection = builder.select(s, day, digest_db.sent_paper_ids(store, s.pk), base_url="http://bench.example")
        papers += selection.paper_count
        digest_message(settings, s, day, selection).as_bytes()
    seconds = time.perf_counter() - start
    return {"digests": len(subs), "seconds": seconds, "papers": papers}


def measure_naive_build(store, settings, day: date, n: int) -> dict:
    from paperwire.digest.render import digest_message
    from paperwire.services.digest_build import DigestBuilder
    from paperwire.store import digest as digest_db

    subs = digest_db.subscribers(store, "active")[:n]
    start = time.perf_counter()
    for s in subs:
        # candidates read again for every subscriber
        builder = DigestBuilder(Paperwire(settings, store), ttl=0)
        selection = builder.select(s, day, digest_db.sent_paper_ids(store, s.pk), base_url="http://bench.example")
        digest_message(settings, s, day, selection).as_bytes()
    return {"digests": len(subs), "seconds": time.perf_counter() - start}


class Sink:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


def measure_ceiling(port: int, message, n: int = 2000) -> float:
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for _ in range(n):
            smtp.sendmail(message.sender, [message.recipient], message.as_bytes())
    return n / (time.perf_counter() - start)


def measure_workers(store, settings, db_url: str, port: int, sink: Sink, day: date, n: int, workers: int) -> dict:
    from paperwire.jobs.queue import DigestQueue, QueueConfig
    from paperwire.services.digest_send import dispatch_ready
    from paperwire.store import digest as digest_db

    subs = digest_db.subscribers(store, "active")
    pks = [s.pk for s in subs[(workers - 1) * n : workers * n]]  # fresh subscribers for each run
    digest_db.create_deliveries(store, [(pk, day) for pk in pks])
    namespace = f"pwbench-{uuid.uuid4().hex[:8]}"
    queue = DigestQueue(QueueConfig(url=REDIS, namespace=namespace))
    env = {**os.environ, "PAPERWIRE_DATABASE_URL": db_url, "PAPERWIRE_REDIS_URL": REDIS,
           "PAPERWIRE_SMTP_URL": f"smtp://127.0.0.1:{port}", "PAPERWIRE_BASE_URL": "http://bench.example"}  # fmt: skip
    exe = Path(sys.executable).parent / "paperwire"
    log = open(Path(db_url.removeprefix("sqlite:///")).parent / f"workers-{workers}.log", "ab")
    procs = [subprocess.Popen([str(exe), "worker", "--namespace", namespace], env=env, stdout=log,
                              stderr=subprocess.STDOUT) for _ in range(workers)]  # fmt: skip
    time.sleep(3)  # start-up (imports, broker connection) is not part of the rate
    before = sink.count
    start = time.perf_counter()
    dispatch_ready(store, queue, requeue_after_seconds=0)
    deadline = start + 600
    pending = set(pks)
    while pending and time.perf_counter() < deadline:
        time.sleep(0.05)
        if sink.count - before >= len(pks) or int(time.perf_counter() * 20) % 20 == 0:
            pending = {d.subscriber_pk for d in digest_db.deliveries(store, day)
                       if d.status in ("pending", "sending")} & pending  # fmt: skip
    seconds = time.perf_counter() - start
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(30)
    log.close()
    for key in queue.redis.scan_iter(f"{namespace}*"):
        queue.redis.delete(key)
    queue.close()
    mine = set(pks)
    sent = sum(1 for d in digest_db.deliveries(store, day) if d.status == "sent" and d.subscriber_pk in mine)
    skipped = sum(1 for d in digest_db.deliveries(store, day) if d.status == "skipped" and d.subscriber_pk in mine)
    return {"workers": workers, "messages": sink.count - before, "sent": sent, "skipped": skipped, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=3000, help="digests sent per worker run")
    parser.add_argument("--baseline", type=int, default=200, help="subscribers in the naive build sample")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    from paperwire.services.digest_send import schedule_date
    from paperwire.store import digest as digest_db
    from paperwire.settings import load_settings
    from paperwire.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="pw-digest-bench-"))
    db_url = f"sqlite:///{tmp / 'paperwire.db'}"
    store = Store.open(db_url, upgrade=True)
    t = time.perf_counter()
    papers = load_corpus(store, None)
    print(f"corpus: {papers:,} papers loaded in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    add_subscribers(store, args.subscribers)
    print(f"subscribers: {args.subscribers:,} inserted in {time.perf_counter() - t:.1f} s")
    settings = load_settings(database_url=db_url, base_url="http://bench.example")
    day = busy_date(store)

    t = time.perf_counter()
    created = schedule_date(store, day + timedelta(days=365))  # a far date so the send runs below stay separate
    print(f"scheduling: {created:,} deliveries created in {time.perf_counter() - t:.1f} s")
    with store.transaction() as conn:  # drop them again: the send runs create their own
        from paperwire.store.schema_digest import digest_deliveries as Dt

        conn.execute(Dt.delete())

    naive = measure_naive_build(store, settings, day, args.baseline)
    naive_rate = naive["digests"] / naive["seconds"]
    print(f"build, naive baseline (candidates per subscriber, {naive['digests']} sampled): {naive_rate:,.1f} digests/s"
          f" -> {args.subscribers / naive_rate / 60:,.1f} min for {args.subscribers:,}")  # fmt: skip
    build = measure_build(store, settings, day, args.subscribers)
    rate = build["digests"] / build["seconds"]
    print(f"build, paperwire (shared candidates): {build['digests']:,} digests ({build['papers']:,} papers) in "
          f"{build['seconds']:.1f} s = {rate:,.0f} digests/s ({rate / naive_rate:.0f}x the baseline; target <= 10 min)")  # fmt: skip

    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        from paperwire.digest.render import digest_message
        from paperwire.services.digest_build import DigestBuilder

        s = digest_db.subscribers(store, "active")[0]
        builder = DigestBuilder(Paperwire(settings, store))
        message = digest_message(settings, s, day, builder.select(s, day, set()))
        print(f"send ceiling (one smtplib connection, one prebuilt message): {measure_ceiling(port, message):,.0f} msg/s")
        try:
            import redis

            redis.Redis.from_url(REDIS).ping()
        except Exception as err:  # noqa: BLE001
            print(f"send through workers: skipped, Redis not reachable ({err})")
            return
        for workers in (1, 2):
            r = measure_workers(store, settings, db_url, port, sink, day, args.send, workers)
            print(f"send through the queue, {workers} worker(s): {r['messages']:,} messages in {r['seconds']:.1f} s = "
                  f"{r['messages'] / r['seconds']:,.0f} msg/s (marked sent {r['sent']:,}, skipped as empty {r['skipped']:,})")  # fmt: skip
    finally:
        controller.stop()
        store.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()

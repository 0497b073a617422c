"""``paperwire worker``: a process that takes jobs from the Redis queue (dramatiq threads): it sends
digests (when SMTP is configured) and embeds new papers.

Run as many as you like, on any machines that reach the database, Redis and the SMTP server.
SIGTERM / SIGINT stop it after the messages in hand; ``kill -9`` loses nothing: its unacknowledged
messages are requeued once its heartbeat is older than the broker's heartbeat timeout, and the
deliveries it had claimed are taken over when their lease expires.
"""
from __future__ import annotations

import logging
import signal
import threading

from dramatiq import Worker

from paperwire.digest.smtp import RateLimiter
from paperwire.context import Paperwire
from paperwire.jobs.queue import INDEX_QUEUE, QUEUE, open_queue, runtime
from paperwire.services.digest_build import DigestBuilder
from paperwire.services.digest_send import SendPolicy, Sender

log = logging.getLogger(__name__)


def run_worker(pw: Paperwire, *, threads: int = 1, namespace: str = "paperwire", policy: SendPolicy | None = None,
               heartbeat_timeout_ms: int | None = None, stop_event: threading.Event | None = None) -> None:  # fmt: skip
    """Consume the queues until SIGTERM/SIGINT (or ``stop_event``): the digest queue only when SMTP is
    configured (there is nothing to send through otherwise), the index queue always."""
    settings = pw.settings
    if not settings.redis_url:
        raise RuntimeError("PAPERWIRE_REDIS_URL is not set: workers take their jobs from Redis")
    queue = open_queue(settings, namespace,
                       **({"heartbeat_timeout_ms": heartbeat_timeout_ms} if heartbeat_timeout_ms else {}))  # fmt: skip
    policy = policy or SendPolicy.from_settings(settings)
    # shared by the threads of this process
    builder = DigestBuilder(pw)
    limiter = RateLimiter(policy.rate)
    runtime.queue = queue
    runtime.pw = pw
    runtime.make_sender = lambda: Sender(pw, policy, builder=builder, limiter=limiter)
    queues = {INDEX_QUEUE, f"{INDEX_QUEUE}.DQ"} | ({QUEUE, f"{QUEUE}.DQ"} if settings.smtp_url else set())
    worker = Worker(queue.broker, queues=queues, worker_threads=threads, worker_timeout=500)
    stop = stop_event or threading.Event()
    if stop_event is None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    worker.start()
    log.info("paperwire worker started (%d thread(s), namespace %s)", threads, namespace)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        worker.stop(timeout=30_000)
        runtime.close()
        runtime.pw = None
        queue.close()

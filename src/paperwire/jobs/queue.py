"""The Redis-backed job queue that fans work out to ``paperwire worker`` processes (dramatiq): digest
sending (``services.digest_send.SEND_JOB``, queue ``digest``) and the embedding of new papers
(``services.indexing.EMBED_JOB``, queue ``index``).

Why dramatiq (measured 2026-11-25 on this machine, 2,000 no-op jobs, Redis on loopback): dramatiq
enqueues ~4,000 jobs/s and one worker thread runs ~260 jobs/s; rq's ``SimpleWorker`` ran ~195 jobs/s
(its default forking worker far fewer). What decided it is crash behaviour: dramatiq acknowledges a
message only after the actor returns, and requeues the unacknowledged messages of a worker whose
heartbeat stopped (``kill -9``); rq moves an abandoned job to its failed registry. arq would need an
asyncio SMTP client. Messages carry chunks of delivery pks, so queue overhead is small beside SMTP.

The queue only carries work: the database decides what is sent (claims with leases), so a message
delivered twice, late or never is harmless — the scheduler's sweep re-enqueues anything not done.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, ShutdownNotifications, TimeLimit

from paperwire.services.digest_send import SEND_JOB, send_batch
from paperwire.services.indexing import EMBED_JOB, embed_pks

log = logging.getLogger(__name__)
QUEUE = "digest"
INDEX_QUEUE = "index"
CHUNK = 50  # deliveries per message: one SMTP connection is reused across a chunk


@dataclass(frozen=True)
class QueueConfig:
    url: str
    namespace: str = "paperwire"  # prefix of every Redis key (queue, heartbeats, scheduler lock)
    heartbeat_timeout_ms: int = 15_000  # a worker silent this long is dead: its messages are requeued
    maintenance_chance: int = 100_000  # per million broker commands (dramatiq's default is 1,000)
    chunk: int = CHUNK


class _Runtime:
    """What the actors need inside a worker process: a Sender per thread, the queue to re-enqueue on,
    and the application context (for embedding)."""

    def __init__(self):
        self.pw = None
        self.make_sender = None
        self.queue: DigestQueue | None = None
        self.local = threading.local()
        self.senders: list = []
        self.lock = threading.Lock()

    def sender(self):
        sender = getattr(self.local, "sender", None)
        if sender is None:
            if self.make_sender is None:
                raise RuntimeError("this process is not a paperwire worker (no sender configured)")
            sender = self.local.sender = self.make_sender()
            with self.lock:
                self.senders.append(sender)
        return sender

    def close(self):
        with self.lock:
            for sender in self.senders:
                sender.close()
            self.senders.clear()


runtime = _Runtime()


def _send_chunk(pks: list[int]) -> None:
    """Actor body: send each delivery; re-enqueue, delayed, the ones to retry or still held by another."""
    for pk, delay in send_batch(runtime.sender(), pks).items():
        runtime.queue.enqueue(SEND_JOB, [pk], delay_seconds=delay)


def _embed_chunk(pks: list[int]) -> None:
    """Actor body: embed the papers of ``pks`` that still lack a vector (idempotent)."""
    if runtime.pw is None:
        raise RuntimeError("this process is not a paperwire worker (no context configured)")
    done = embed_pks(runtime.pw, pks)
    log.info("embedded %d of %d papers", done, len(pks))


class DigestQueue:
    """The job dispatcher on Redis: ``enqueue(job, payload)`` hands a job to the ``paperwire worker``
    processes: ``SEND_JOB`` (delivery pks, chunked by ``config.chunk``) or ``EMBED_JOB`` (paper pks,
    one message per call)."""

    def __init__(self, config: QueueConfig):
        self.config = config
        middleware = [m() for m in (AgeLimit, TimeLimit, ShutdownNotifications, Callbacks, Pipelines, Retries)]
        self.broker = RedisBroker(url=config.url, namespace=config.namespace, middleware=middleware,
                                  heartbeat_timeout=config.heartbeat_timeout_ms,
                                  maintenance_chance=config.maintenance_chance)  # fmt: skip
        self.actor = dramatiq.actor(_send_chunk, broker=self.broker, actor_name=SEND_JOB, queue_name=QUEUE,
                                    max_retries=20, min_backoff=500, max_backoff=30_000,
                                    time_limit=3_600_000)  # fmt: skip
        self.embed_actor = dramatiq.actor(_embed_chunk, broker=self.broker, actor_name=EMBED_JOB,
                                          queue_name=INDEX_QUEUE, max_retries=5, min_backoff=1_000,
                                          max_backoff=60_000, time_limit=1_800_000)  # fmt: skip

    @property
    def redis(self):
        return self.broker.client

    def enqueue(self, job: str, payload: Sequence[int], *, delay_seconds: float | None = None) -> int:
        """Send ``job`` for the pks in ``payload`` to the workers; returns the number of messages."""
        if job == EMBED_JOB:
            self.embed_actor.send([int(pk) for pk in payload])
            return 1
        if job != SEND_JOB:
            raise ValueError(f"no such job: {job!r}")
        messages = 0
        for start in range(0, len(payload), self.config.chunk):
            chunk = [int(pk) for pk in payload[start : start + self.config.chunk]]
            if delay_seconds:
                self.actor.send_with_options(args=(chunk,), delay=int(delay_seconds * 1000))
            else:
                self.actor.send(chunk)
            messages += 1
        return messages

    def pending_messages(self, queue: str = QUEUE) -> int:
        return self.redis.llen(f"{self.config.namespace}:{queue}") + self.redis.zcard(
            f"{self.config.namespace}:{queue}.DQ"
        )

    def lock(self, name: str, ttl_seconds: float, owner: str) -> bool:
        """Take the named lock for ``ttl_seconds`` unless someone holds it (SET NX PX)."""
        return bool(self.redis.set(f"{self.config.namespace}:lock:{name}", owner, nx=True, px=max(1, int(ttl_seconds * 1000))))

    def close(self) -> None:
        self.broker.close()


def open_queue(settings, namespace: str = "paperwire", **options) -> DigestQueue | None:
    """The queue at ``settings.redis_url`` (``options``: other :class:`QueueConfig` fields), or None
    without Redis configured: then digests are sent in the process that schedules them."""
    if not settings.redis_url:
        return None
    return DigestQueue(QueueConfig(url=settings.redis_url, namespace=namespace, **options))

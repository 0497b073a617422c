"""The running instance: one :class:`Paperwire` object, built once from :class:`Settings`, owns every
long-lived part — the store, the vector and term indexes, the embedder, the caches, the thread pool,
the one background thread (``run_soon``) and the job dispatcher. The web app, the CLI and the queue workers build it (``Paperwire.open``);
services receive it (or just its store, when the database is all a use case needs). Nothing below the
front ends reads the environment, and no module keeps state of its own keyed by a store: two contexts
in one process (as in the tests) share nothing.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Generic, Protocol, TypeVar

from paperwire.index.embedder import MINILM, Embedder, OnnxEmbedder
from paperwire.index.lexicon import Lexicons
from paperwire.index.terms import TermIndexes, cache_path
from paperwire.index.vectors import VectorIndexes, ann_path
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store import embeddings as stored
from paperwire.store.queries import data_version

log = logging.getLogger(__name__)

V = TypeVar("V")

MEMO_ENTRIES = 512  # results computed from the database, kept while its data version holds (feed pages' data, API lists, For-you lists)
MEMO_TTL = 60.0  # seconds: also what time alone changes (trending decay, "harvest failing for a day")
FRAGMENTS_CACHED = 4096  # rendered reader-independent card parts (~2 KB each)
FILTERS_CACHED = 64  # search: filters whose allowed pks are kept (popular categories, months)
MODELS_CACHED = 512  # recommendations: fitted per-reader models kept
MAIL_THREADS = 2  # emails a request causes (confirmations, resets), sent after it answered
POOL_THREADS = 4  # query encoding and vector search beside the keyword SQL; model fitting off the event loop


class Lru(Generic[V]):
    """A bounded, thread-safe map that forgets the least recently used entry first. With a
    ``version`` (e.g. the database's data version) an entry is only returned for the version it was
    stored under: a new version empties the cache."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._version: object = None
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: object = None) -> V | None:
        with self._lock:
            if version != self._version or key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: V, version: object = None) -> None:
        with self._lock:
            if version != self._version:
                self._items.clear()
                self._version = version
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def pop(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class VersionMemo:
    """Values computed from the database, each kept while the database's data version (any commit by
    any process changes it) is the one it was computed under, and for at most ``ttl`` seconds; at
    most ``maxsize`` entries, least recently used out first. Without a data version (an in-memory
    database) nothing is kept. Keys must say everything the value depends on besides the data."""

    def __init__(self, version: Callable[[], object | None], maxsize: int = MEMO_ENTRIES, ttl: float = MEMO_TTL):
        self.version = version
        self.ttl = ttl
        self._lru: Lru[tuple[float, Any]] = Lru(maxsize)
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.Lock] = {}  # keys being computed now (bounded by the threads)

    def get(self, key: Hashable, compute: Callable[[], V], *, token: object = ...) -> V:
        """The value of ``key``, computed when missing (under ``token``: the current data version, read
        once by a caller that gets many keys)."""
        if token is ...:
            token = self.version()
        if token is None:
            return compute()
        hit = self._lru.get(key, token)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        with self._lock:  # one computation per key at a time: the others wait for its value (no stampede)
            flight = self._flights.setdefault(key, threading.Lock())
        try:
            with flight:
                hit = self._lru.get(key, token)
                if hit is not None and time.monotonic() - hit[0] < self.ttl:
                    return hit[1]
                now = time.monotonic()
                value = compute()  # exceptions are not kept
                self._lru.put(key, (now, value), token)
                return value
        finally:
            with self._lock:
                if self._flights.get(key) is flight and not flight.locked():
                    del self._flights[key]

    def clear(self) -> None:
        self._lru.clear()

    def __len__(self) -> int:
        return len(self._lru)


class Dispatcher(Protocol):
    """Hands jobs to worker processes (the Redis queue in ``jobs.queue``)."""

    def enqueue(self, job: str, payload: Sequence[int]) -> int:
        """Queue ``job`` for ``payload``; returns the number of messages."""


class Paperwire:
    """Settings, store and everything long-lived that is built from them (see the module docstring).

    ``embedder`` overrides the packaged model (tests pass a deterministic fake); ``dispatcher`` hands
    jobs to worker processes: the Redis queue (``jobs.queue``), which the front end that builds the
    context opens when ``PAPERWIRE_REDIS_URL`` is set (None: jobs run in the calling process)."""

    def __init__(self, settings: Settings, store: Store, *, embedder: Embedder | None = None,
                 dispatcher: Dispatcher | None = None, owns_store: bool = False,
                 clock: Callable[[], datetime] | None = None):  # fmt: skip
        self.settings = settings
        self.store = store
        # the time the schedules go by (naive UTC): the real clock, or a test's simulated days
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(timezone.utc).replace(tzinfo=None))
        self.vectors = VectorIndexes(store, lambda model: ann_path(settings.data_dir, store, model))
        self.terms = TermIndexes(store, cache_path(store, settings.data_dir))
        self.filter_pks: Lru[Any] = Lru(FILTERS_CACHED)
        self.lexicon = Lexicons(store)  # author names and the spelling dictionary, for reading queries
        self.user_models: Lru[Any] = Lru(MODELS_CACHED)
        self.cosaves: Lru[Any] = Lru(1)
        self.memo = VersionMemo(lambda: data_version(store))
        self.fragments = VersionMemo(self.memo.version, maxsize=FRAGMENTS_CACHED)  # rendered card parts
        self.dispatcher = dispatcher
        self._embedder = embedder
        self._embedder_given = embedder is not None
        self._embedder_lock = threading.Lock()
        self._embedder_failed = False
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._background: ThreadPoolExecutor | None = None
        self._waiting: set[str] = set()
        self._mail: ThreadPoolExecutor | None = None
        self._mail_jobs: set = set()
        self._owns_store = owns_store

    @classmethod
    def open(cls, settings: Settings, *, store: Store | None = None, upgrade: bool = False,
             embedder: Embedder | None = None) -> "Paperwire":  # fmt: skip
        """The context for ``settings``: the given store, or the database of the settings opened
        (migrated first with ``upgrade``, else refused when its schema is stale)."""
        if store is not None:
            return cls(settings, store, embedder=embedder)
        opened = Store.open(settings.resolved_database_url, upgrade=upgrade)
        return cls(settings, opened, embedder=embedder, owns_store=True)

    @property
    def pool(self) -> ThreadPoolExecutor:
        """Threads for CPU work beside a request (started on first use)."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="paperwire")
            return self._pool

    def embedder(self) -> Embedder | None:
        """The embedder for queries: the one given, else the packaged MiniLM when the database holds
        MiniLM vectors (loaded once, ~0.4 s). None when there are none or the model cannot be loaded
        (semantic search is an extra: keyword search still works)."""
        if self._embedder_given:
            return self._embedder
        if self._embedder_failed or not stored.any_of(self.store, MINILM):
            return None
        with self._embedder_lock:
            if self._embedder is None:
                try:
                    self._embedder = OnnxEmbedder(self.settings.data_dir / "models")
                except Exception as err:  # noqa: BLE001 - keyword search still works
                    log.warning("the embedding model could not be loaded (%s); keyword search only", err)
                    self._embedder_failed = True
                    return None
            return self._embedder

    def indexing_embedder(self) -> Embedder:
        """The embedder that computes paper vectors: the one given, else the packaged MiniLM, loaded
        even when the database holds no vectors yet (raises when the model cannot be loaded)."""
        if self._embedder_given:
            return self._embedder
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = OnnxEmbedder(self.settings.data_dir / "models")
                self._embedder_failed = False
            return self._embedder

    @property
    def indexing_model(self) -> str:
        """The name of the model paper vectors are computed with (without loading it)."""
        return self._embedder.name if self._embedder_given and self._embedder is not None else MINILM

    def run_soon(self, key: str, job: Callable[[], Any]) -> bool:
        """Run ``job`` on the context's one background thread, unless a job with the same ``key`` is
        already waiting (then that one will see this request's data too). Returns whether it was
        queued. Used for work a request causes but must not wait for, such as indexing new papers."""
        with self._pool_lock:
            if key in self._waiting:
                return False
            if self._background is None:
                self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperwire-bg")
            self._waiting.add(key)

        def run() -> None:
            with self._pool_lock:
                self._waiting.discard(key)
            try:
                job()
            except Exception:  # noqa: BLE001 - a background job must not kill the thread; its caller logs
                log.exception("background job %s failed", key)

        self._background.submit(run)
        return True

    def send_soon(self, job: Callable[[], Any]) -> None:
        """Run ``job`` (sending an email) on the context's mail threads: a request that causes mail answers
        at once, whatever the mail server does (a server that accepts and never answers holds a mail
        thread for its timeout, never a request)."""
        with self._pool_lock:
            if self._mail is None:
                self._mail = ThreadPoolExecutor(max_workers=MAIL_THREADS, thread_name_prefix="paperwire-mail")

            def run() -> None:
                try:
                    job()
                except Exception:  # noqa: BLE001 - a mail job must not kill the thread
                    log.exception("mail job failed")

            future = self._mail.submit(run)
            self._mail_jobs.add(future)
        future.add_done_callback(self._mail_jobs.discard)

    def wait_mail(self, timeout: float | None = None) -> None:
        """Wait until the mail jobs queued so far have run (tests, the CLI)."""
        from concurrent.futures import wait

        with self._pool_lock:
            jobs = set(self._mail_jobs)
        wait(jobs, timeout)

    def wait_background(self, timeout: float | None = None) -> None:
        """Wait until the background jobs queued so far have run (tests, the CLI, shutdown)."""
        with self._pool_lock:
            background = self._background
        if background is not None:
            background.submit(lambda: None).result(timeout)

    def warm_up(self) -> None:
        """Load what the first search or related list would otherwise wait for: the query embedder,
        the vector index and the term index (mapped from the shared files when another worker wrote them)."""
        model = self.embedder()
        if model is not None:
            model.encode(["warm up"])
            self.vectors.get(model.name)
        self.terms.get()
        try:  # give the memory of the loading's temporaries back to the system (glibc keeps freed heap otherwise)
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass

    def use_embedder(self, embedder: Embedder | None) -> None:
        """Encode queries with ``embedder`` from now on (None: the packaged model again)."""
        with self._embedder_lock:
            self._embedder, self._embedder_given, self._embedder_failed = embedder, embedder is not None, False

    def close(self) -> None:
        """Stop the pool and, when this context opened it, close the store (the dispatcher belongs to
        whoever opened it)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            background, self._background = self._background, None
            mail, self._mail = self._mail, None
        if mail is not None:
            mail.shutdown(wait=False, cancel_futures=True)
        if background is not None:
            background.shutdown(wait=True, cancel_futures=True)
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> "Paperwire":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

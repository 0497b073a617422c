"""The ingest loop: normalise, dedupe and upsert source items in batches, each in one transaction
together with the ingest log, so a run killed at any point and started again ends where an
uninterrupted run would."""
from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from contextlib import closing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from paperwire.ingest.merge import merge
from paperwire.ingest.normalize import derived_id, is_derived_id, normalize
from sqlalchemy.exc import DataError, IntegrityError

from paperwire.sources.records import PaperRecord, RecordProblem, SourceItem
from paperwire.store import Paper, Store, UpsertCounts
from paperwire.store.store import KnownKeys

MAX_KEPT_PROBLEMS = 1_000
# Errors that mean "the database refuses this data" (not "the database is unavailable"): a batch
# that hits one is written again paper by paper so that only the refused papers are lost.
REFUSED = (DataError, IntegrityError, OverflowError)  # all are counted; the first ones are kept for the report and the log


@dataclass
class IngestReport:
    source: str
    target: str
    run_pk: int | None = None
    seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    problems: list[RecordProblem] = field(default_factory=list)
    seconds: float = 0.0
    cursor: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def as_dict(self) -> dict:
        return {
            "source": self.source, "target": self.target, "run": self.run_pk, "seen": self.seen,
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged, "failed": self.failed,
            "seconds": round(self.seconds, 3), "problems": [str(p) for p in self.problems],
        }  # fmt: skip


Chunk = tuple[list[Paper], list[RecordProblem], int]  # papers to write, problems, items consumed


class Preparer:
    """Normalises items and drops duplicates within one run, in chunks of ``batch_size`` papers.
    Holds no connection, so it can run on a thread or in a child process."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self._first_origin: dict[str, str] = {}  # dedupe key -> origin of its first record in this run

    def chunks(self, items: Iterable[SourceItem]) -> Iterator[Chunk]:
        batch: list[Paper] = []
        problems: list[RecordProblem] = []
        pending = 0
        for item in items:
            pending += 1
            paper = normalize(item) if isinstance(item, PaperRecord) else item
            if isinstance(paper, RecordProblem):
                problems.append(paper)
            else:
                duplicate = self._duplicate_of(paper, item.origin)
                if duplicate:
                    problems.append(duplicate)
                else:
                    batch.append(paper)
            if len(batch) >= self.batch_size:
                yield batch, problems, pending
                batch, problems, pending = [], [], 0
        yield batch, problems, pending

    def _duplicate_of(self, paper: Paper, origin: str) -> RecordProblem | None:
        key = paper.id or "title:" + paper.title_key
        first = self._first_origin.get(key)
        if first is None:
            self._first_origin[key] = origin
            return None
        what = f"id {paper.id}" if paper.id else "title and first author"
        return RecordProblem(origin, "id" if paper.id else "title", f"duplicate {what} in this input (first at {first})")


def chunks_on_thread(preparer: Preparer, items: Iterable[SourceItem]) -> Iterator[Chunk]:
    """Prepare on a helper thread while the caller writes the previous chunk (the database
    drivers release the GIL while SQLite or PostgreSQL work). Closing the generator stops the thread."""
    handoff: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(value) -> bool:
        while not stop.is_set():
            try:
                handoff.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in preparer.chunks(items):
                if not put(chunk):
                    return
            put(_DONE)
        except BaseException as err:  # handed to the writing thread, which raises it
            put(err)

    producer = threading.Thread(target=produce, name="ingest-prepare", daemon=True)
    producer.start()
    try:
        while (chunk := handoff.get()) is not _DONE:
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk
    finally:
        stop.set()
        producer.join()


def _prepare_file(path: str, batch_size: int, conn) -> None:
    """Child process: read and prepare a file, sending chunks down a pipe. If the parent dies
    (even by SIGKILL) the pipe breaks and this process ends."""
    from paperwire.sources.files import read_file

    try:
        for chunk in Preparer(batch_size).chunks(read_file(path)):
            conn.send(chunk)
        conn.send(_DONE)
    except (BrokenPipeError, ConnectionResetError):
        return
    except BaseException as err:
        try:
            conn.send(err)
        except (BrokenPipeError, ConnectionResetError):
            return


def chunks_in_process(path: str, batch_size: int) -> Iterator[Chunk]:
    """Prepare a (large) file in a child process, so parsing and normalising use the second core."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_prepare_file, args=(path, batch_size, send), name="ingest-prepare", daemon=True)
    child.start()
    send.close()
    try:
        while True:
            try:
                chunk = receive.recv()
            except EOFError:
                raise RuntimeError(f"the process reading {path} ended unexpectedly (exit code {child.exitcode})") from None
            if chunk == _DONE:
                break
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk
    finally:
        receive.close()
        child.join(5)
        if child.is_alive():
            child.kill()


_DONE = "__done__"


class Ingestor:
    """Feeds source items into the store. One instance per run; ``feed`` may be called per page
    (OAI) with the cursor to persist once that page is committed."""

    def __init__(self, store: Store, *, source: str, target: str, batch_size: int = 2000,
                 progress: Callable[[int], None] | None = None):  # fmt: skip
        self.store = store
        self.batch_size = batch_size
        self.progress = progress
        self.report = IngestReport(source=source, target=target)
        self.preparer = Preparer(batch_size)
        self._started = time.perf_counter()
        self._known = KnownKeys()  # author/organisation pks committed by this run
        self.report.run_pk = store.start_run(source, target)

    # -- public ---------------------------------------------------------------------------------
    def feed(self, items: Iterable[SourceItem], *, cursor: str | None = None) -> None:
        """Prepare ``items`` (on a helper thread) and write them batch by batch; ``cursor`` is stored
        with the last batch, so a paged source resumes after the last committed page."""
        self.consume(chunks_on_thread(self.preparer, items), cursor=cursor)

    def consume(self, chunks: Iterator[Chunk], *, cursor: str | None = None) -> None:
        """Write prepared chunks, each in its own transaction; the last one stores ``cursor``. The
        chunk source is closed whatever happens, which stops its thread or child process."""
        held: Chunk | None = None
        with closing(chunks):
            try:
                for chunk in chunks:
                    if held is not None:
                        self._commit(*held, None)  # mid-page commits keep the last page's cursor
                    held = chunk
            except BaseException:
                if held is not None:  # keep what was read before the source failed
                    self._commit(*held, None)
                raise
        if held is not None:
            self._commit(*held, cursor)

    def __enter__(self) -> "Ingestor":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        """Close the run in the log: ``failed`` if an exception escaped (committed batches stay)."""
        self.finish("failed" if error is not None else None)

    def finish(self, status: str | None = None) -> IngestReport:
        """Close the run in the log (called by ``with Ingestor(...)``)."""
        report = self.report
        report.seconds = time.perf_counter() - self._started
        final = status or ("finished" if report.ok else "finished_with_errors")
        with self.store.transaction() as conn:
            self.store.update_run(conn, report.run_pk, status=final, errors=[str(p) for p in report.problems[:100]])
        return report

    # -- internals --------------------------------------------------------------------------------
    def _commit(self, batch: list[Paper], problems: list[RecordProblem], pending: int, cursor: str | None) -> None:
        if not pending and cursor is None:
            return
        try:
            counts, resolved = self._write(batch, problems, pending, cursor)
        except REFUSED:
            if len(batch) <= 1 and not problems:
                raise
            # One paper the database refuses must not cost the batch: write them one at a time
            # and report the refused ones, naming their origin.
            counts, resolved = self._write_one_by_one(batch, problems, pending, cursor)
        self._known.update(resolved)  # only after the commit succeeded
        report = self.report
        report.seen += pending
        report.added += counts.added
        report.updated += counts.updated
        report.unchanged += counts.unchanged
        report.failed += len(problems)
        report.problems.extend(problems[: max(0, MAX_KEPT_PROBLEMS - len(report.problems))])
        report.cursor = cursor or report.cursor
        if self.progress:
            self.progress(pending)

    def _write(self, batch: list[Paper], problems: list[RecordProblem], pending: int,
               cursor: str | None) -> tuple[UpsertCounts, KnownKeys]:  # fmt: skip
        counts, resolved = UpsertCounts(), KnownKeys()
        with self.store.transaction() as conn:
            self.store.lock_for_ingest(conn)
            if batch:
                counts, resolved = self._upsert(conn, batch, self._known)
            self.store.update_run(
                conn, self.report.run_pk, cursor=cursor, seen=pending, added=counts.added, updated=counts.updated,
                unchanged=counts.unchanged, failed=len(problems),
            )  # fmt: skip
        return counts, resolved

    def _write_one_by_one(self, batch: list[Paper], problems: list[RecordProblem], pending: int,
                          cursor: str | None) -> tuple[UpsertCounts, KnownKeys]:  # fmt: skip
        counts, resolved = UpsertCounts(), KnownKeys()
        with self.store.transaction() as conn:
            self.store.lock_for_ingest(conn)
            for paper in batch:
                try:
                    with conn.begin_nested():  # a savepoint per paper
                        one, keys = self._upsert(conn, [paper], KnownKeys())
                except REFUSED as err:
                    reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
                    origin = paper.origin or f"paper {paper.id}"
                    problems.append(RecordProblem(origin, None, f"the database refused this record: {reason}"))
                    continue
                counts += one
                resolved.update(keys)
            self.store.update_run(
                conn, self.report.run_pk, cursor=cursor, seen=pending, added=counts.added, updated=counts.updated,
                unchanged=counts.unchanged, failed=len(problems),
            )  # fmt: skip
        return counts, resolved

    def _upsert(self, conn, batch: list[Paper], known_keys: KnownKeys) -> tuple[UpsertCounts, KnownKeys]:
        store = self.store
        # Records without an id join the paper with the same title and first author: one already
        # stored, or one with an id in this batch; otherwise they get a stable derived id.
        by_title = store.ids_by_title_key(conn, [p.title_key for p in batch])
        anonymous = [p for p in batch if not p.id]
        if anonymous:
            known = {**by_title, **{p.title_key: p.id for p in batch if p.id}}
            batch = [p if p.id else replace(p, id=known.get(p.title_key) or derived_id(p.title_key)) for p in batch]
        # A paper stored under a derived id takes the real id when a record with one arrives.
        for paper in batch:
            stored = by_title.get(paper.title_key)
            if stored and is_derived_id(stored) and not is_derived_id(paper.id) and stored != paper.id:
                store.rekey_paper(conn, stored, paper.id)
                by_title[paper.title_key] = paper.id
        existing = store.load_papers(conn, [p.id for p in batch])
        merged: dict[str, Paper] = {}
        folded = 0
        for paper in batch:  # two records may now share an id: fold them together in order
            if paper.id in merged:
                merged[paper.id] = merge(merged[paper.id], paper)
                folded += 1
            else:
                merged[paper.id] = paper
        new, changed, counts = [], [], UpsertCounts()
        for pid, paper in merged.items():
            old = existing.get(pid)
            if old is None:
                new.append(paper)
                counts.added += 1
                continue
            after = merge(old, paper)
            if after == old:
                counts.unchanged += 1
            else:
                changed.append((old, after))
                counts.updated += 1
        counts.updated += folded  # a record folded into another one of this batch updated it
        return counts, store.write_batch(conn, new, changed, known_keys)


def ingest_file(store: Store, path: str, *, source: str, target: str, batch_size: int = 2000,
                progress: Callable[[int], None] | None = None, in_process: bool = False) -> IngestReport:  # fmt: skip
    """Ingest one file as one logged run; ``in_process`` prepares it in a child process (use it from
    a program started from a file, such as the CLI: the child re-imports the main module)."""
    from paperwire.sources.files import read_file

    with Ingestor(store, source=source, target=target, batch_size=batch_size, progress=progress) as ingestor:
        if in_process:
            ingestor.consume(chunks_in_process(path, batch_size))
        else:
            ingestor.feed(read_file(path))
    return ingestor.report


def ingest_items(store: Store, items: Iterable[SourceItem], *, source: str, target: str, batch_size: int = 2000,
                 progress: Callable[[int], None] | None = None) -> IngestReport:  # fmt: skip
    """Ingest one stream of items as one logged run."""
    with Ingestor(store, source=source, target=target, batch_size=batch_size, progress=progress) as ingestor:
        ingestor.feed(items)
    return ingestor.report

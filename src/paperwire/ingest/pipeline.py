"""The ingest loop: normalise, dedupe and upsert source items in batches, each in one transaction
together with the ingest log, so a run killed at any point and started again ends where an
uninterrupted run would."""
from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from paperwire.ingest.merge import merge
from paperwire.ingest.normalize import derived_id, normalize
from paperwire.sources.records import PaperRecord, RecordProblem, SourceItem
from paperwire.store import Paper, Store, UpsertCounts
from paperwire.store.store import KnownKeys

MAX_KEPT_PROBLEMS = 1_000  # all are counted; the first ones are kept for the report and the log


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
    drivers release the GIL while SQLite or PostgreSQL work)."""
    handoff: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in preparer.chunks(items):
                while not stop.is_set():
                    try:
                        handoff.put(chunk, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(_DONE)
        except BaseException as err:  # handed to the writing thread, which raises it
            handoff.put(err)

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

    def consume(self, chunks: Iterable[Chunk], *, cursor: str | None = None) -> None:
        held: Chunk | None = None
        for chunk in chunks:
            if held is not None:
                # mid-page commits of a paged source keep the last page cursor; files count items
                self._commit(*held, None, count_items=cursor is None)
            held = chunk
        if held is not None:
            self._commit(*held, cursor, count_items=cursor is None)

    def finish(self, status: str | None = None) -> IngestReport:
        report = self.report
        report.seconds = time.perf_counter() - self._started
        final = status or ("finished" if report.ok else "finished_with_errors")
        with self.store.transaction() as conn:
            self.store.update_run(conn, report.run_pk, status=final, errors=[str(p) for p in report.problems[:100]])
        return report

    # -- internals --------------------------------------------------------------------------------
    def _commit(self, batch: list[Paper], problems: list[RecordProblem], pending: int, cursor: str | None,
                *, count_items: bool) -> None:  # fmt: skip
        if not pending and cursor is None:
            return
        if cursor is None and count_items:
            cursor = f"items={self.report.seen + pending}"
        counts, resolved = UpsertCounts(), KnownKeys()
        with self.store.transaction() as conn:
            if batch:
                counts, resolved = self._upsert(conn, batch)
            report = self.report
            self.store.update_run(
                conn, report.run_pk, cursor=cursor,
                seen=pending, added=counts.added, updated=counts.updated, unchanged=counts.unchanged,
                failed=len(problems),
            )  # fmt: skip
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

    def _upsert(self, conn, batch: list[Paper]) -> tuple[UpsertCounts, KnownKeys]:
        store = self.store
        # Records without an id join the paper with the same title and first author: one already
        # stored, or one with an id in this batch; otherwise they get a stable derived id.
        anonymous = [p for p in batch if not p.id]
        if anonymous:
            known = {p.title_key: p.id for p in batch if p.id}
            known.update(store.ids_by_title_key(conn, [p.title_key for p in anonymous]))
            batch = [p if p.id else replace(p, id=known.get(p.title_key) or derived_id(p.title_key)) for p in batch]
        existing = store.load_papers(conn, [p.id for p in batch])
        merged: dict[str, Paper] = {}
        for paper in batch:  # two records may now share an id: fold them together in order
            merged[paper.id] = merge(merged[paper.id], paper) if paper.id in merged else paper
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
        counts.unchanged += len(batch) - len(merged)
        return counts, store.write_batch(conn, new, changed, self._known)


def ingest_file(store: Store, path: str, *, source: str, target: str, batch_size: int = 2000,
                progress: Callable[[int], None] | None = None, in_process: bool = False) -> IngestReport:  # fmt: skip
    """Ingest one file as one logged run; ``in_process`` prepares it in a child process."""
    from paperwire.sources.files import read_file

    ingestor = Ingestor(store, source=source, target=target, batch_size=batch_size, progress=progress)
    try:
        if in_process:
            ingestor.consume(chunks_in_process(path, batch_size))
        else:
            ingestor.feed(read_file(path))
    except BaseException:
        ingestor.finish("failed")
        raise
    return ingestor.finish()


def ingest_items(store: Store, items: Iterable[SourceItem], *, source: str, target: str, batch_size: int = 2000,
                 progress: Callable[[int], None] | None = None) -> IngestReport:  # fmt: skip
    """Ingest one stream of items as one logged run."""
    ingestor = Ingestor(store, source=source, target=target, batch_size=batch_size, progress=progress)
    try:
        ingestor.feed(items)
    except BaseException:
        ingestor.finish("failed")
        raise
    return ingestor.finish()

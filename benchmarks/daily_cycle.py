"""The daily loop, timed: one day of recorded arXiv papers (real metadata from the ~75k corpus in
../shared/data/arxiv, served as OAI-PMH pages on localhost) plus a Hugging Face day, harvested into a
fresh SQLite database in a temp dir, through every stage a harvest runs:

  fetch+ingest   ``services.harvest.harvest(index=False)``: OAI pages and the HF list, stored
  model load     the ONNX MiniLM (once per process)
  embed          ``index.embeddings.embed_missing`` (what ``services.indexing.index_new`` runs in-process)
  term index     ``pw.terms.get()`` (TF-IDF terms for related papers)
  vector index   ``pw.vectors.get(model)`` (the vectors semantic search uses)
  digest build   ``services.digest.preview`` for the listing's digest date (candidates, selection, render)

and the time from harvest start until the last paper of the listing is found by semantic search
(target <= 120 s on a 2-core machine), and the process's peak RSS. Then a backfill: ``--backfill``
papers ingested without vectors, their embedding fanned out over Redis (``index_new`` with a
dispatcher) to 1 and to 2 ``paperwire worker`` processes, papers/s each (skipped when Redis is absent).

Usage: python benchmarks/daily_cycle.py [--papers 1000] [--hf 50] [--backfill 10000] [--workers 1,2]
tests/daily/test_benchmark_runs.py runs it at tiny sizes so it keeps working.
"""
from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
REDIS = os.environ.get("PAPERWIRE_BENCH_REDIS", "redis://127.0.0.1:6379/0")
TARGET_SECONDS = 120.0
DAY = date(2026, 6, 3)  # a Wednesday's announcement
NOW = datetime(2026, 6, 4, 1, 0)  # that evening, after the harvest time (UTC)
LISTING_FROM = 70_000  # lines of the corpus the day's listing is read from
HF_FROM = 60_000
BACKFILL_FROM = 40_000


def corpus(offset: int, n: int) -> list[dict]:
    from tests.daily.recorded import FULL, SAMPLE, read_arxiv

    if FULL.exists():
        return read_arxiv(n, offset=offset, path=FULL)
    return read_arxiv(min(n, 2000), offset=offset % 2000 if n + offset % 2000 <= 2000 else 0, path=SAMPLE)


def models_into(data_dir: Path, models: str | None) -> float:
    """Point ``data_dir``/models at an existing ONNX export, or export one there; returns seconds spent."""
    from paperwire.index.embedder import export_onnx, onnx_path

    target = data_dir / "models"
    for candidate in (models, os.environ.get("PAPERWIRE_TEST_MODELS_DIR"), ROOT / "data" / "models"):
        if candidate and onnx_path(Path(candidate)).exists():
            target.symlink_to(Path(candidate).resolve(), target_is_directory=True)
            return 0.0
    started = time.monotonic()
    export_onnx(target)
    return time.monotonic() - started


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(label: str, seconds: float, note: str = "", cpu: float | None = None) -> None:
    used = f"{cpu:8.2f} s CPU" if cpu is not None else " " * 14
    print(f"  {label:<38} {seconds:8.2f} s {used}  {note}", flush=True)


class Stage:
    """Wall and CPU seconds (this process, all threads) of a block. The machine is shared: CPU time
    is the load-independent figure; wall time also counts waiting for a core."""

    def __enter__(self) -> "Stage":
        self.wall, self.cpu = time.monotonic(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.monotonic() - self.wall, time.process_time() - self.cpu


# -- one day ------------------------------------------------------------------------------------------
def daily(args, workdir: Path) -> dict:
    from paperwire.context import Paperwire
    from paperwire.index import embeddings
    from paperwire.services import digest
    from paperwire.services.harvest import harvest
    from paperwire.services.search import search
    from paperwire.settings import Settings
    from paperwire.store import Store
    from tests.daily.recorded import RecordedServer, hf_day, listing

    papers = corpus(LISTING_FROM, args.papers)
    others = corpus(HF_FROM, max(0, args.hf - args.hf // 2))
    replaced = [p["id"] for p in papers[:: max(1, len(papers) // 20)]][1:]  # ~5% replacements
    records = listing(papers, DAY, replaced=replaced)
    hf = hf_day(papers[: args.hf // 2] + others, DAY)
    data_dir = workdir / "day"
    data_dir.mkdir()
    exported = models_into(data_dir, args.models)
    if exported:
        print(f"  (exported the ONNX model first: {exported:.1f} s, not counted)")
    url = f"sqlite:///{data_dir / 'paperwire.db'}"
    with RecordedServer(page_size=args.page_size) as server:
        server.add_listing(records)
        server.set_day(DAY, hf)
        settings = Settings(database_url=url, data_dir=data_dir, harvest_sources=["arxiv", "hf"], arxiv_sets=["cs"],
                            harvest_backfill_days=2, hf_days=1, **server.settings())  # fmt: skip
        store = Store.open(url, upgrade=True)
        pw = Paperwire(settings, store)
        out: dict = {}
        print(f"one day: {len(records):,} arXiv records in pages of {args.page_size}, {len(hf)} Hugging Face papers")
        started, cpu_started = time.monotonic(), time.process_time()
        with Stage() as st:
            report = harvest(pw, now=NOW, index=False)
        assert report.ok, report.as_dict()
        out["fetch+ingest"] = st.wall
        line("fetch + ingest", st.wall, f"{report.added:,} added, {server.count('/oai')} OAI pages", st.cpu)
        with Stage() as st:
            embedder = pw.indexing_embedder()
        out["model load"] = st.wall
        line("model load", st.wall, cpu=st.cpu)
        with Stage() as st:
            # bundled=None: a day's new papers are not among the vectors shipped with the demo corpus (this
            # corpus's papers partly are), so every one is computed, as after a real harvest
            done = embeddings.embed_missing(pw.store, embedder, batch_size=256, bundled=None)
        out["embed"], out["embed cpu"] = st.wall, st.cpu
        count = done.embedded + done.imported
        line("embed", st.wall, f"{done.embedded:,} papers, one thread: {done.embedded / max(st.wall, 1e-9):.1f}/s wall, "
                               f"{1000 * st.cpu / max(done.embedded, 1):.0f} ms CPU/paper", st.cpu)  # fmt: skip
        with Stage() as st:
            terms = pw.terms.get()
        out["term index"] = st.wall
        line("term index", st.wall, f"{len(terms):,} papers", st.cpu)
        with Stage() as st:
            vectors = pw.vectors.get(embedder.name)
        out["vector index"] = st.wall
        line("vector index", st.wall, f"{len(vectors):,} vectors", st.cpu)
        last = records[-1].paper
        found = search(pw, last["title"], mode="semantic", limit=10)
        out["findable"], out["findable cpu"] = time.monotonic() - started, time.process_time() - cpu_started
        assert found.mode == "semantic" and last["id"] in [p.id for p in found.papers], "the last paper is not found"
        with Stage() as st:
            preview = digest.preview(pw, digest_date=DAY)
        out["digest build"] = st.wall
        line("digest build", st.wall, f"{sum(len(s.papers) for s in preview.selection.sections)} papers in the sample "
                                      f"digest, {preview.selection.published_in_window:,} in its window", st.cpu)  # fmt: skip
        verdict = "ok" if out["findable"] <= TARGET_SECONDS else "OVER TARGET"
        line("harvest start -> last paper findable", out["findable"], f"target <= {TARGET_SECONDS:.0f} s: {verdict} "
                                                                     f"({count:,} papers)", out["findable cpu"])  # fmt: skip
        print(f"  load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        out["peak rss MB"] = rss_mb()
        print(f"  peak RSS of this process: {out['peak rss MB']:.0f} MB")
        pw.close()
        store.close()
    return out


# -- backfill over Redis workers ----------------------------------------------------------------------
def redis_up() -> str | None:
    try:
        import redis

        client = redis.Redis.from_url(REDIS, socket_connect_timeout=1)
        client.ping()
        client.close()
        return None
    except Exception as err:  # noqa: BLE001
        return str(err)


def start_worker(env: dict, namespace: str) -> tuple[subprocess.Popen, threading.Event]:
    """A ``paperwire worker`` and an event set once it listens (its log line)."""
    proc = subprocess.Popen([sys.executable, "-m", "paperwire.cli.main", "worker", "--namespace", namespace],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    ready = threading.Event()

    def drain() -> None:
        for text in proc.stderr:
            if "paperwire worker started" in text:
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    return proc, ready


def backfill(args, workdir: Path) -> dict:
    from paperwire.context import Paperwire
    from paperwire.index import embeddings
    from paperwire.index.embedder import MINILM
    from paperwire.jobs.queue import open_queue
    from paperwire.services.indexing import index_new
    from paperwire.services.ingest import ingest_path
    from paperwire.settings import Settings
    from paperwire.store import Store

    down = redis_up()
    if down:
        print(f"backfill: skipped, Redis is not reachable at {REDIS} ({down})")
        return {}
    base = workdir / "backfill"
    base.mkdir()
    models_into(base, args.models)
    path = base / "backfill.jsonl"
    with path.open("w") as f:
        for paper in corpus(BACKFILL_FROM, args.backfill):
            f.write(json.dumps(paper) + "\n")
    seed = base / "seed.db"
    store = Store.open(f"sqlite:///{seed}", upgrade=True)
    t = time.monotonic()
    added = ingest_path(store, path).added
    store.close()
    print(f"backfill: {added:,} papers ingested without vectors in {time.monotonic() - t:.1f} s")
    out = {}
    for n in args.workers:
        db = base / f"workers{n}.db"
        shutil.copy(seed, db)
        url = f"sqlite:///{db}"
        namespace = f"pwbench-{uuid.uuid4().hex[:8]}"
        settings = Settings(database_url=url, data_dir=base, redis_url=REDIS)
        env = {**os.environ, "PAPERWIRE_DATABASE_URL": url, "PAPERWIRE_DATA_DIR": str(base),
               "PAPERWIRE_REDIS_URL": REDIS, "PYTHONPATH": str(ROOT / "src")}  # fmt: skip
        cpu_before = _children_cpu()
        workers = [start_worker(env, namespace) for _ in range(n)]
        try:
            for proc, ready in workers:
                while not ready.wait(0.2):
                    assert proc.poll() is None, "a worker exited"
            store = Store.open(url)
            queue = open_queue(settings, namespace)
            pw = Paperwire(settings, store, dispatcher=queue)
            started = time.monotonic()
            report = index_new(pw)
            while embeddings.count(store, MINILM) < added:
                time.sleep(0.5)
                assert all(proc.poll() is None for proc, _ in workers), "a worker died"
            seconds = time.monotonic() - started
            out[n] = added / seconds
            pw.close()
            queue.close()
            store.close()
        finally:
            for proc, _ in workers:
                proc.terminate()
            for proc, _ in workers:
                proc.wait(60)
            _clear(namespace)
        cpu = _children_cpu() - cpu_before
        line(f"{n} worker(s): {added:,} embedded", seconds, f"{out[n]:.1f} papers/s "
                                                           f"(load average {os.getloadavg()[0]:.1f})", cpu)  # fmt: skip
    return out


def _children_cpu() -> float:
    """CPU seconds of the ended child processes (the workers, startup included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _clear(namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)
    client.close()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=1000, help="arXiv papers in the day's listing")
    parser.add_argument("--hf", type=int, default=50, help="papers on the day's Hugging Face list (half also on arXiv)")
    parser.add_argument("--page-size", type=int, default=100, help="records per OAI-PMH page")
    parser.add_argument("--backfill", type=int, default=10_000, help="papers embedded by workers (0: skip)")
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2],
                        help="worker counts to run the backfill with, comma-separated")  # fmt: skip
    parser.add_argument("--models", help="a folder with the ONNX export (default: ./data/models, else export)")
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the recorded server's request log
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="pw-daily-") as tmp:
        results["day"] = daily(args, Path(tmp))
        if args.backfill:
            results["backfill"] = backfill(args, Path(tmp))
    return results


if __name__ == "__main__":
    main()

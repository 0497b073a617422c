"""Web load (issue 21): paperwire's dynamic pages and APIs under `wrk`, beside a bare ceiling app
(benchmarks/load_ceiling.py: FastAPI + Jinja2 over the same SQLite file, no cache) served in the SAME
run, loopback only, bounded in time (~12 endpoints x DURATION seconds).

    .venv/bin/python benchmarks/load.py                      # bundled 14.8k corpus, its shipped embeddings
    .venv/bin/python benchmarks/load.py --corpus 75k         # the 74,728-paper arXiv corpus with real MiniLM
                                                             # vectors (benchmarks/embed_cache.py, ~1 h once)
    .venv/bin/python benchmarks/load.py --duration 5 --workers 2 --ceiling-workers 1 --only feed-in search

Prepared databases are cached outside the repository (PAPERWIRE_BENCH_CACHE, default
/work/cache/paperwire-bench/<corpus>): the first run ingests, later runs reuse them. A reader is signed
in through the services (not by scraping pages), with 20 thumbs-up, 5 thumbs-down, votes and a saved
paper, so For you has a fitted model. Searches rotate through >= 200 distinct real queries (title
phrases and author names drawn from the corpus), similar through 200 papers, paper pages through 200
papers (a wrk Lua script rotates the paths), so no result cache stands in for speed.

Prints per endpoint: req/s, p50 / p99 ms, errors (socket errors + non-2xx), and the ratio of req/s to
the ceiling's matching endpoint (HTML pages to /html, JSON to /json, /healthz to /hello); the total RSS
and PSS of the server's process tree (all workers) before and after the load; the load average before
each endpoint (the machine is shared: compare ratios, not absolute figures, and re-run when it is busy).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

CACHE = Path(os.environ.get("PAPERWIRE_BENCH_CACHE", "/work/cache/paperwire-bench"))
SECRET = "load-benchmark-secret"
READER = "reader@load.bench"

LUA = r"""
local paths = {}
local idx = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  idx = math.random(#paths)
end
request = function()
  idx = idx % #paths + 1
  return wrk.format(nil, paths[idx])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.1f %.2f %.2f %.2f %d %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


# -- the prepared databases ---------------------------------------------------------------------------
SRC = ROOT / "src"  # the paperwire served (--src: another checkout's, to compare old and new in one sitting)


def env_for(data_dir: Path, workers: int | None = None) -> dict:
    env = dict(os.environ)
    env.update(PAPERWIRE_DATA_DIR=str(data_dir), PAPERWIRE_HARVEST_SOURCES="", PAPERWIRE_SECRET_KEY=SECRET,
               PYTHONPATH=str(SRC), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")  # fmt: skip
    env.pop("PAPERWIRE_DATABASE_URL", None)
    if workers is not None:
        env["PAPERWIRE_WEB_WORKERS"] = str(workers)
    return env


def cli(data_dir: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "paperwire.cli.main", *args], env=env_for(data_dir), check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def prepare(corpus: str, refresh: bool = False) -> Path:
    """The data dir of ``corpus`` (bundled | 75k), ingested and embedded once (again with ``refresh``)."""
    data_dir = CACHE / corpus
    done = data_dir / "prepared"
    if done.exists() and not refresh:
        return data_dir
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    print(f"preparing the {corpus} corpus in {data_dir} (once) ...", flush=True)
    cli(data_dir, "init")
    if corpus == "bundled":
        cli(data_dir, "ingest", "demo")  # imports the shipped vectors
    else:
        from embed_cache import DEFAULT_CORPUS, load

        cli(data_dir, "ingest", str(DEFAULT_CORPUS), "--no-embed")
        vectors = {pid: v for (pid, _h), v in load().items()}
        from paperwire.index.embedder import MINILM, text_hash
        from paperwire.store import Store
        from paperwire.store import embeddings as stored

        store = Store.open(f"sqlite:///{data_dir / 'paperwire.db'}", upgrade=True)
        papers = _papers(store)
        rows = [(pk, text_hash(title, summary), vectors[pid])
                for pk, pid, title, summary, _cat in papers if pid in vectors]  # fmt: skip
        rest = [(pk, text_hash(title, summary), cat) for pk, pid, title, summary, cat in papers if pid not in vectors]
        if rest:  # not embedded yet (embed_cache.py still running): vectors made from real ones, as search_speed.py does
            from search_speed import seeds, vectors_for

            real, by_cat = seeds()
            made = vectors_for([c or "?" for _, _, c in rest], real, by_cat, seed=21)
            rows += [(pk, h, v) for (pk, h, _), v in zip(rest, made)]
        for start in range(0, len(rows), 5000):
            stored.write(store, MINILM, rows[start : start + 5000])
        store.close()
        print(f"  {len(papers) - len(rest):,} real cached MiniLM vectors, {len(rest):,} synthesised from real ones "
              f"(run benchmarks/embed_cache.py to finish the real ones, then --refresh)", flush=True)  # fmt: skip
        (data_dir / "vectors.txt").write_text(f"real {len(papers) - len(rest)} synthesised {len(rest)}\n")
    cli(data_dir, "index", "terms")
    done.write_text("ok\n")
    return data_dir


def _papers(store):
    from sqlalchemy import text

    with store.connect() as conn:
        return conn.execute(text("SELECT pk, id, title, summary, primary_category FROM papers")).all()


def reader_and_paths(data_dir: Path, n: int = 200, seed: int = 21) -> dict:
    """Sign the reader in (through the services), give them signals, and draw the rotating paths."""
    from itsdangerous import Signer
    from sqlalchemy import text

    from paperwire.services import accounts, community
    from paperwire.services import collections as colls
    from paperwire.store import Store
    from paperwire.store import accounts as db

    store = Store.open(f"sqlite:///{data_dir / 'paperwire.db'}", upgrade=True)
    rng = random.Random(seed)
    with store.connect() as conn:
        newest = [r[0] for r in conn.execute(text("SELECT id FROM papers ORDER BY published DESC, pk DESC LIMIT 3000"))]
        titles = [r[0] for r in conn.execute(text("SELECT title FROM papers ORDER BY pk"))]
        names = [r[0] for r in conn.execute(text("SELECT name FROM authors ORDER BY pk"))]
        ids = [r[0] for r in conn.execute(text("SELECT id FROM papers WHERE pk IN (SELECT paper_pk FROM paper_embeddings)"))]
        cats = [r[0] for r in conn.execute(text(
            "SELECT category FROM paper_categories GROUP BY category ORDER BY count(*) DESC LIMIT 8"))]  # fmt: skip
    user = db.user_by_email(store, READER)
    if user is None:
        user = accounts.sign_up(store, READER, "load-benchmark-password-1", "Load Reader", verified=True)
        liked, disliked = newest[100:120], newest[200:205]
        for pid in liked:
            community.rate(store, user, pid, 1)
        for pid in disliked:
            community.rate(store, user, pid, -1)
        for pid in newest[:30:3]:  # votes on the first feed page, so the overlay has something to show
            community.vote(store, user, pid, True)
        try:
            mine = colls.create(store, user, "Reading list")
            colls.add_paper(store, mine, newest[1])
        except Exception as err:  # noqa: BLE001 - the collection API may differ between versions
            print(f"  (no collection: {err})")
    token = accounts.start_session(store, user)
    cookie = Signer(SECRET, salt="session").sign(token).decode()
    store.close()

    words = re.compile(r"[A-Za-z][A-Za-z\-]+")
    phrases: set[str] = set()
    while len(phrases) < n // 2 * 3 // 2:
        w = words.findall(rng.choice(titles))
        if len(w) >= 3:
            k = rng.choice((2, 3, 4))
            at = rng.randrange(0, max(1, len(w) - k))
            phrases.add(" ".join(w[at : at + k]).lower())
    authors = set(rng.sample([a for a in names if len(a.split()) >= 2 and a.isascii()], n // 2))
    queries = sorted(phrases)[: n - len(authors) + 20] + sorted(authors)
    rng.shuffle(queries)
    sample = rng.sample(ids, n)
    return {"cookie": cookie, "queries": queries, "similar": sample, "papers": rng.sample(newest, n),
            "categories": cats}  # fmt: skip


# -- servers ------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            sys.exit(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            with urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"server did not start:\n{log.read_text()[-3000:]}")


def start_paperwire(data_dir: Path, port: int, workers: int | None, log: Path, extra_env: dict) -> subprocess.Popen:
    args = [sys.executable, "-m", "paperwire.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        args += ["--workers", str(workers)]
    env = {**env_for(data_dir, workers), **extra_env}
    return subprocess.Popen(args, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def start_ceiling(db: Path, port: int, workers: int, log: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "uvicorn", "load_ceiling:app", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    env = {**os.environ, "PAPERWIRE_CEILING_DB": str(db), "PYTHONPATH": str(ROOT / "benchmarks")}
    return subprocess.Popen(args, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def ready(base: str, paths: list[str], cookie: str, per_path: int = 8, timeout: float = 600) -> None:
    """Wait until the server answers ``paths`` (each several times at once, so that every worker has
    loaded its model and mapped its indexes; the first worker to need a version writes the files)."""
    from concurrent.futures import ThreadPoolExecutor

    def get(path: str) -> None:
        with urlopen(Request(base + path, headers={"Cookie": f"pw_session={cookie}"}), timeout=timeout) as r:
            r.read()

    started = time.monotonic()
    with ThreadPoolExecutor(per_path * len(paths)) as pool:
        list(pool.map(get, [p for p in paths for _ in range(per_path)]))
    time.sleep(2)
    print(f"server ready in {time.monotonic() - started:.0f} s after it answered /healthz", flush=True)


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def memory(pid: int) -> tuple[float, float, int]:
    """(RSS MB summed, PSS MB summed, processes) of the process tree of ``pid``."""
    rss = pss = 0
    pids = tree(pid)
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss / 1024, pss / 1024, len(pids)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


# -- wrk ----------------------------------------------------------------------------------------------
def run_wrk(base: str, paths: list[str], work: Path, name: str, *, duration: float, connections: int,
            cookie: str | None = None, warmup: float = 0) -> dict:  # fmt: skip
    listing = work / f"{name}.paths"
    listing.write_text("\n".join(paths) + "\n")
    script = work / "rotate.lua"
    script.write_text(LUA)
    for path in paths[:3]:  # warm up (and fail early on an error)
        req = Request(base + path, headers={"Cookie": f"pw_session={cookie}"} if cookie else {})
        try:
            with urlopen(req, timeout=60) as r:
                r.read()
        except OSError as err:
            print(f"  warm-up {path}: {err}", flush=True)
    args = ["wrk", "-t1", f"-c{connections}", "--timeout", "10s", "-s", str(script)]
    if cookie:
        args += ["-H", f"Cookie: pw_session={cookie}"]
    if warmup:  # every worker process loads its models and indexes and fills its caches first
        subprocess.run(args + [f"-d{int(warmup)}s", base + paths[0], "--", str(listing)], capture_output=True, check=True)
    load = loadavg()
    out = subprocess.run(args + [f"-d{int(duration)}s", base + paths[0], "--", str(listing)], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    line = next(l for l in out.splitlines() if l.startswith("RESULT"))
    _, requests, rps, p50, p99, mx, errors, status = line.split()
    return {"name": name, "requests": int(requests), "rps": float(rps), "p50": float(p50), "p99": float(p99),
            "max": float(mx), "errors": int(errors) + int(status), "load": load, "paths": len(paths)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("bundled", "75k"), default="bundled")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint (wrk -d)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load before each endpoint")
    parser.add_argument("--workers", type=int, default=None,
                        help="paperwire serve --workers (default: the server's own default)")
    parser.add_argument("--ceiling-workers", type=int, default=1, help="uvicorn workers of the ceiling app")
    parser.add_argument("--only", nargs="*", default=None, help="endpoint names to run (default: all)")
    parser.add_argument("--src", type=Path, default=None, help="serve the paperwire of this src folder (default: this checkout's)")
    parser.add_argument("--refresh", action="store_true", help="prepare the corpus database again")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    global SRC
    if args.src is not None:
        SRC = args.src.resolve()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    data_dir = prepare(args.corpus, args.refresh)
    prep = reader_and_paths(data_dir)
    cookie, q = prep["cookie"], prep["queries"]
    from urllib.parse import quote_plus

    cats = prep["categories"]
    search_paths = [f"/api/papers/search?q={quote_plus(x)}&limit=20" for x in q]
    api_search = [f"/api/search?q={quote_plus(x)}&category={cats[i % len(cats)]}&limit=20" for i, x in enumerate(q)]
    page_search = [f"/search?q={quote_plus(x)}" for x in q]
    similar = [f"/api/papers/{pid}/similar?limit=10" for pid in prep["similar"]]
    papers = [f"/papers/{pid}" for pid in prep["papers"]]
    endpoints = [  # name, paths, signed in, compared with
        ("hello", ["/hello"], False, None, "ceiling"),
        ("html", ["/html"], False, None, "ceiling"),
        ("json", ["/json"], False, None, "ceiling"),
        ("healthz", ["/healthz"], False, "hello", "paperwire"),
        ("feed-anon", ["/"], False, "html", "paperwire"),
        ("feed-in", ["/"], True, "html", "paperwire"),
        ("paper", papers, False, "html", "paperwire"),
        ("paper-in", papers, True, "html", "paperwire"),
        ("daily-api", ["/api/daily_papers?limit=50"], False, "json", "paperwire"),
        ("hf-search", search_paths, False, "json", "paperwire"),
        ("api-search", api_search, False, "json", "paperwire"),
        ("search-page", page_search, False, "html", "paperwire"),
        ("similar", similar, False, "json", "paperwire"),
        ("for-you", ["/for-you"], True, "html", "paperwire"),
    ]
    if args.only:
        wanted = set(args.only) | {e[3] for e in endpoints if e[0] in args.only and e[3]}
        endpoints = [e for e in endpoints if e[0] in wanted]

    work = Path(tempfile.mkdtemp(prefix="pw-load-"))
    pw_port, ceil_port = free_port(), free_port()
    pw_log, ceil_log = work / "paperwire.log", work / "ceiling.log"
    server = start_paperwire(data_dir, pw_port, args.workers, pw_log, {})
    ceiling = start_ceiling(data_dir / "paperwire.db", ceil_port, args.ceiling_workers, ceil_log)
    results = []
    try:
        wait_up(f"http://127.0.0.1:{ceil_port}/hello", ceiling, ceil_log)
        wait_up(f"http://127.0.0.1:{pw_port}/healthz", server, pw_log)
        ready(f"http://127.0.0.1:{pw_port}", [search_paths[0], similar[0], "/"], cookie)
        before = memory(server.pid)
        import sqlite3

        n_papers = sqlite3.connect(data_dir / "paperwire.db").execute("SELECT count(*) FROM papers").fetchone()[0]
        print(f"paperwire load: {args.corpus} corpus ({n_papers:,} papers), wrk -t1 -c{args.connections} "
              f"-d{args.duration:g}s per endpoint, paperwire workers {args.workers or 'default'} "
              f"({before[2]} processes), ceiling workers {args.ceiling_workers}, {os.cpu_count()} cores; "
              f"{len(q)} queries, {len(similar)} similar, {len(papers)} paper pages rotating; serving {SRC}", flush=True)
        if (data_dir / "vectors.txt").exists():
            print(f"vectors: {(data_dir / 'vectors.txt').read_text().strip()}", flush=True)
        print(f"server memory before: RSS {before[0]:.0f} MB, PSS {before[1]:.0f} MB", flush=True)
        by_name = {}
        head = f"{'endpoint':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'x ceiling':>10} {'vs':>6} {'load':>5}"
        print(head, flush=True)
        for name, paths, signed, versus, which in endpoints:
            base = f"http://127.0.0.1:{ceil_port if which == 'ceiling' else pw_port}"
            r = run_wrk(base, paths, work, name, duration=args.duration, connections=args.connections,
                        cookie=cookie if signed else None, warmup=args.warmup)  # fmt: skip
            r["vs"] = versus
            r["ratio"] = r["rps"] / by_name[versus]["rps"] if versus in by_name and by_name[versus]["rps"] else None
            by_name[name] = r
            results.append(r)
            ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else ""
            print(f"{name:<12} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['errors']:>7} {ratio:>10} "
                  f"{versus or '':>6} {r['load']:>5}", flush=True)  # fmt: skip
        after = memory(server.pid)
        print(f"server memory after: RSS {after[0]:.0f} MB, PSS {after[1]:.0f} MB ({after[2]} processes); "
              f"load average {loadavg()}", flush=True)
        if args.json:
            args.json.write_text(json.dumps({"corpus": args.corpus, "papers": n_papers, "workers": args.workers,
                                             "ceiling_workers": args.ceiling_workers, "results": results,
                                             "rss_before": before, "rss_after": after}, indent=1))  # fmt: skip
    finally:
        stop(server)
        stop(ceiling)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

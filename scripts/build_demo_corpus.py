"""Build the bundled demo corpus in src/paperwire/data from ../shared/data.

The newest arXiv papers (whole days, newest first) until the compressed file reaches the budget,
plus the 753 Hugging Face daily papers with their upvotes. Output is byte-for-byte reproducible
(gzip mtime 0). Usage: python scripts/build_demo_corpus.py [--budget-mb 8.5]
"""
from __future__ import annotations

import argparse
import gzip
import io
from itertools import groupby
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "paperwire" / "data"


def gz(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(data)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget-mb", type=float, default=8.5, help="compressed size budget for the arXiv part")
    args = parser.parse_args()
    with gzip.open(SHARED / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz", "rb") as f:
        lines = f.read().splitlines()
    budget = int(args.budget_mb * 1_000_000)
    # Records are sorted by (published, id): take whole days from the end while the estimate fits.
    days = [list(group) for _, group in groupby(lines, key=lambda line: orjson.loads(line)["published"])]
    chosen: list[bytes] = []
    ratio = 0.0
    for day in reversed(days):
        candidate = day + chosen
        if ratio == 0.0 or sum(map(len, candidate)) * ratio > budget * 0.97:
            size = len(gz(b"\n".join(candidate) + b"\n"))
            ratio = size / sum(map(len, candidate))
            if size > budget:
                break
        chosen = candidate
    arxiv = gz(b"\n".join(chosen) + b"\n")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "demo_arxiv.jsonl.gz").write_bytes(arxiv)
    hf = gz((SHARED / "hf_daily" / "papers.json").read_bytes())
    (OUT / "hf_daily_papers.json.gz").write_bytes(hf)
    first = orjson.loads(chosen[0])["published"]
    last = orjson.loads(chosen[-1])["published"]
    print(f"arXiv: {len(chosen):,} papers {first}..{last}, {len(arxiv) / 1e6:.2f} MB; HF daily: {len(hf) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

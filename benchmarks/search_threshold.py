"""How weak is "weak"? Choosing services.search.WEAK_SIMILARITY on data (issue 18, item 3).

    .venv/bin/python benchmarks/search_threshold.py [--data ../shared/data/scifact] [--cache data/bench-cache]

A search whose words match no paper returns nothing when its closest paper by meaning (MiniLM cosine)
is below WEAK_SIMILARITY, instead of the nearest noise. The threshold is chosen here, not by hand:

- real queries: SciFact's 809 *train* claims (every one has relevant papers in the corpus), and the
  same claims with every word of 4+ letters misspelt (one letter swapped), as a person in a hurry
  types them: they should still get results;
- nonsense: 600 made-up queries of 1-3 pronounceable non-words ("flurbnik qwazzle"), seeded, that
  match no word of the corpus: they should get none.

For each query: the best cosine between its embedding and the corpus's document vectors (the cached
vectors of benchmarks/search_quality.py) and whether any of its words matches a paper (SQLite FTS5,
as the service checks). The threshold is the largest cosine that keeps at least KEEP (99%) of the real
and misspelt queries above it, i.e. that wrongly empties at most 1% of real queries, and the script
reports what share of the nonsense it then empties. Test queries are not looked at (the test split's
nDCG@10 is benchmarks/search_quality.py's job, before and after).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from search_quality import doc_vectors, load, records  # noqa: E402

from paperwire.index.embedder import OnnxEmbedder  # noqa: E402
from paperwire.ingest import ingest_items  # noqa: E402
from paperwire.rank.query import parse  # noqa: E402
from paperwire.store import Store  # noqa: E402
from paperwire.store import search_queries as sq  # noqa: E402

KEEP = 0.99  # real queries that must stay above the threshold
NONSENSE = 600
CONSONANTS = "bcdfghjklmnprstvwxzqy"
VOWELS = "aeiou"


def nonsense_word(rng: random.Random) -> str:
    """A pronounceable non-word of 2-4 syllables, sometimes with a keyboard-mash cluster."""
    word = "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) + (rng.choice(CONSONANTS) if rng.random() < 0.4 else "")
                   for _ in range(rng.randint(2, 4)))  # fmt: skip
    if rng.random() < 0.3:
        word = word[:2] + rng.choice(["zz", "qw", "xk", "wq", "zx"]) + word[2:]
    return word


def nonsense_queries(n: int, seed: int = 18) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(nonsense_word(rng) for _ in range(rng.randint(1, 3))) for _ in range(n)]


def misspelt(text: str, rng: random.Random) -> str:
    """Every word of 4+ letters with two neighbouring letters swapped (a common typo)."""
    out = []
    for w in text.split():
        if len(w) >= 4 and w.isalpha():
            i = rng.randrange(1, len(w) - 2)
            w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        out.append(w)
    return " ".join(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "bench-cache")
    args = parser.parse_args()
    docs, queries, qrels = load(args.data)
    embedder = OnnxEmbedder(args.cache / "models", threads=2)
    matrix = doc_vectors(docs, args.cache / "scifact-minilm.npy", embedder).astype(np.float32)
    store = Store.open(f"sqlite:///{tempfile.mkdtemp()}/scifact.db", upgrade=True)
    ingest_items(store, records(docs), source="file", target="scifact")

    rng = random.Random(7)
    train = [queries[q] for q in sorted(qrels["train"])]
    groups = {"SciFact train": train, "SciFact train, misspelt": [misspelt(q, rng) for q in train],
              "made-up words": nonsense_queries(NONSENSE)}  # fmt: skip
    best, matched = {}, {}
    for name, texts in groups.items():
        vecs = embedder.encode([parse(t).semantic_text for t in texts])
        best[name] = (vecs @ matrix.T).max(axis=1)
        matched[name] = np.array([sq.keyword_count(store, parse(t), cap=1) > 0 for t in texts])
    # the nonsense must really match nothing (a made-up word may happen to be a corpus word)
    keep = ~matched["made-up words"]
    best["made-up words"], matched["made-up words"] = best["made-up words"][keep], matched["made-up words"][keep]

    print(f"SciFact corpus {len(docs):,} documents; best cosine to any document (MiniLM), percentiles:")
    print(f"{'queries':<26} {'n':>5} {'no word matches':>16} {'p1':>6} {'p5':>6} {'p50':>6} {'p95':>6} {'max':>6}")
    for name, values in best.items():
        p = np.percentile(values, [1, 5, 50, 95])
        print(f"{name:<26} {len(values):>5} {(~matched[name]).sum():>16} {p[0]:>6.3f} {p[1]:>6.3f} {p[2]:>6.3f} "
              f"{p[3]:>6.3f} {values.max():>6.3f}")  # fmt: skip

    real = np.concatenate([best["SciFact train"], best["SciFact train, misspelt"]])
    threshold = float(np.floor(np.quantile(real, 1 - KEEP) * 100) / 100)  # rounded down to 0.01
    nonsense = best["made-up words"]
    print(f"\nthreshold: largest cosine (to 0.01) keeping >= {KEEP:.0%} of real and misspelt train queries above it "
          f"-> WEAK_SIMILARITY = {threshold:.2f}")  # fmt: skip
    for name, values in best.items():
        below = values < threshold
        gated = below & ~matched[name]  # what the service empties: no word matches AND weak
        print(f"  {name:<26} below: {below.mean():6.1%}   emptied by the service (no word matches and below): "
              f"{gated.sum()}/{len(values)} ({gated.mean():.1%})")  # fmt: skip
    print(f"  nonsense emptied: {(nonsense < threshold).mean():.1%}; real queries wrongly emptied: "
          f"{((best['SciFact train'] < threshold) & ~matched['SciFact train']).sum()} of {len(train)}")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

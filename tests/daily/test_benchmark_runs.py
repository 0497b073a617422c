"""benchmarks/daily_cycle.py runs end to end at tiny sizes (so it cannot rot unnoticed)."""
from __future__ import annotations

import importlib.util

from tests.conftest import REPO_ROOT


def test_the_daily_cycle_benchmark_runs_at_small_sizes(models_dir, arxiv_papers, capsys):
    spec = importlib.util.spec_from_file_location("daily_cycle", REPO_ROOT / "benchmarks" / "daily_cycle.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = bench.main(["--papers", "24", "--hf", "4", "--page-size", "10", "--backfill", "12", "--workers", "1",
                          "--models", str(models_dir)])  # fmt: skip
    day = results["day"]
    assert set(day) >= {"fetch+ingest", "embed", "term index", "vector index", "digest build", "findable"}
    assert day["findable"] <= bench.TARGET_SECONDS
    printed = capsys.readouterr().out
    assert "harvest start -> last paper findable" in printed and "target <= 120 s" in printed
    assert results["backfill"].get(1, 0) > 0 or "backfill: skipped" in printed

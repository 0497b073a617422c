"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import require

CHROMIUM = os.environ.get("PAPERWIRE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    require(Path(CHROMIUM).is_file(), f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-background-networking"])  # fmt: skip
        yield browser
        browser.close()


@contextmanager
def served_corpus(data: Path, papers: list[dict], *, start_timeout: float = 30, **env_extra: str):
    """``paperwire serve`` on a free port over a new SQLite database in ``data`` holding ``papers``
    (dicts in the JSONL input format), with ``PAPERWIRE_<KEY>`` settings from ``env_extra``; the server
    has ``start_timeout`` seconds to answer."""
    import gzip
    import json
    import subprocess
    import sys

    from tests.conftest import free_port, serving

    corpus = data / "papers.jsonl.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as f:
        for paper in papers:
            f.write(json.dumps(paper) + "\n")
    port = free_port()
    env = {**os.environ, "PAPERWIRE_DATA_DIR": str(data), "PAPERWIRE_BASE_URL": f"http://127.0.0.1:{port}",
           "PAPERWIRE_SECRET_KEY": "browser-test-key", **{f"PAPERWIRE_{k.upper()}": v for k, v in env_extra.items()}}  # fmt: skip
    env.pop("PAPERWIRE_DATABASE_URL", None)
    for args in (["init"], ["ingest", str(corpus), "--no-embed"]):
        subprocess.run([sys.executable, "-m", "paperwire.cli.main", *args], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)  # fmt: skip
    with serving(env, port, timeout=start_timeout) as served:
        yield served

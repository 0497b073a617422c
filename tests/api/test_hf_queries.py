"""List endpoints run a fixed number of SQL statements whatever the page size (no N+1 query can
creep in), on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from tests.factories import ingest, make_record


@pytest.fixture
def loaded(client, store):
    ingest(store, [make_record(id=f"2401.{n:05d}", published=f"2024-01-09T{n % 24:02d}:00:00",
                               title=f"Sparse experts number {n}", authors=[f"Author {n}", f"Author {n + 1}"],
                               organization={"name": f"org{n % 3}"}, upvotes=n) for n in range(60)],
           target="queries")  # fmt: skip
    return client


@pytest.mark.parametrize("url", ["/api/daily_papers?date=2024-01-09&limit={n}",
                                 "/api/daily_papers?limit={n}",
                                 "/api/daily_papers?week=2024-W02&sort=trending&limit={n}",
                                 "/api/papers/search?q=sparse+experts&limit={n}"])  # fmt: skip
def test_a_list_runs_the_same_number_of_queries_for_2_and_50_papers(loaded, count_queries, url):
    loaded.get(url.format(n=1))  # warm the per-process caches (keyword statistics) once
    counts = []
    for n in (2, 50):
        with count_queries() as statements:
            response = loaded.get(url.format(n=n))
        assert response.status_code == 200 and len(response.json()) == n
        counts.append(len(statements))
    # 13: term statistics (2), the search lexicon's change check (1), search, then the local vote and comment counts
    assert counts[0] == counts[1] <= 13, counts

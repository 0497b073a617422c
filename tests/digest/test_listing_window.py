"""A morning digest carries the arXiv listing announced the evening before."""
from __future__ import annotations

from datetime import date

from paperwire.ingest import ingest_items
from paperwire.rank.digest import window
from paperwire.store import feed_queries
from tests.factories import make_record


def _listed(title: str, datestamp: str):
    return make_record(title=title, source="oai", published="2026-11-30T10:00:00Z",
                       extra={"datestamp": datestamp, "listed_in": "cs"})  # fmt: skip


def test_the_digest_of_a_day_announces_that_days_listing_and_files_by_submission_day(store):
    last_night, earlier = _listed("Announced last night", "2026-12-02"), _listed("Announced before", "2026-12-01")
    from_a_file = make_record(title="From a file", published="2026-12-01T09:00:00Z")
    ingest_items(store, [last_night, earlier], source="oai", target="t")
    ingest_items(store, [from_a_file], source="file", target="t")
    ids = feed_queries.digest_ids(store, *window(date(2026, 12, 2), "daily"))
    assert set(ids) == {last_night.id, from_a_file.id}

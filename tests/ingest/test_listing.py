"""The listing day and kind of a paper, by arXiv's announcement schedule (pure)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from paperwire.ingest import listing
from paperwire.ingest.merge import merge
from paperwire.ingest.normalize import normalize
from paperwire.sources.records import PaperRecord


def test_a_weekend_datestamp_lists_on_monday():
    assert listing.listing_day_of_datestamp(date(2026, 12, 6)) == date(2026, 12, 7)
    assert listing.listing_day_of_datestamp(date(2026, 12, 3)) == date(2026, 12, 3)


@pytest.mark.parametrize("primary, set_spec, categories, kind", [
    ("cs.CL", "cs", (), "new"),
    ("stat.ML", "cs", (), "cross"),
    ("cs.RO", "cs", ("cs.AI", "cs.CL"), "cross"),
    ("cs.CL", "cs:cs:CL", (), "new"),
    ("cs.LG", "cs:cs:CL", (), "cross"),
])  # fmt: skip
def test_a_record_whose_primary_category_lies_outside_the_harvest_is_a_cross_list(primary, set_spec, categories, kind):
    assert listing.kind(primary, replaced=False, set_spec=set_spec, categories=categories) == kind


def _oai(**extra) -> PaperRecord:
    return PaperRecord(origin="oai", source="oai", id="2612.00001", title="A paper", summary="Text",
                       authors=["Ada Lovelace"], categories=["cs.CL", "cs.AI"], published="2026-12-01",
                       extra={"datestamp": "2026-12-03", "listed_in": "cs", **extra})  # fmt: skip


def test_a_harvested_record_is_listed_on_its_datestamp_as_new():
    paper = normalize(_oai())
    assert (paper.announced_on, paper.listing) == (date(2026, 12, 3), "new")


def test_a_record_with_a_later_version_is_a_replacement_not_new_again():
    record = _oai()
    record.updated = "2026-12-02"
    assert normalize(record).listing == "replace"
    old_version = _oai(datestamp="2026-12-30")
    assert normalize(old_version).listing == "replace"


def test_a_paper_keeps_its_first_listing_when_a_replacement_arrives():
    first = normalize(_oai())
    replacement = _oai(datestamp="2026-12-10")
    replacement.updated = "2026-12-09"
    merged = merge(first, normalize(replacement))
    assert (merged.announced_on, merged.listing) == (date(2026, 12, 3), "new")
    assert merged.updated == datetime(2026, 12, 9)


def test_a_file_record_has_no_listing_day_or_kind_to_guess_from():
    record = PaperRecord(origin="f:1", source="file", id="2612.00002", title="T", published="2026-12-04T12:00:00Z")
    paper = normalize(record)
    assert (paper.announced_on, paper.listing) == (None, None)


def test_hugging_face_fields_are_kept_and_refreshed_by_a_later_listing():
    def hf(stars: int, day: str) -> PaperRecord:
        return PaperRecord(origin="hf", source="hf", id="2612.00001", title="A paper", published="2026-12-01",
                           upvotes=stars, extra={"hf_day": day, "ai_summary": "It does X.",
                                                 "ai_keywords": ["x", "y", "x"], "github_stars": stars,
                                                 "thumbnail": "not a url"})  # fmt: skip

    first = normalize(hf(3, "2026-12-02"))
    assert (first.hf_day, first.ai_keywords, first.github_stars, first.thumbnail) == (date(2026, 12, 2), ("x", "y"), 3, None)
    later = merge(first, normalize(hf(9, "2026-12-03")))
    assert (later.hf_day, later.github_stars, later.ai_summary) == (date(2026, 12, 2), 9, "It does X.")

"""Normalising and validating one record (pure functions)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from paperwire.ingest.normalize import arxiv_id, name_key, normalize, parse_authors, parse_categories, parse_datetime
from paperwire.sources.records import RecordProblem
from paperwire.store import Organization, Paper
from tests.factories import make_record


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2401.12345", "2401.12345"),
        ("2401.12345v3", "2401.12345"),
        ("arXiv:2401.12345v2", "2401.12345"),
        ("https://arxiv.org/abs/2401.12345v2", "2401.12345"),
        ("http://export.arxiv.org/abs/2401.1234", "2401.1234"),
        ("https://arxiv.org/pdf/2401.12345v1.pdf", "2401.12345"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("2413.12345", None),  # month 13
        ("10.1000/xyz", None),
        (None, None),
    ],
)
def test_arxiv_ids_lose_their_version_and_wrapping(raw, expected):
    assert arxiv_id(raw) == expected


def test_an_id_that_is_not_arxiv_is_kept_as_given():
    paper = normalize(make_record(id="W2741809807"))
    assert paper.id == "W2741809807"
    assert paper.abs_url is None


def test_an_arxiv_id_gets_abstract_and_pdf_links():
    paper = normalize(make_record(id="arXiv:2503.11677v2"))
    assert (paper.id, paper.abs_url, paper.pdf_url) == (
        "2503.11677", "https://arxiv.org/abs/2503.11677", "https://arxiv.org/pdf/2503.11677")


def test_whitespace_is_collapsed_and_latex_kept_as_text():
    paper = normalize(make_record(title="  On  $\\mathcal{O}(n)$\n  attention  ", summary="line one\n line\ttwo <b>x</b> \\cite{a}"))
    assert paper.title == "On $\\mathcal{O}(n)$ attention"
    assert paper.summary == "line one line two <b>x</b> \\cite{a}"


def test_control_characters_are_removed():
    assert normalize(make_record(title="Nul\x00 byte\x07 title")).title == "Nul byte title"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-03-01", datetime(2026, 3, 1)),
        ("2026-03-01T23:30:00Z", datetime(2026, 3, 1, 23, 30)),
        ("2026-03-02T01:30:00+02:00", datetime(2026, 3, 1, 23, 30)),
        ("2023-12-24T10:08:59.000Z", datetime(2023, 12, 24, 10, 8, 59)),
        ("Mon, 02 Mar 2026 10:00:00 GMT", datetime(2026, 3, 2, 10)),
        ("2 Jan 2024", datetime(2024, 1, 2)),
        ("March 3, 2026", datetime(2026, 3, 3)),
        ("2026-03", datetime(2026, 3, 1)),
        ("2026", datetime(2026, 1, 1)),
        (date(2026, 3, 1), datetime(2026, 3, 1)),
    ],
)
def test_dates_become_naive_utc(raw, expected):
    assert parse_datetime(raw, "published") == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        (["Ada Lovelace", "Alan Turing"], ["Ada Lovelace", "Alan Turing"]),
        ([{"name": "Ada Lovelace"}, {"name": "Alan Turing", "hidden": False}], ["Ada Lovelace", "Alan Turing"]),
        ("Ada Lovelace, Alan Turing and Grace Hopper", ["Ada Lovelace", "Alan Turing", "Grace Hopper"]),
        ("Ada Lovelace, Alan Turing, and Grace Hopper", ["Ada Lovelace", "Alan Turing", "Grace Hopper"]),
        ("Ada Lovelace; Alexander Grand", ["Ada Lovelace", "Alexander Grand"]),
        (["Ada  Lovelace", " ", "et al."], ["Ada Lovelace"]),
    ],
)
def test_authors_come_as_lists_objects_or_one_string(raw, expected):
    assert parse_authors(raw) == expected


def test_the_title_key_fits_its_column_whatever_the_title_and_author_length():
    paper = normalize(make_record(title="t " * 450, authors=["n" * 900]))
    assert len(paper.title_key) <= 400


def test_author_keys_ignore_accents_case_and_punctuation():
    assert name_key("José  García-López") == name_key("jose garcia lopez") == "jose garcia lopez"


def test_categories_keep_arxiv_classes_and_drop_msc_codes():
    raw = ["cs.LG", "math.IT", "physics.data-an", "90C05, 90C25, 68T01", "I.2.7", "cs.LG"]
    assert parse_categories(raw) == ["cs.LG", "math.IT", "physics.data-an"]
    assert parse_categories("cs.CL cs.AI") == ["cs.CL", "cs.AI"]


def test_hugging_face_organisation_and_submitter_objects_are_read():
    paper = normalize(make_record(organization={"name": "google", "fullname": "Google"},
                                  submitted_by={"name": "akhaliq", "fullname": "AK"}, upvotes="14"))  # fmt: skip
    assert isinstance(paper, Paper)
    assert paper.organization == Organization("google", "Google")
    assert (paper.submitted_by, paper.upvotes) == ("akhaliq", 14)


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"title": None}, "title", "missing"),
        ({"title": "   "}, "title", "empty"),
        ({"published": "next tuesday"}, "published", "unrecognised date"),
        ({"published": None}, "published", "missing"),
        ({"published": "2026-02-30"}, "published", "unrecognised date"),
        ({"summary": "x" * 5_000_000}, "summary", "5,000,000 characters"),
        ({"upvotes": -3}, "upvotes", "from 0 to"),
        ({"upvotes": 3_000_000_000}, "upvotes", "from 0 to 2,147,483,647"),
        ({"published": "9999-12-31T23:00:00-05:00"}, "published", "out of range"),
        ({"categories": ["cs." + "x" * 250]}, "categories", "longer than 50"),
        ({"organization": {"name": "o" * 250}}, "organization.name", "limit is 200"),
        ({"submitted_by": "s" * 250}, "submitted_by", "limit is 200"),
        ({"id": "a" * 120 + "/1234567"}, "id", "not a usable id"),
        ({"upvotes": "many"}, "upvotes", "whole number"),
        ({"code_url": "javascript:alert(1)"}, "code_url", "http(s) URL"),
        ({"id": "has space"}, "id", "not a usable id"),
        ({"authors": 42}, "authors", "list or a string"),
    ],
)
def test_invalid_records_name_the_field_and_the_reason(fields, field, words):
    problem = normalize(make_record(origin="papers.jsonl:7", **fields))
    assert isinstance(problem, RecordProblem)
    assert (problem.origin, problem.field) == ("papers.jsonl:7", field)
    assert words in problem.message
    assert str(problem).startswith(f"papers.jsonl:7: field '{field}'")

"""The ingest loop against a real database (SQLite and PostgreSQL): dedupe, merge, idempotence,
bad records reported while good ones are kept, and nothing half-written."""
from __future__ import annotations

import json

import pytest

from paperwire.services.ingest import ingest_path
from paperwire.sources.records import RecordProblem
from paperwire.store import Organization
from tests.factories import ingest, make_record


def test_ingesting_the_same_records_twice_changes_nothing(store):
    records = [make_record() for _ in range(25)]
    first = ingest(store, records, batch_size=7)
    before = {p.id: p for p in store.latest_papers(100)}
    second = ingest(store, records, batch_size=7)
    assert (first.added, second.added, second.updated, second.unchanged) == (25, 0, 0, 25)
    assert {p.id: p for p in store.latest_papers(100)} == before


def test_one_paper_per_arxiv_id_whatever_the_version(store):
    ingest(store, [make_record(id="2501.00001v1", title="Old title")])
    report = ingest(store, [make_record(id="https://arxiv.org/abs/2501.00001v3", title="New title")])
    assert (report.added, report.updated) == (0, 1)
    assert store.get_paper("2501.00001").title == "New title"
    assert store.stats()["papers"] == 1


def test_a_record_without_id_joins_the_paper_with_the_same_title_and_first_author(store):
    ingest(store, [make_record(id="2501.00002", title="Attention Is All You Need", authors=["Ashish Vaswani", "Noam Shazeer"])])
    report = ingest(store, [make_record(id=None, title="attention is all you need!", authors="ashish vaswani and N. Shazeer",
                                         comment="NeurIPS 2017")])  # fmt: skip
    assert (report.added, report.updated) == (0, 1)
    assert store.get_paper("2501.00002").comment == "NeurIPS 2017"


def test_a_record_without_id_and_no_match_gets_a_stable_derived_id(store):
    report = ingest(store, [make_record(id=None, title="A paper with no identifier")])
    paper = store.latest_papers(1)[0]
    assert report.added == 1 and paper.id.startswith("pw-")
    again = ingest(store, [make_record(id=None, title="A paper with no identifier")])
    assert again.unchanged == 1 and store.latest_papers(5)[0].id == paper.id


def test_arxiv_and_hugging_face_records_of_one_paper_become_one_record(store):
    arxiv = make_record(id="2401.00003", categories=["cs.CV"], source="file")
    hf = make_record(id="2401.00003", title=arxiv.title, authors=arxiv.authors, categories=None, source="hf", upvotes=87,
                     organization={"name": "nvidia", "fullname": "NVIDIA"}, published="2024-01-04T12:00:00Z")  # fmt: skip
    ingest(store, [arxiv])
    ingest(store, [hf])
    paper = store.get_paper("2401.00003")
    assert (paper.upvotes, paper.organization, paper.categories) == (87, Organization("nvidia", "NVIDIA"), ("cs.CV",))
    assert store.stats()["papers"] == 1


def test_duplicate_ids_inside_one_input_keep_the_first_and_report_the_second(store):
    report = ingest(store, [make_record(id="2401.00004", origin="f.jsonl:1", title="First"),
                             make_record(id="2401.00004v2", origin="f.jsonl:9", title="Second")])  # fmt: skip
    assert (report.added, report.failed) == (1, 1)
    assert str(report.problems[0]) == "f.jsonl:9: field 'id': duplicate id 2401.00004 in this input (first at f.jsonl:1)"
    assert store.get_paper("2401.00004").title == "First"


def test_bad_records_are_reported_and_good_ones_kept(store):
    items = [
        make_record(id="2401.00005"),
        make_record(origin="f.jsonl:2", title=None),
        RecordProblem("f.jsonl:3", None, "invalid JSON: unexpected end of data"),
        make_record(origin="f.jsonl:4", published="yesterday-ish"),
        make_record(id="2401.00006"),
    ]
    report = ingest(store, items)
    assert (report.seen, report.added, report.failed) == (5, 2, 3)
    assert [p.origin for p in report.problems] == ["f.jsonl:2", "f.jsonl:3", "f.jsonl:4"]
    run = store.runs(limit=1)[0]
    assert run.status == "finished_with_errors" and run.failed == 3 and len(run.errors) == 3


def test_a_malformed_file_reports_file_line_and_field_and_keeps_the_good_lines(store, tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = {"id": "2402.00001", "title": "Fine", "summary": "ok", "authors": ["A B"], "published": "2026-01-01"}
    lines = [
        json.dumps(good).encode(),
        b'{"id": "2402.00002", "title": "Trunc',
        json.dumps({**good, "id": "2402.00003", "title": ""}).encode(),
        json.dumps({**good, "id": "2402.00004", "published": "31/31/2026"}).encode(),
        json.dumps({**good, "id": "2402.00005", "title": "caf\xe9"}).encode()[:-20] + b"\xff\xfe" + b'"}',
        json.dumps({**good, "id": "2402.00006", "summary": "x" * 5_000_000}).encode(),
        json.dumps({**good, "id": "2402.00001"}).encode(),
        json.dumps({**good, "id": "2402.00007"}).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = ingest_path(store, path)
    assert (report.added, report.failed) == (2, 6)
    messages = [str(p) for p in report.problems]
    assert [m.split(": ", 1)[0] for m in messages] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6, 7)]
    assert "invalid JSON" in messages[0]
    assert "field 'title'" in messages[1]
    assert "field 'published'" in messages[2]
    assert "UTF-8" in messages[3]
    assert "field 'summary'" in messages[4] and "5,000,000" in messages[4]
    assert "duplicate id 2402.00001" in messages[5]
    assert {p.id for p in store.latest_papers(10)} == {"2402.00001", "2402.00007"}


def test_the_shared_arxiv_sample_ingests_as_it_is(store, shared_data):
    report = ingest_path(store, shared_data / "arxiv" / "arxiv_sample_2k.jsonl")
    assert (report.seen, report.added, report.failed) == (2000, 2000, 0)
    paper = store.get_paper("2503.11781")
    assert paper.title == "Color Matching Using Hypernetwork-Based Kolmogorov-Arnold Networks"
    assert paper.authors and paper.categories


def test_the_shared_hugging_face_papers_keep_their_upvotes(store, shared_data):
    report = ingest_path(store, shared_data / "hf_daily" / "papers.json")
    assert (report.added, report.failed) == (753, 0)
    paper = store.get_paper("2312.17653")
    assert paper.upvotes == 29 and paper.title.startswith("LARP")


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_batch_size_does_not_change_the_result(sqlite_store, batch_size):
    records = [make_record(id=f"2403.{i:05d}") for i in range(1, 12)] + [make_record(id="2403.00003", upvotes=5)]
    report = ingest(sqlite_store, records, batch_size=batch_size)
    assert (report.added, report.failed) == (11, 1)


@pytest.mark.slow
def test_the_whole_shared_arxiv_corpus_ingests_as_it_is(sqlite_store, shared_data):
    report = ingest_path(sqlite_store, shared_data / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz")
    assert (report.seen, report.added, report.failed) == (74_728, 74_728, 0)
    stats = sqlite_store.stats()
    assert (stats["first_published"], stats["last_published"]) == ("2025-03-18", "2026-07-01")

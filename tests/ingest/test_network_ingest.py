"""Network sources end to end into a real database, against recorded responses served on localhost:
OAI-PMH incremental harvest with a persisted cursor and resume after a failure, the arXiv API and
Hugging Face daily papers."""
from __future__ import annotations

import json
from datetime import date

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from paperwire.cli.main import app
from paperwire.services import ingest as svc
from paperwire.settings import Settings
from paperwire.sources.errors import SourceError

XML = "text/xml; charset=utf-8"
TOKEN = "7841391|1001"
FIRST = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2025-05-27"}
RESUME = {"verb": "ListRecords", "resumptionToken": TOKEN}


def _oai(fixtures_dir, name):
    return (fixtures_dir / "oai" / name).read_bytes()


@pytest.fixture
def settings(httpserver: HTTPServer, db_url) -> Settings:
    return Settings(database_url=db_url, arxiv_oai_url=httpserver.url_for("/oai"),
                    arxiv_api_url=httpserver.url_for("/api/query"), hf_endpoint=httpserver.url_for("").rstrip("/"))  # fmt: skip


def test_oai_harvest_stores_every_live_record_and_the_cursor(store, settings, httpserver, fixtures_dir):
    httpserver.expect_request("/oai", query_string=FIRST).respond_with_data(_oai(fixtures_dir, "list_records_page1.xml"), content_type=XML)
    httpserver.expect_request("/oai", query_string=RESUME).respond_with_data(_oai(fixtures_dir, "list_records_page2.xml"), content_type=XML)
    report = svc.ingest_oai(store, settings, date(2025, 5, 27))
    assert (report.added, report.failed) == (4, 0)  # 5 records, one of them deleted
    cursor = json.loads(store.runs(source="oai", limit=1)[0].cursor)
    assert cursor == {"from": "2025-05-27", "token": None, "datestamp": "2025-05-29"}


def test_the_next_oai_harvest_continues_from_the_newest_datestamp(store, settings, httpserver, fixtures_dir):
    httpserver.expect_request("/oai", query_string=FIRST).respond_with_data(_oai(fixtures_dir, "list_records_page1.xml"), content_type=XML)
    httpserver.expect_request("/oai", query_string=RESUME).respond_with_data(_oai(fixtures_dir, "list_records_page2.xml"), content_type=XML)
    svc.ingest_oai(store, settings, date(2025, 5, 27))
    httpserver.clear()
    later = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2025-05-29"}
    httpserver.expect_request("/oai", query_string=later).respond_with_data(_oai(fixtures_dir, "no_records_match.xml"), content_type=XML)
    report = svc.ingest_oai(store, settings)
    assert report.seen == 0
    assert len(httpserver.log) == 1 and httpserver.log[0][0].args["from"] == "2025-05-29"


def test_an_oai_harvest_that_fails_midway_resumes_from_its_token_and_ends_complete(store, settings, httpserver, fixtures_dir):
    httpserver.expect_request("/oai", query_string=FIRST).respond_with_data(_oai(fixtures_dir, "list_records_page1.xml"), content_type=XML)
    httpserver.expect_request("/oai", query_string=RESUME).respond_with_data("down", status=500)
    with pytest.raises(SourceError):
        svc.ingest_oai(store, settings, date(2025, 5, 27), sleep=lambda s: None)
    failed = store.runs(source="oai", limit=1)[0]
    assert failed.status == "failed" and json.loads(failed.cursor)["token"] == TOKEN
    assert store.stats()["papers"] == 2  # the first page was committed
    httpserver.clear()
    httpserver.expect_request("/oai", query_string=RESUME).respond_with_data(_oai(fixtures_dir, "list_records_page2.xml"), content_type=XML)
    report = svc.ingest_oai(store, settings)  # no --from: resume
    assert report.added == 2 and store.stats()["papers"] == 4
    assert [entry[0].args.get("resumptionToken") for entry in httpserver.log] == [TOKEN]


def test_arxiv_api_papers_are_stored_without_version(store, settings, httpserver, fixtures_dir):
    for start, name in ((0, "page1.xml"), (3, "page2.xml")):
        httpserver.expect_request("/api/query", query_string={
            "search_query": "cat:cs.CL AND submittedDate:[202505240000 TO 202505262359]", "start": str(start),
            "max_results": "100", "sortBy": "submittedDate", "sortOrder": "ascending",
        }).respond_with_data((fixtures_dir / "arxiv_api" / name).read_bytes(), content_type="application/atom+xml")  # fmt: skip
    report = svc.ingest_arxiv(store, settings, ["cs.CL"], date(2025, 5, 24), date(2025, 5, 26), min_interval=0)
    assert report.failed == 0 and report.added >= 3
    paper = store.get_paper("2505.18653")
    assert paper is not None and paper.pdf_url and "v" not in paper.id


def test_hugging_face_daily_papers_keep_upvotes_organisation_and_submitter(store, settings, httpserver, fixtures_dir):
    payload = (fixtures_dir / "hf" / "daily_papers_2024-01-09.json").read_bytes()
    httpserver.expect_request("/api/daily_papers").respond_with_data(payload, content_type="application/json")
    report = svc.ingest_hf_daily(store, settings, [date(2024, 1, 9)])
    assert report.failed == 0 and report.added == len(json.loads(payload))
    paper = store.get_paper("2401.04088")
    assert (paper.upvotes, paper.organization.key, paper.submitted_by) == (145, "mistralai", "akhaliq")
    assert paper.code_url == "https://github.com/mistralai/mistral-src"


def test_the_cli_harvests_oai_and_prints_json(tmp_path, httpserver, fixtures_dir, monkeypatch):
    httpserver.expect_request("/oai", query_string=FIRST).respond_with_data(_oai(fixtures_dir, "list_records_page1.xml"), content_type=XML)
    httpserver.expect_request("/oai", query_string=RESUME).respond_with_data(_oai(fixtures_dir, "list_records_page2.xml"), content_type=XML)
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PAPERWIRE_ARXIV_OAI_URL", httpserver.url_for("/oai"))
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["ingest", "oai", "--from", "2025-05-27", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["added"] == 4


def test_an_oai_harvest_that_committed_nothing_keeps_the_previous_cursor(store, settings, httpserver, fixtures_dir):
    httpserver.expect_request("/oai", query_string=FIRST).respond_with_data(_oai(fixtures_dir, "list_records_page1.xml"), content_type=XML)
    httpserver.expect_request("/oai", query_string=RESUME).respond_with_data(_oai(fixtures_dir, "list_records_page2.xml"), content_type=XML)
    svc.ingest_oai(store, settings, date(2025, 5, 27))
    httpserver.clear()
    httpserver.expect_request("/oai").respond_with_data("down", status=503)
    with pytest.raises(SourceError):
        svc.ingest_oai(store, settings, sleep=lambda s: None)  # fails before committing anything
    httpserver.clear()
    later = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2025-05-29"}
    httpserver.expect_request("/oai", query_string=later).respond_with_data(_oai(fixtures_dir, "no_records_match.xml"), content_type=XML)
    svc.ingest_oai(store, settings)
    assert [entry[0].args.get("from") for entry in httpserver.log] == ["2025-05-29"]

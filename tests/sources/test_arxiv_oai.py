"""arXiv OAI-PMH source against recorded ListRecords responses served on localhost."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from lxml import etree
from pytest_httpserver import HTTPServer

from paperwire.sources.arxiv_oai import ArxivOaiSource, record_from_arxiv_metadata
from paperwire.sources.errors import ResumptionTokenExpired
from paperwire.sources.http import parse_retry_after
from paperwire.sources.records import PaperRecord

TOKEN = "7841391|1001"
FIRST_QUERY = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2025-05-27"}
RESUME_QUERY = {"verb": "ListRecords", "resumptionToken": TOKEN}
XML = "text/xml; charset=utf-8"


def fixture(fixtures_dir: Path, name: str) -> bytes:
    return (fixtures_dir / "oai" / name).read_bytes()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def source(httpserver: HTTPServer, sleeps: list[float]) -> ArxivOaiSource:
    return ArxivOaiSource(base_url=httpserver.url_for("/oai"), sleep=sleeps.append)


@pytest.fixture
def two_pages(httpserver: HTTPServer, fixtures_dir: Path) -> HTTPServer:
    httpserver.expect_request("/oai", query_string=FIRST_QUERY).respond_with_data(
        fixture(fixtures_dir, "list_records_page1.xml"), content_type=XML)
    httpserver.expect_request("/oai", query_string=RESUME_QUERY).respond_with_data(
        fixture(fixtures_dir, "list_records_page2.xml"), content_type=XML)
    return httpserver


def test_follows_resumption_token_and_yields_each_page_with_its_token(
        two_pages: HTTPServer, source: ArxivOaiSource) -> None:
    pages = list(source.harvest(date(2025, 5, 27)))

    assert [page.resumption_token for page in pages] == [TOKEN, None]
    assert [[item.id for item in page.items] for page in pages] == [
        ["2505.18358", "2505.18585"], ["2505.19504", "2505.19914"]]
    assert [request.args.to_dict() for request, _ in two_pages.log] == [FIRST_QUERY, RESUME_QUERY]
    assert pages[0].url == two_pages.url_for("/oai") + "?verb=ListRecords&metadataPrefix=arXiv&set=cs&from=2025-05-27"


def test_page_reports_highest_datestamp(two_pages: HTTPServer, source: ArxivOaiSource) -> None:
    first, second = source.harvest(date(2025, 5, 27))

    assert first.max_datestamp == "2025-05-28"             # the deleted record's datestamp counts
    assert second.max_datestamp == "2025-05-29"


def test_maps_arxiv_metadata_fields(two_pages: HTTPServer, source: ArxivOaiSource) -> None:
    first, second = source.harvest(date(2025, 5, 27))
    rvllm, doge = first.items[1], second.items[0]

    assert isinstance(rvllm, PaperRecord) and rvllm.source == "oai"
    assert rvllm.title == "RvLLM: LLM Runtime Verification with Domain Knowledge"
    assert rvllm.authors[0] == "Yedi Zhang"
    assert rvllm.categories == ["cs.AI", "cs.CL", "cs.LO"]
    assert rvllm.published == "2025-05-24"
    assert rvllm.updated == "2025-05-27"
    assert rvllm.comment == "12 pages, 2 figures"
    assert "runtime verification" in rvllm.summary
    assert rvllm.extra["license"] == "http://creativecommons.org/licenses/by/4.0/"
    assert rvllm.extra["datestamp"] == "2025-05-27"
    assert rvllm.origin == first.url + "#oai:arXiv.org:2505.18585"
    assert doge.doi == "10.18653/v1/2025.findings-acl.1021"
    assert doge.journal_ref == "Findings of the Association for Computational Linguistics: ACL 2025"


def test_skips_deleted_record(two_pages: HTTPServer, source: ArxivOaiSource) -> None:
    ids = [item.id for page in source.harvest(date(2025, 5, 27)) for item in page.items]

    assert "2505.18411" not in ids
    assert len(ids) == 4


def test_resume_from_token_requests_only_the_token(two_pages: HTTPServer, source: ArxivOaiSource) -> None:
    pages = list(source.harvest(date(2025, 5, 27), resumption_token=TOKEN))

    assert [request.args.to_dict() for request, _ in two_pages.log] == [RESUME_QUERY]
    assert [item.id for item in pages[0].items] == ["2505.19504", "2505.19914"]


def test_passes_from_and_until(httpserver: HTTPServer, fixtures_dir: Path, source: ArxivOaiSource) -> None:
    httpserver.expect_request("/oai").respond_with_data(
        fixture(fixtures_dir, "list_records_page2.xml"), content_type=XML)

    list(source.harvest(date(2025, 5, 27), date(2025, 5, 29)))

    assert httpserver.log[0][0].args.to_dict() == FIRST_QUERY | {"until": "2025-05-29"}


def test_no_records_match_is_an_empty_harvest(
        httpserver: HTTPServer, fixtures_dir: Path, source: ArxivOaiSource) -> None:
    httpserver.expect_request("/oai").respond_with_data(
        fixture(fixtures_dir, "no_records_match.xml"), content_type=XML)

    assert list(source.harvest(date(2025, 6, 1))) == []


def test_503_retry_after_is_honoured(
        two_pages: HTTPServer, fixtures_dir: Path, source: ArxivOaiSource, sleeps: list[float]) -> None:
    two_pages.expect_oneshot_request("/oai", query_string=FIRST_QUERY).respond_with_data(
        fixture(fixtures_dir, "retry_after_503.html"), status=503, headers={"Retry-After": "2"},
        content_type="text/html")

    pages = list(source.harvest(date(2025, 5, 27)))

    assert sleeps == [2]
    assert [response.status_code for _, response in two_pages.log] == [503, 200, 200]
    assert sum(len(page.items) for page in pages) == 4


def test_long_retry_after_is_capped(
        two_pages: HTTPServer, fixtures_dir: Path, source: ArxivOaiSource, sleeps: list[float]) -> None:
    two_pages.expect_oneshot_request("/oai", query_string=FIRST_QUERY).respond_with_data(
        fixture(fixtures_dir, "retry_after_503.html"), status=503, headers={"Retry-After": "86400"})

    list(source.harvest(date(2025, 5, 27)))

    assert sleeps == [300]


def test_retry_after_may_be_an_http_date() -> None:
    now = datetime(2025, 5, 30, 6, 0, 0, tzinfo=timezone.utc)

    assert parse_retry_after("Fri, 30 May 2025 06:00:45 GMT", now=now) == 45.0
    assert parse_retry_after("soon", now=now) is None


def test_expired_token_raises_resumption_token_expired(
        httpserver: HTTPServer, fixtures_dir: Path, source: ArxivOaiSource) -> None:
    httpserver.expect_request("/oai").respond_with_data(
        fixture(fixtures_dir, "bad_resumption_token.xml"), content_type=XML)

    with pytest.raises(ResumptionTokenExpired) as raised:
        list(source.harvest(None, resumption_token=TOKEN))

    assert "resumptionToken=7841391%7C1001" in raised.value.url


def test_author_names_join_forenames_keyname_and_suffix() -> None:
    record = etree.fromstring(b"""
    <record xmlns="http://www.openarchives.org/OAI/2.0/"><metadata>
      <arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>hep-ex/0307015</id><authors>
        <author><keyname>Smith</keyname><forenames>John A.</forenames><suffix>Jr</suffix></author>
        <author><keyname>ATLAS Collaboration</keyname></author>
      </authors></arXiv>
    </metadata></record>""")

    parsed = record_from_arxiv_metadata(record, "test#1")

    assert parsed.id == "hep-ex/0307015"
    assert parsed.authors == ["John A. Smith Jr", "ATLAS Collaboration"]

"""arXiv query API source against recorded Atom responses served on localhost."""
from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from paperwire.sources.arxiv_api import ArxivApiSource
from paperwire.sources.errors import SourceError
from paperwire.sources.records import PaperRecord

QUERY = "cat:cs.CL AND submittedDate:[202505240000 TO 202505262359]"
SINCE, UNTIL = date(2025, 5, 24), date(2025, 5, 26)
ATOM = "application/atom+xml; charset=utf-8"


class FakeTime:
    """A monotonic clock that only moves when slept on (or advanced by a request handler)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def page_query(start: int, size: int = 3) -> dict[str, str]:
    return {"search_query": QUERY, "start": str(start), "max_results": str(size),
            "sortBy": "submittedDate", "sortOrder": "ascending"}


@pytest.fixture
def pages(httpserver: HTTPServer, fixtures_dir: Path) -> HTTPServer:
    """Serve the two recorded pages of the query."""
    for start, name in ((0, "page1.xml"), (3, "page2.xml")):
        httpserver.expect_request("/api/query", query_string=page_query(start)).respond_with_data(
            (fixtures_dir / "arxiv_api" / name).read_bytes(), content_type=ATOM)
    return httpserver


def make_source(server: HTTPServer, fake: FakeTime, **kwargs: object) -> ArxivApiSource:
    options: dict = {"page_size": 3, "min_interval": 3.0} | kwargs
    return ArxivApiSource(base_url=server.url_for("/api/query"), sleep=fake.sleep, clock=fake.clock, **options)


def test_fetch_pages_until_total_results(pages: HTTPServer) -> None:
    items = list(make_source(pages, FakeTime()).fetch("cs.CL", SINCE, UNTIL))

    assert [item.id for item in items] == [
        "2505.18653v2", "2505.18878v1", "2505.18962v1", "2505.19037v1", "2505.19604v1"]
    assert len(pages.log) == 2
    assert all(isinstance(item, PaperRecord) and item.source == "arxiv" for item in items)


def test_fetch_maps_entry_fields(pages: HTTPServer) -> None:
    first, *_, cross_listed, last = list(make_source(pages, FakeTime()).fetch("cs.CL", SINCE, UNTIL))

    assert isinstance(first, PaperRecord)
    assert first.title.startswith("Climate-Eval: A Comprehensive Benchmark")
    assert "news classification dataset" in first.summary
    assert first.authors == ["Murathan Kurfalı", "Shorouq Zahra", "Joakim Nivre", "Gabriele Messori"]
    assert first.categories == ["cs.CL"]
    assert first.published == "2025-05-24T09:41:17Z"
    assert first.updated == "2025-05-30T14:20:05Z"
    assert first.comment == "Accepted to ClimateNLP 2025@ACL"
    assert first.doi == "10.18653/v1/2025.climatenlp-1.17"
    assert first.journal_ref.startswith("Proceedings of the 2nd Workshop")
    assert first.abs_url == "http://arxiv.org/abs/2505.18653v2"
    assert first.pdf_url == "http://arxiv.org/pdf/2505.18653v2"
    assert first.origin.startswith(pages.url_for("/api/query") + "?search_query=")
    assert first.origin.endswith("start=0&max_results=3&sortBy=submittedDate&sortOrder=ascending#entry=0")
    assert cross_listed.categories == ["eess.AS", "cs.CL"]     # primary first
    assert last.categories == ["cs.CL", "cs.LG"]
    assert last.doi is None and last.comment is None


def test_second_request_waits_until_min_interval_after_first(pages: HTTPServer, fixtures_dir: Path) -> None:
    fake = FakeTime()
    starts: list[float] = []

    def slow_page(request: Request) -> Response:
        starts.append(fake.now)
        fake.now += 1.25                                  # the request itself takes 1.25 s
        name = "page1.xml" if request.args["start"] == "0" else "page2.xml"
        return Response((fixtures_dir / "arxiv_api" / name).read_bytes(), content_type=ATOM)

    pages.clear()
    pages.expect_request("/api/query").respond_with_handler(slow_page)

    items = list(make_source(pages, fake).fetch("cs.CL", SINCE, UNTIL))

    assert len(items) == 5
    assert fake.sleeps == [pytest.approx(1.75)]           # 3.0 s between starts, 1.25 s already spent
    assert starts[1] - starts[0] == pytest.approx(3.0)


def test_retries_after_503_then_succeeds(pages: HTTPServer) -> None:
    pages.expect_oneshot_request("/api/query", query_string=page_query(0)).respond_with_data(
        "Service Unavailable", status=503)
    fake = FakeTime()

    items = list(make_source(pages, fake, min_interval=0).fetch("cs.CL", SINCE, UNTIL))

    assert len(items) == 5
    assert [response.status_code for _, response in pages.log] == [503, 200, 200]
    assert fake.sleeps == [2.0]                           # first backoff step


def test_honours_retry_after_header(pages: HTTPServer) -> None:
    pages.expect_oneshot_request("/api/query", query_string=page_query(0)).respond_with_data(
        "", status=503, headers={"Retry-After": "7"})
    fake = FakeTime()

    assert len(list(make_source(pages, fake, min_interval=0).fetch("cs.CL", SINCE, UNTIL))) == 5
    assert fake.sleeps == [7.0]


def test_final_failure_raises_source_error_naming_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/query").respond_with_data("busy", status=503)
    fake = FakeTime()
    source = make_source(httpserver, fake, min_interval=0, max_retries=2)

    with pytest.raises(SourceError) as raised:
        list(source.fetch("cs.CL", SINCE, UNTIL))

    assert raised.value.url.startswith(httpserver.url_for("/api/query") + "?search_query=cat%3Acs.CL")
    assert raised.value.url in str(raised.value)
    assert "HTTP 503" in str(raised.value)
    assert fake.sleeps == [2.0, 4.0]
    assert len(httpserver.log) == 3


def test_connection_error_is_retried_then_raises_source_error() -> None:
    with socket.socket() as sock:                         # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = FakeTime()
    source = ArxivApiSource(base_url=f"http://127.0.0.1:{port}/api/query", min_interval=0, max_retries=1,
                            sleep=fake.sleep, clock=fake.clock)

    with pytest.raises(SourceError, match="ConnectError") as raised:
        list(source.fetch("cs.CL", SINCE, UNTIL))

    assert raised.value.url.startswith(f"http://127.0.0.1:{port}/api/query?")
    assert fake.sleeps == [2.0]


def test_api_error_feed_raises_source_error(httpserver: HTTPServer, fixtures_dir: Path) -> None:
    httpserver.expect_request("/api/query").respond_with_data(
        (fixtures_dir / "arxiv_api" / "error.xml").read_bytes(), content_type=ATOM)

    with pytest.raises(SourceError, match="incorrect id format for 2505.1865x"):
        list(make_source(httpserver, FakeTime()).fetch("cs.CL", SINCE, UNTIL))


def test_fetch_ids_asks_for_an_id_list(httpserver: HTTPServer, fixtures_dir: Path) -> None:
    for paper_id, name in (("2505.18878", "id_list.xml"), ("2505.99999", "id_list_empty.xml")):
        httpserver.expect_request("/api/query", query_string={"id_list": paper_id, "max_results": "1"}).respond_with_data(
            (fixtures_dir / "arxiv_api" / name).read_bytes(), content_type=ATOM)
    source = make_source(httpserver, FakeTime())

    [found] = list(source.fetch_ids(["2505.18878"]))
    assert isinstance(found, PaperRecord) and found.id == "2505.18878v1" and found.title.startswith("CRMArena-Pro")
    assert list(source.fetch_ids(["2505.99999"])) == [] and list(source.fetch_ids([])) == []
    assert len(httpserver.log) == 2

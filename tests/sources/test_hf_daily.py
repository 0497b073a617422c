"""Hugging Face daily papers: parsing a recorded /api/daily_papers payload and fetching it from localhost."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from paperwire.sources.hf_daily import HfDailySource, parse_daily_papers
from paperwire.sources.records import PaperRecord, RecordProblem

ORIGIN = "https://huggingface.co/api/daily_papers?date=2024-01-09"


@pytest.fixture
def payload(fixtures_dir: Path) -> list[dict[str, Any]]:
    return json.loads((fixtures_dir / "hf" / "daily_papers_2024-01-09.json").read_text(encoding="utf-8"))


def test_maps_paper_and_listing_fields(payload: list[dict[str, Any]]) -> None:
    mixtral, moe_mamba, gpt4v, agg = parse_daily_papers(payload, ORIGIN)

    assert isinstance(mixtral, PaperRecord) and mixtral.source == "hf"
    assert mixtral.id == "2401.04088"
    assert mixtral.title == "Mixtral of Experts"
    assert mixtral.authors[:2] == ["Albert Q. Jiang", "Alexandre Sablayrolles"]
    assert len(mixtral.authors) == 26
    assert mixtral.summary.startswith("We introduce Mixtral 8x7B")
    assert mixtral.published == "2024-01-08T18:47:34.000Z"
    assert mixtral.upvotes == 145
    assert mixtral.num_comments == 7
    assert mixtral.organization == {"name": "mistralai", "fullname": "Mistral AI_"}
    assert mixtral.submitted_by == {"name": "akhaliq", "fullname": "AK"}
    assert mixtral.code_url == "https://github.com/mistralai/mistral-src"
    assert mixtral.extra["submitted_on_daily_at"] == "2024-01-09T01:42:31.018Z"
    assert mixtral.extra["github_stars"] == 9312
    assert mixtral.origin == ORIGIN + "#item=0"
    assert moe_mamba.organization == {"name": "ideas-ncbr", "fullname": "IDEAS NCBR"}
    assert gpt4v.organization is None and gpt4v.code_url == "https://github.com/3DTopia/GPTEval3D"
    assert agg.project_url == "https://ir1d.github.io/AGG/" and agg.code_url is None
    assert agg.num_comments == 0


def test_malformed_item_gives_problem_and_others_are_kept(payload: list[dict[str, Any]]) -> None:
    del payload[1]["paper"]["id"]
    payload[2]["organization"] = "not an object"

    items = list(parse_daily_papers(payload, ORIGIN))

    problems = [item for item in items if isinstance(item, RecordProblem)]
    assert [(p.origin, p.field) for p in problems] == [
        (ORIGIN + "#item=1", "paper.id"), (ORIGIN + "#item=2", "organization")]
    assert [item.id for item in items if isinstance(item, PaperRecord)] == ["2401.04088", "2401.04099"]


def test_item_that_is_not_an_object_gives_problem(payload: list[dict[str, Any]]) -> None:
    items = list(parse_daily_papers([None, payload[0]], ORIGIN))

    assert isinstance(items[0], RecordProblem) and items[0].origin == ORIGIN + "#item=0"
    assert isinstance(items[1], PaperRecord)


def test_fetch_requests_daily_papers_for_the_day(httpserver: HTTPServer, payload: list[dict[str, Any]]) -> None:
    httpserver.expect_request("/api/daily_papers", query_string={"date": "2024-01-09", "limit": "100"}
                              ).respond_with_json(payload)

    items = list(HfDailySource(endpoint=httpserver.url_for("/")).fetch(date(2024, 1, 9)))

    assert [item.id for item in items] == ["2401.04088", "2401.04081", "2401.04092", "2401.04099"]
    assert items[0].origin == httpserver.url_for("/api/daily_papers") + "?date=2024-01-09&limit=100#item=0"
    assert len(httpserver.log) == 1


def test_fetch_follows_pages_while_they_are_full(httpserver: HTTPServer, payload: list[dict[str, Any]]) -> None:
    for page, chunk in (("", payload[:2]), ("1", payload[2:]), ("2", [])):
        query = {"date": "2024-01-09", "limit": "2"} | ({"p": page} if page else {})
        httpserver.expect_request("/api/daily_papers", query_string=query).respond_with_json(chunk)

    items = list(HfDailySource(endpoint=httpserver.url_for("/"), page_size=2).fetch(date(2024, 1, 9)))

    assert len(items) == 4
    assert len(httpserver.log) == 3


def test_fetch_stops_when_server_repeats_a_page(httpserver: HTTPServer, payload: list[dict[str, Any]]) -> None:
    httpserver.expect_request("/api/daily_papers").respond_with_json(payload)   # ignores ``p``

    items = list(HfDailySource(endpoint=httpserver.url_for("/"), page_size=4).fetch(date(2024, 1, 9)))

    assert len(items) == 4
    assert len(httpserver.log) == 2

"""Bad input to the Hugging Face–compatible API: a 400 JSON body naming the parameter, a 404 for
an unknown paper, and never a 500 for any odd id (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

from tests.factories import ingest, make_record


@pytest.fixture
def loaded(client, store):
    ingest(store, [make_record(id="2401.00001", published="2024-01-09"),
                   make_record(id="hep-th/9901001", published="1999-01-05")], target="errors")  # fmt: skip
    return client


def _bad_request(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["detail"] == body["error"]  # FastAPI's key and the Hub's (huggingface_hub shows "error")
    return body["detail"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("date=2026-02-30", "date"),
        ("date=2026-2-3x", "date"),
        ("date=", "date"),
        ("date=9999-12-31", "date"),
        ("week=2026-W60", "week"),
        ("week=2026-W00", "week"),
        ("week=9999-W52", "week"),
        ("month=13", "month"),
        ("month=2026-13", "month"),
        ("month=9999-12", "month"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("p=-1", "p"),
        ("p=1.5", "p"),
        ("sort=nonsense", "sort"),
        ("submitter=" + "x" * 301, "submitter"),
        ("submitter=ak%00", "submitter"),
    ],
)
def test_a_bad_daily_papers_parameter_is_a_400_naming_it(loaded, query, param):
    assert f"{param} " in _bad_request(loaded, f"/api/daily_papers?{query}")


def test_date_and_week_together_are_a_400_naming_both(loaded):
    message = _bad_request(loaded, "/api/daily_papers?date=2024-01-09&week=2024-W02")
    assert "date" in message and "week" in message


def test_week_and_month_together_are_a_400(loaded):
    _bad_request(loaded, "/api/daily_papers?week=2024-W02&month=2024-01")


@pytest.mark.parametrize(("query", "param"), [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit")])
def test_a_bad_search_parameter_is_a_400_naming_it(loaded, query, param):
    assert f"{param} " in _bad_request(loaded, f"/api/papers/search?q=study&{query}")


def test_an_empty_search_finds_nothing(loaded):
    assert loaded.get("/api/papers/search?q=").json() == []


def test_a_day_without_papers_is_an_empty_list(loaded):
    response = loaded.get("/api/daily_papers?date=2024-01-10")
    assert response.status_code == 200 and response.json() == []
    assert response.headers["x-total-count"] == "0"


def test_a_page_past_the_end_is_an_empty_list(loaded):
    assert loaded.get("/api/daily_papers?date=2024-01-09&p=1000000").json() == []


def test_an_unknown_paper_is_a_404_json_naming_it(loaded):
    response = loaded.get("/api/papers/2401.99999")
    assert response.status_code == 404
    assert response.json() == {"detail": "no paper with id 2401.99999", "error": "no paper with id 2401.99999"}


def test_the_markdown_of_an_unknown_paper_is_a_404_json(loaded):
    response = loaded.get("/papers/2401.99999.md")
    assert response.status_code == 404 and response.json()["detail"] == "no paper with id 2401.99999"


def test_a_versioned_arxiv_id_finds_the_paper(loaded):
    assert loaded.get("/api/papers/2401.00001v3").json()["id"] == "2401.00001"


def test_the_markdown_route_wins_over_the_html_paper_page(loaded):
    response = loaded.get("/papers/hep-th/9901001.md")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"


ODD_IDS = ["%00", "abc%00def", "%0A", "%FF", "%F0%9F%92%A9", "%C3%28", "..%2F..%2Fetc%2Fpasswd", "../../etc/passwd",
           "x" * 5000, "'%3B DROP TABLE papers%3B--", "%25", "%5C", "hep-th/", "hep-th%2F9901001", "%E8%AB%96%E6%96%87",
           "2401.00001%00", "%7B%7D", "%20"]  # fmt: skip


@pytest.mark.parametrize("odd", ODD_IDS)
def test_an_odd_paper_id_is_never_a_500(loaded, odd):
    for url in (f"/api/papers/{odd}", f"/papers/{odd}.md"):
        response = loaded.get(url)
        assert response.status_code < 500, (url, response.status_code, response.text[:200])
        if response.status_code == 404:
            assert "detail" in response.json()


def test_markup_in_the_markdown_cannot_become_html(client, store):
    ingest(store, [make_record(id="2401.00002", title="<script>alert(1)</script> \\<b>bold</b>",
                               summary="<img src=x onerror=alert(2)> and $a < b$ & more")], target="errors")  # fmt: skip
    text = client.get("/papers/2401.00002.md").text
    assert "<script>" not in text and "<img" not in text and "<b>" not in text
    assert "# &lt;script&gt;alert(1)&lt;/script&gt; \\&lt;b&gt;bold&lt;/b&gt;" in text
    assert "$a &lt; b$ & more" in text


def test_markup_in_json_is_returned_as_plain_strings(client, store):
    ingest(store, [make_record(id="2401.00003", title="<script>alert(1)</script> &amp; $\\alpha$")], target="errors")  # fmt: skip
    assert client.get("/api/papers/2401.00003").json()["title"] == "<script>alert(1)</script> &amp; $\\alpha$"

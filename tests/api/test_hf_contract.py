"""The Hugging Face–compatible API driven by the real ``huggingface_hub`` client, unchanged, against
the app served on a real socket (SQLite and PostgreSQL). Every papers call of the client is used:
``list_daily_papers`` (date, week, month, trending, limit, pages, submitter), ``list_papers``,
``paper_info`` and ``read_paper``, and a missing paper raises the client's 404 error.
Only loopback connections are allowed while these tests run."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from paperwire.services import feed as feed_service
from tests.api.conftest import BASE_URL
from tests.factories import ingest, make_record

hub = pytest.importorskip("huggingface_hub")

MISTRAL = {"name": "mistralai", "fullname": "Mistral AI"}

# id -> (published, upvotes); the newest day is 2024-01-22
PAPERS = {
    "2401.00010": ("2024-01-09T09:00:00Z", 3),  # week 2024-W02, with organisation, submitter and links
    "2401.00011": ("2024-01-09T10:00:00Z", 40),
    "2401.00012": ("2024-01-09T11:00:00Z", 0),
    "2401.00020": ("2024-01-11T15:30:00Z", 7),  # same week, another day
    "2401.00030": ("2024-01-22T08:00:00Z", 1),  # same month, week 2024-W04: the most recent day
    "2312.00040": ("2023-12-28T12:00:00Z", 12),  # the month before
    "hep-th/9901001": ("1999-01-05T00:00:00Z", 0),  # an old-style arXiv id (with a slash)
}
DAY = ["2401.00012", "2401.00011", "2401.00010"]  # 2024-01-09, newest first
WEEK = {"2401.00010", "2401.00011", "2401.00012", "2401.00020"}
MONTH = WEEK | {"2401.00030"}


def _records():
    extra = {
        "2401.00010": dict(title="Mixture of experts with sparse routing", organization=MISTRAL,
                           submitted_by={"name": "akhaliq", "fullname": "AK"}, num_comments=4,
                           code_url="https://github.com/example/moe", project_url="https://moe.example.org/",
                           summary="We route tokens to experts. The loss is $\\mathcal{L} = \\sum_i x_i$.",
                           authors=["Albert Q. Jiang", "Alexandre Sablayrolles"], categories=["cs.CL", "cs.LG"]),  # fmt: skip
        "2401.00011": dict(title="Attention is still what you need", submitted_by={"name": "alice"}),
        "2401.00020": dict(title="Another mixture of experts", submitted_by={"user": "akhaliq"}),
        "hep-th/9901001": dict(title="Strings on old-style identifiers", categories=["hep-th"]),
    }
    return [make_record(id=pid, published=published, upvotes=upvotes, **extra.get(pid, {}))
            for pid, (published, upvotes) in PAPERS.items()]  # fmt: skip


@pytest.fixture
def api(store, served, monkeypatch, tmp_path):
    """An ``HfApi`` talking to the served app: online mode, no telemetry, no token, and the client's
    global endpoint pointed at the test server too (its constants are read at import time)."""
    report = ingest(store, _records(), target="contract")
    assert report.failed == 0, report.problems
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "ENDPOINT", served)
    return hub.HfApi(endpoint=served, token=False)


def _ids(papers) -> list[str]:
    return [p.id for p in papers]


def test_list_daily_papers_by_date_gives_that_days_papers_newest_first(api):
    assert _ids(api.list_daily_papers(date="2024-01-09")) == DAY


def test_list_daily_papers_by_week_gives_the_iso_weeks_papers(api):
    assert set(_ids(api.list_daily_papers(week="2024-W02"))) == WEEK


def test_list_daily_papers_by_month_gives_the_months_papers(api):
    assert set(_ids(api.list_daily_papers(month="2024-01"))) == MONTH


def test_list_daily_papers_without_a_period_gives_the_most_recent_day_with_papers(api):
    assert _ids(api.list_daily_papers()) == ["2401.00030"]


def test_daily_paper_fields_are_what_the_client_parses(api):
    paper = {p.id: p for p in api.list_daily_papers(date="2024-01-09")}["2401.00010"]
    assert paper.title == "Mixture of experts with sparse routing"
    assert paper.summary == "We route tokens to experts. The loss is $\\mathcal{L} = \\sum_i x_i$."
    assert [a.name for a in paper.authors] == ["Albert Q. Jiang", "Alexandre Sablayrolles"]
    assert paper.published_at == datetime(2024, 1, 9, 9, 0, tzinfo=timezone.utc)
    assert paper.submitted_at == datetime(2024, 1, 9, 9, 0, tzinfo=timezone.utc)
    assert paper.upvotes == 3
    assert paper.comments == 4
    assert (paper.organization.name, paper.organization.fullname) == ("mistralai", "Mistral AI")
    assert paper.submitted_by.username == "akhaliq"
    assert paper.github_repo == "https://github.com/example/moe"
    assert paper.project_page == "https://moe.example.org/"


def test_a_daily_paper_without_upvotes_has_zero_not_none(api):
    paper = {p.id: p for p in api.list_daily_papers(date="2024-01-09")}["2401.00012"]
    assert paper.upvotes == 0
    assert paper.organization is None and paper.submitted_by is None and paper.github_repo is None


def test_sort_trending_ranks_a_day_by_time_decayed_upvotes(api):
    # publishedAt order is 00012, 00011, 00010; trending puts 40 upvotes first, 0 upvotes last
    assert _ids(api.list_daily_papers(date="2024-01-09", sort="trending")) == ["2401.00011", "2401.00010", "2401.00012"]


def test_sort_trending_without_a_period_is_the_trending_service(api, store):
    expected = _ids(feed_service.trending(store, limit=50).papers)
    assert expected, "the two-week trending window should hold papers"
    assert _ids(api.list_daily_papers(sort="trending")) == expected


def test_sort_trending_with_a_submitter_keeps_the_trending_order_of_their_papers(api, store):
    trending = _ids(feed_service.trending(store, limit=50).papers)
    expected = [pid for pid in trending if pid in {"2401.00010", "2401.00020"}]
    assert _ids(api.list_daily_papers(sort="trending", submitter="akhaliq")) == expected


def test_limit_caps_the_number_of_papers(api):
    assert len(list(api.list_daily_papers(month="2024-01", limit=2))) == 2


def test_pages_do_not_overlap_and_cover_the_period(api):
    pages = [_ids(api.list_daily_papers(month="2024-01", limit=2, p=page)) for page in range(4)]
    assert [len(page) for page in pages] == [2, 2, 1, 0]
    seen = [pid for page in pages for pid in page]
    assert len(seen) == len(set(seen)) and set(seen) == MONTH


def test_submitter_keeps_only_that_users_papers(api):
    assert set(_ids(api.list_daily_papers(month="2024-01", submitter="akhaliq"))) == {"2401.00010", "2401.00020"}


def test_list_papers_searches_titles_and_abstracts(api):
    assert set(_ids(api.list_papers(query="mixture experts"))) == {"2401.00010", "2401.00020"}


def test_list_papers_respects_limit(api):
    assert len(list(api.list_papers(query="mixture experts", limit=1))) == 1


def test_paper_info_returns_the_papers_fields(api):
    info = api.paper_info("2401.00010")
    assert info.id == "2401.00010"
    assert info.title == "Mixture of experts with sparse routing"
    assert [a.name for a in info.authors] == ["Albert Q. Jiang", "Alexandre Sablayrolles"]
    assert info.published_at == datetime(2024, 1, 9, 9, 0, tzinfo=timezone.utc)
    assert info.upvotes == 3 and info.comments == 4
    assert info.organization.name == "mistralai" and info.submitted_by.username == "akhaliq"
    assert info.github_repo == "https://github.com/example/moe"
    assert info.url == f"{BASE_URL}/papers/2401.00010"  # paperwire's own field, kept by the client


def test_paper_info_finds_an_old_style_id_with_a_slash(api):
    assert api.paper_info("hep-th/9901001").title == "Strings on old-style identifiers"


def test_read_paper_returns_markdown_with_title_authors_links_and_abstract(api):
    text = api.read_paper("2401.00010")
    assert text.startswith("# Mixture of experts with sparse routing\n")
    assert "Albert Q. Jiang, Alexandre Sablayrolles" in text
    assert "<https://github.com/example/moe>" in text and "<https://arxiv.org/abs/2401.00010>" in text
    assert "## Abstract\n\nWe route tokens to experts. The loss is $\\mathcal{L} = \\sum_i x_i$." in text


def test_read_paper_of_an_old_style_id(api):
    assert api.read_paper("hep-th/9901001").startswith("# Strings on old-style identifiers\n")


def test_paper_info_of_a_missing_paper_raises_the_clients_404_error(api):
    with pytest.raises(hub.errors.HfHubHTTPError) as caught:
        api.paper_info("2401.99999")
    assert caught.value.response.status_code == 404
    assert "no paper with id 2401.99999" in str(caught.value)


def test_read_paper_of_a_missing_paper_raises_the_clients_404_error(api):
    with pytest.raises(hub.errors.HfHubHTTPError) as caught:
        api.read_paper("2401.99999")
    assert caught.value.response.status_code == 404


def test_a_bad_parameter_raises_the_clients_bad_request_error_naming_it(api):
    with pytest.raises(hub.errors.BadRequestError, match="invalid week '2024-W60'"):
        list(api.list_daily_papers(week="2024-W60"))


def test_paperwires_own_hf_source_reads_this_api_page_by_page(api, served):
    from paperwire.sources.hf_daily import HfDailySource
    from paperwire.sources.records import PaperRecord

    with HfDailySource(endpoint=served, page_size=2, sleep=lambda _: None) as source:
        records = list(source.fetch(datetime(2024, 1, 9).date()))
    assert all(isinstance(r, PaperRecord) for r in records)
    by_id = {r.id: r for r in records}
    assert sorted(by_id) == sorted(DAY)
    first = by_id["2401.00010"]
    assert (first.upvotes, first.code_url, first.organization["name"], first.submitted_by["name"]) == (
        3, "https://github.com/example/moe", "mistralai", "akhaliq")  # fmt: skip

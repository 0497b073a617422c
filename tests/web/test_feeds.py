"""RSS and Atom feeds (feedgen), read back with feedparser: the daily feed, a category, an author and
a search; entries link to the site's paper pages; markup in titles and abstracts stays text
(SQLite and PostgreSQL)."""
from __future__ import annotations

import html

import feedparser
import pytest
from fastapi.testclient import TestClient

from paperwire.settings import Settings
from paperwire.web.app import create_app
from tests.factories import ingest, make_record

BASE_URL = "https://papers.example.org"
FORMATS = ["atom", "rss"]
EVIL_TITLE = "<script>alert(1)</script> &amp; $\\alpha < \\beta$"
EVIL_SUMMARY = "<img src=x onerror=alert(2)> We show $x^2 < y$ &lt;b&gt; & \\emph{more}."


@pytest.fixture
def pw_settings() -> dict:
    return {"base_url": BASE_URL}


@pytest.fixture
def client(pw):
    app = create_app(pw=pw)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def loaded(client, store):
    ingest(store, [
        make_record(id="2401.00001", title="Older day paper", published="2024-01-08T10:00:00", categories=["cs.CL"],
                    authors=["Alan Turing"]),
        make_record(id="2401.00002", title="Quiet paper", published="2024-01-09T12:00:00", upvotes=1,
                    categories=["cs.LG", "cs.CL"], authors=["Grace Hopper"]),
        make_record(id="2401.00003", title="Popular paper", published="2024-01-09T09:00:00", upvotes=50,
                    categories=["cs.CV"], authors=["José García-López", "Ada Lovelace"]),
        make_record(id="hep-th/9901001", title="Strings", published="1999-01-05", categories=["hep-th"],
                    authors=["Ada Lovelace"]),
    ], target="feeds")  # fmt: skip
    return client


def _parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    kind = "atom" if ".atom" in url else "rss"
    assert response.headers["content-type"] == f"application/{kind}+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == ("atom10" if kind == "atom" else "rss20")
    return feed


def _ids(feed) -> list[str]:
    return [entry.link.removeprefix(f"{BASE_URL}/papers/") for entry in feed.entries]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_daily_feed_holds_the_most_recent_day_most_upvoted_first(loaded, fmt):
    feed = _parse(loaded, f"/feeds/daily.{fmt}")
    assert _ids(feed) == ["2401.00003", "2401.00002"]
    assert [e.title for e in feed.entries] == ["Popular paper", "Quiet paper"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_daily_feed_of_a_date_holds_that_day(loaded, fmt):
    assert _ids(_parse(loaded, f"/feeds/daily.{fmt}?date=2024-01-08")) == ["2401.00001"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_day_without_papers_is_an_empty_feed(loaded, fmt):
    assert _parse(loaded, f"/feeds/daily.{fmt}?date=2024-01-10").entries == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_entries_link_to_the_paper_pages_of_the_base_url(loaded, fmt):
    entry = _parse(loaded, f"/feeds/daily.{fmt}").entries[0]
    assert entry.link == f"{BASE_URL}/papers/2401.00003"
    assert entry.id == f"{BASE_URL}/papers/2401.00003"


@pytest.mark.parametrize("fmt", FORMATS)
def test_entries_carry_authors_categories_and_dates(loaded, fmt):
    entry = _parse(loaded, f"/feeds/daily.{fmt}").entries[0]
    assert [a["name"] for a in entry.authors] == ["José García-López", "Ada Lovelace"]
    assert [t["term"] for t in entry.tags] == ["cs.CV"]
    assert tuple(entry.published_parsed)[:5] == (2024, 1, 9, 9, 0)


def test_the_feeds_link_to_themselves_and_to_their_html_page(loaded):
    feed = _parse(loaded, "/feeds/daily.atom")
    links = {link["rel"]: link["href"] for link in feed.feed.links}
    assert links == {"self": f"{BASE_URL}/feeds/daily.atom", "alternate": f"{BASE_URL}/day/2024-01-09"}
    assert _parse(loaded, "/feeds/daily.rss").feed.link == f"{BASE_URL}/day/2024-01-09"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bad_date_is_a_400_naming_it(loaded, fmt):
    for date in ("2026-02-30", "9999-12-31"):
        response = loaded.get(f"/feeds/daily.{fmt}?date={date}")
        assert response.status_code == 400 and "date" in response.json()["detail"]


def test_an_unknown_feed_format_is_a_400_naming_it(loaded):
    response = loaded.get("/feeds/daily.xml")
    assert response.status_code == 400 and "fmt" in response.json()["detail"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_category_feed_holds_its_papers_newest_first_cross_lists_included(loaded, fmt):
    assert _ids(_parse(loaded, f"/feeds/category/cs.CL.{fmt}")) == ["2401.00002", "2401.00001"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_category_feed_of_old_style_ids(loaded, fmt):
    assert _ids(_parse(loaded, f"/feeds/category/hep-th.{fmt}")) == ["hep-th/9901001"]


def test_a_category_without_papers_is_a_404(loaded):
    response = loaded.get("/feeds/category/cs.XX.atom")
    assert response.status_code == 404 and response.json()["detail"] == "no papers in category cs.XX"


def test_a_category_feed_holds_the_newest_50_papers(client, store):
    ingest(store, [make_record(id=f"2402.{n:05d}", published=f"2024-02-{1 + n // 3:02d}T{n % 3:02d}:00:00",
                               categories=["math.CO"]) for n in range(55)], target="feeds")  # fmt: skip
    ids = _ids(_parse(client, "/feeds/category/math.CO.atom"))
    assert ids == [f"2402.{n:05d}" for n in range(54, 4, -1)]


@pytest.mark.parametrize("odd", ["%00", "cs.CL%00", "%0A", "%FF", "x" * 500, "%25", "..", "'%3B DROP TABLE papers%3B--"])
def test_an_odd_category_or_author_is_a_404_never_a_500(loaded, odd):
    for url in (f"/feeds/category/{odd}.atom", f"/feeds/author/{odd}.rss"):
        response = loaded.get(url)
        expected = 400 if "%00" in odd else 404  # a NUL is refused at the input boundary
        assert response.status_code == expected, (url, response.status_code, response.text[:200])


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_author_feed_holds_the_authors_papers_newest_first(loaded, fmt):
    feed = _parse(loaded, f"/feeds/author/ada lovelace.{fmt}")
    assert _ids(feed) == ["2401.00003", "hep-th/9901001"]
    assert feed.feed.title == "paperwire · Ada Lovelace"


def test_an_author_feed_accepts_the_page_slug_and_the_printed_name(loaded):
    assert _ids(_parse(loaded, "/feeds/author/jose-garcia-lopez.atom")) == ["2401.00003"]
    assert _ids(_parse(loaded, "/feeds/author/José García-López.rss")) == ["2401.00003"]


def test_an_unknown_author_is_a_404(loaded):
    response = loaded.get("/feeds/author/nobody at all.atom")
    assert response.status_code == 404 and "nobody at all" in response.json()["detail"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_search_feed_holds_the_matching_papers(loaded, fmt):
    feed = _parse(loaded, f"/feeds/search.{fmt}?q=popular")
    assert _ids(feed) == ["2401.00003"]
    assert feed.feed.title == "paperwire · search: popular"


def test_a_search_feed_without_matches_is_empty(loaded):
    assert _parse(loaded, "/feeds/search.rss?q=nothingmatchesthis").entries == []


def test_a_search_feed_of_odd_text_is_never_a_500(loaded):
    for q in ("%22%27%3C%3E", "NOT OR AND *", "%F0%9F%92%A9", "x" * 500):
        assert loaded.get(f"/feeds/search.atom?q={q}").status_code == 200, q
    assert loaded.get("/feeds/search.atom?q=%00").status_code == 400  # a NUL is refused at the input boundary


def test_a_search_feed_needs_a_query(loaded):
    response = loaded.get("/feeds/search.atom")
    assert response.status_code == 400 and "q" in response.json()["detail"]


@pytest.fixture
def evil(client, store):
    ingest(store, [make_record(id="2401.06666", title=EVIL_TITLE, summary=EVIL_SUMMARY, published="2024-01-09",
                               authors=["<b>Mallory</b>"])], target="feeds")  # fmt: skip
    return client


@pytest.mark.parametrize("fmt", FORMATS)
def test_markup_in_a_feed_is_escaped_never_live(evil, fmt):
    raw = evil.get(f"/feeds/daily.{fmt}").text
    assert "<script" not in raw and "<img" not in raw and "<b>" not in raw
    entry = _parse(evil, f"/feeds/daily.{fmt}").entries[0]
    assert entry.title == EVIL_TITLE  # the title is text, exactly as stored


def test_an_atom_abstract_is_text_exactly_as_stored(evil):
    entry = _parse(evil, "/feeds/daily.atom").entries[0]
    assert entry.summary_detail.type == "text/plain"
    assert entry.summary == EVIL_SUMMARY
    assert entry.authors[0]["name"] == "<b>Mallory</b>"


def test_an_rss_abstract_is_html_that_shows_the_text(evil):
    entry = _parse(evil, "/feeds/daily.rss").entries[0]
    # RSS descriptions are HTML: the abstract is escaped once more, so a reader shows it as written
    assert entry.summary == html.escape(EVIL_SUMMARY)

"""Narrowing and browsing without a syntax (SQLite and PostgreSQL): the feed's category filter with
the period's counts on both lists, kept in every link of the feed; the /categories and /orgs index
pages; HEAD answered wherever GET is; the week and month views' Atom/RSS links."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from paperwire.web.app import create_app
from tests.browsing import HTML, titles
from tests.factories import load, make_record


@pytest.fixture
def client(pw):
    with TestClient(create_app(pw=pw), headers=HTML) as c:
        yield c


def listed(title: str, day: str, primary: str = "cs.CL", *, upvotes: int = 0, **fields):
    """A paper on the arXiv listing of ``day`` (as the OAI-PMH harvest of set ``cs`` gives it)."""
    return make_record(title=title, source="oai", categories=[primary, "cs.AI"], published=f"{day}T10:00:00Z",
                       upvotes=upvotes, extra={"datestamp": day, "listed_in": "cs"}, **fields)  # fmt: skip


def links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]


def options(html: str) -> dict[str, int]:
    """The category filter's options: category -> the count shown."""
    return {c: int(n.replace(",", "")) for c, n in re.findall(r'<option value="([^"]+)"[^>]*>[^<(]*\(([\d,]+)\)</option>', html)}


# -- the feed's category filter ------------------------------------------------------------------------------
def test_the_category_filter_counts_what_the_list_shows_when_filtered(client, store):
    load(store, listed("Vision one", "2026-12-03", "cs.CV"), listed("Vision two", "2026-12-03", "cs.CV"),
         listed("Language", "2026-12-03", "cs.CL"), listed("Replaced vision", "2026-12-03", "cs.CV", updated="2026-12-02"),
         source="oai")  # fmt: skip
    page = client.get("/day/2026-12-03").text
    counts = options(page)
    assert counts["cs.CV"] == 2 and counts["cs.CL"] == 1 and counts["cs.AI"] == 3  # the replacement is listed apart
    assert sorted(titles(client.get("/day/2026-12-03?category=cs.CV").text)) == ["Vision one", "Vision two"]


def test_daily_papers_has_the_category_filter_too(client, store):
    load(store, make_record(title="Picked vision", categories=["cs.CV"], upvotes=5, extra={"hf_day": "2026-12-03"}),
         make_record(title="Picked language", categories=["cs.CL"], upvotes=9, extra={"hf_day": "2026-12-03"}),
         source="hf")  # fmt: skip
    page = client.get("/day/2026-12-03?list=daily").text
    assert options(page) == {"cs.CL": 1, "cs.CV": 1}
    assert titles(client.get("/day/2026-12-03?list=daily&category=cs.CV").text) == ["Picked vision"]


def test_the_week_and_month_views_filter_by_category_with_the_periods_counts(client, store):
    load(store, listed("Monday vision", "2026-11-30", "cs.CV"), listed("Thursday vision", "2026-12-03", "cs.CV"),
         listed("Thursday language", "2026-12-03", "cs.CL"), listed("Next week", "2026-12-08", "cs.CV"), source="oai")  # fmt: skip
    week = client.get("/week/2026-W49?category=cs.CV").text
    assert sorted(titles(week)) == ["Monday vision", "Thursday vision"]
    assert options(week)["cs.CV"] == 2
    month = client.get("/month/2026-12?category=cs.CV").text
    assert options(month)["cs.CV"] == 2 and sorted(titles(month)) == ["Next week", "Thursday vision"]  # 30 Nov is November


def test_every_link_of_a_filtered_feed_keeps_the_category(client, store):
    load(store, *[listed(f"Vision {n}", "2026-12-03", "cs.CV") for n in range(35)], listed("Earlier", "2026-12-01", "cs.CV"),
         listed("Later", "2026-12-04", "cs.CV"), source="oai")  # fmt: skip
    page = client.get("/day/2026-12-03?category=cs.CV").text
    kept = [h for h in links(page) if re.match(r"/(day|week|month)/", h)]
    dropped = [h for h in kept if parse_qs(urlsplit(h).query).get("category") != ["cs.CV"]]
    assert len(kept) > 5 and dropped == ["/day/2026-12-03"], kept  # previous/next, views, sorts, lists keep it
    assert re.search(r'<a href="/day/2026-12-03">all categories</a>', page)  # the one link that lifts it
    more = re.search(r'hx-get="([^"]+fragment=cards)"', page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(more).query)["category"] == ["cs.CV"]  # "Show more" keeps it
    lists = [h for h in links(page) if "list=daily" in h]
    assert lists and "category=cs.CV" in lists[0]  # switching list keeps the filter
    assert re.search(r'<input type="hidden" name="category" value="cs.CV">', page)  # the date picker's form


def test_the_date_picker_keeps_the_list_and_the_category(client, store):
    response = client.get("/day?date=2026-12-03&list=daily&category=cs.CV&sort=date", follow_redirects=False)
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.path == "/day/2026-12-03"
    assert parse_qs(target.query) == {"list": ["daily"], "category": ["cs.CV"], "sort": ["date"]}


def test_the_filter_works_without_javascript_and_swaps_in_place_with_htmx(client, store):
    load(store, listed("Vision", "2026-12-03", "cs.CV"), source="oai")
    page = client.get("/day/2026-12-03").text
    form = re.search(r'<form class="category-filter"[^>]*>', page).group(0)
    assert 'method="get" action="/day/2026-12-03"' in form  # a plain GET form: the URL carries the filter
    assert 'hx-get="/day/2026-12-03"' in form and 'hx-push-url="true"' in form
    assert "onchange" not in page  # no inline script (the CSP forbids it)


# -- the index pages ------------------------------------------------------------------------------------------
def test_the_categories_page_lists_every_category_with_its_count_linked(client, store):
    load(store, make_record(categories=["cs.CV", "cs.AI"]), make_record(categories=["cs.CV"]), make_record(categories=["math.OC"]))
    page = client.get("/categories")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    found = re.findall(r'<li><a href="/categories/([^"]+)">[^<]+</a>.*?<span class="n" title="papers">(\d+)</span></li>', page.text)
    assert found == [("cs.CV", "2"), ("cs.AI", "1"), ("math.OC", "1")]
    assert "Computer Vision and Pattern Recognition" in page.text


def test_the_organisations_page_lists_every_organisation_with_its_count_linked(client, store):
    load(store, make_record(organization={"name": "acme", "fullname": "ACME Research"}),
         make_record(organization={"name": "acme", "fullname": "ACME Research"}),
         make_record(organization={"name": "zeta", "fullname": "Zeta Lab"}))  # fmt: skip
    page = client.get("/orgs")
    assert page.status_code == 200
    found = re.findall(r'<li><a href="(/orgs/[^"]+)">([^<]+)</a> <span class="n" title="papers">(\d+)</span></li>', page.text)
    assert [(name, n) for _href, name, n in found] == [("ACME Research", "2"), ("Zeta Lab", "1")]
    assert client.get(found[0][0]).status_code == 200  # each links to its page


def test_the_index_pages_answer_html_even_when_empty(client):
    for path in ("/categories", "/orgs"):
        page = client.get(path, headers={"Accept": "application/json"})
        assert page.status_code == 200 and "<h1" in page.text


# -- HEAD wherever GET ------------------------------------------------------------------------------------------
SAMPLES = {"paper_id": "2601.00001", "slug": "ada-lovelace", "key": "acme", "category": "cs.CL", "fmt": "atom",
           "author_key": "ada-lovelace", "ref": "1", "pk": "1", "token": "x", "arxiv_id": "2601.00001"}  # fmt: skip
PERIODS = {"day_feed": "2026-01-15", "week_feed": "2026-W03", "month_feed": "2026-01"}


def _routes(routes):
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps an included router as one entry
        yield from _routes(included.routes) if included is not None else (route,)


def _get_paths(app) -> list[str]:
    """A concrete path for every GET route of the app (parameters filled with sample values), and
    static files."""
    paths = ["/static/style.css", "/static/vendor/htmx.min.js"]
    for route in _routes(app.routes):
        if isinstance(route, (APIRoute, Route)) and "GET" in (route.methods or ()):
            path = route.path_format
            for name in route.param_convertors:
                value = PERIODS.get(route.name, "x") if name == "text" else SAMPLES.get(name, "x")
                path = path.replace("{" + name + "}", value)
            paths.append(path)
    return paths


def test_head_answers_wherever_get_does_with_the_same_status_and_headers(client, store):
    load(store, make_record(id="2601.00001", categories=["cs.CL"], authors=["Ada Lovelace"],
                            organization={"name": "acme", "fullname": "ACME"}, published="2026-01-15"))  # fmt: skip
    paths = _get_paths(client.app)
    assert len(paths) > 40  # the whole route table: pages, API, feeds, static
    for path in paths:
        got = client.get(path, follow_redirects=False)
        head = client.head(path, follow_redirects=False)
        assert head.status_code == got.status_code, (path, got.status_code, head.status_code)
        assert head.status_code != 405 or got.status_code == 405, path
        assert head.content == b"", path
        for name in ("content-type", "location", "allow"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)


def test_head_of_a_page_gives_its_length_and_no_body(client, store):
    load(store, make_record(published="2026-01-15"))
    got, head = client.get("/day/2026-01-15"), client.head("/day/2026-01-15")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(got.content)


def test_head_is_refused_where_get_is(client):
    assert client.head("/follow").status_code == 405  # POST only
    assert client.head("/no/such/page").status_code == 404


# -- the week and month views' feeds ----------------------------------------------------------------------------
@pytest.mark.parametrize("view, param", [("/day/2026-12-03", "date=2026-12-03"), ("/week/2026-W49", "week=2026-W49"),
                                         ("/month/2026-12", "month=2026-12")])  # fmt: skip
def test_each_period_view_links_its_atom_and_rss_feed(client, store, view, param):
    load(store, listed("In the period", "2026-12-03", "cs.CV"), source="oai")
    page = client.get(view + "?category=cs.CV").text
    for fmt in ("atom", "rss"):
        href = next(h for h in links(page) if h.startswith(f"/feeds/daily.{fmt}?"))
        assert parse_qs(urlsplit(href).query) == {**parse_qs(param), "category": ["cs.CV"]}
        feed = client.get(href)
        assert feed.status_code == 200
        assert [e.title for e in feedparser.parse(feed.content).entries] == ["In the period"]
    assert re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="/feeds/daily.atom\?', page)


def test_the_week_feed_holds_the_weeks_papers_only(client, store):
    load(store, listed("This week", "2026-12-01"), listed("Last week", "2026-11-27"), source="oai")
    feed = feedparser.parse(client.get("/feeds/daily.atom?week=2026-W49").content)
    assert [e.title for e in feed.entries] == ["This week"]
    assert client.get("/feeds/daily.atom?week=2026-49").status_code == 400
    assert client.get("/feeds/daily.atom?week=2026-W49&month=2026-12").status_code == 400

"""The search page (TestClient; SQLite and PostgreSQL): visible controls for category, dates and sort
that the URL keeps, the result count, recognised authors, ids that go straight to the paper, an honest
"nothing matches" with a suggestion, and help text that says what search does."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from paperwire.web.app import create_app
from tests.browsing import HTML, titles
from tests.factories import fake_embeddings, load, make_record


@pytest.fixture
def client(pw):
    with TestClient(create_app(pw=pw), headers=HTML) as c:
        yield c


@pytest.fixture
def papers(store):
    load(store, *[make_record(id=f"2404.{n:05d}", title=f"Retrieval study {n}", summary="Dense retrieval.",
                              authors=["Grace Hopper"], categories=["cs.CL"] + (["cs.IR"] if n % 2 else []),
                              published=f"2026-01-{n + 1:02d}") for n in range(25)],
         make_record(id="2404.09999", title="Parsing", summary="Trees.", authors=["Christopher D. Manning"],
                     categories=["cs.CL"], published="2025-06-01"))  # fmt: skip
    return store


def test_the_controls_list_the_instances_categories_with_counts(client, papers):
    page = client.get("/search").text
    assert re.search(r'<select name="category"', page)
    assert '<option value="cs.CL">cs.CL (26)</option>' in page and '<option value="cs.IR">cs.IR (12)</option>' in page
    assert 'name="after"' in page and 'name="before"' in page and 'type="date"' in page
    assert '<option value="upvotes">Most upvoted</option>' in page


def test_the_controls_narrow_the_results_and_stay_selected(client, papers):
    page = client.get("/search", params={"q": "retrieval", "category": "cs.IR", "after": "2026-01-10",
                                         "before": "2026-01-20", "sort": "newest"}).text  # fmt: skip
    assert titles(page) == [f"Retrieval study {n}" for n in (17, 15, 13, 11, 9)]
    assert '<option value="cs.IR" selected>' in page and '<option value="newest" selected>' in page
    assert 'value="2026-01-10"' in page and 'value="2026-01-20"' in page
    assert "5 results, newest first" in page


def test_the_next_page_link_keeps_the_controls(client, papers):
    page = client.get("/search", params={"q": "retrieval", "category": "cs.CL", "sort": "newest", "after": "2025-01-01"}).text
    link = re.search(r'<a href="([^"]+)" hx-get="[^"]*"[^>]*>Show more', page)
    assert link, "no next page link"
    params = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert params == {"q": ["retrieval"], "category": ["cs.CL"], "sort": ["newest"], "after": ["2025-01-01"], "page": ["2"]}


def test_the_result_count_is_shown(client, papers):
    assert "26 results" in client.get("/search", params={"q": "retrieval parsing"}).text


def test_controls_alone_list_the_matching_papers(client, papers):
    page = client.get("/search", params={"category": "cs.IR", "before": "2026-01-05"}).text
    assert titles(page) == ["Retrieval study 3", "Retrieval study 1"]


def test_a_bad_date_or_sort_is_a_400_page(client, papers):
    assert client.get("/search", params={"q": "x", "after": "soon"}).status_code == 400
    assert client.get("/search", params={"q": "x", "sort": "random"}).status_code == 400


def test_a_recognised_name_shows_the_author_linked_with_a_paper_count(client, papers):
    page = client.get("/search", params={"q": "Manning, Christopher"}).text
    assert re.search(r'<a href="/authors/christopher-d-manning">Christopher D\. Manning</a> <span class="meta">1 paper</span>', page)
    assert titles(page)[0] == "Parsing"


def test_an_arxiv_link_goes_straight_to_the_paper(client, papers):
    response = client.get("/search", params={"q": "https://arxiv.org/abs/2404.00007v3"}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/papers/2404.00007")


def test_minus_a_word_is_excluded_on_the_page(client, papers):
    assert titles(client.get("/search", params={"q": "retrieval parsing -trees"}).text).count("Parsing") == 0


def test_nonsense_says_nothing_matches_and_suggests_a_spelling(client, papers, pw):
    fake_embeddings(pw)
    page = client.get("/search", params={"q": "qwxzzy flurbnik"}).text
    assert "Nothing matches “qwxzzy flurbnik”" in page and titles(page) == []
    page = client.get("/search", params={"q": "retreival"}).text
    assert re.search(r'Did you mean <a href="/search\?q=retrieval">retrieval</a>', page)


def test_the_help_text_says_what_search_does(client, papers):
    help_text = client.get("/search").text.split('id="search-help"', 1)[1].split("</ul>", 1)[0]
    for syntax in ("author:", "-word", '-"a phrase"', "quoted words", "any of your words may match"):
        assert syntax.replace('"', "&#34;") in help_text or syntax in help_text, syntax
    assert "all the words you type" not in client.get("/search").text

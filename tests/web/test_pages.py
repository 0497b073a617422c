"""The website's pages (TestClient; every test runs on SQLite and PostgreSQL): the dated feed and its
navigation, trending, search, the paper page, author / organisation / category pages, error pages,
text never executed, local assets only, and a pinned query count for the feed."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from paperwire.context import VersionMemo
from paperwire.settings import Settings
from paperwire.web.app import create_app
from paperwire.web.pages import PageCache
from tests.browsing import HTML, titles
from tests.factories import load, make_record


@pytest.fixture
def client(pw):
    app = create_app(pw=pw)
    with TestClient(app, headers=HTML) as c:
        yield c


# -- the dated feed -----------------------------------------------------------------------------------
def test_the_feed_opens_on_the_most_recent_day_with_papers(client, store):
    load(store, make_record(title="Monday paper", published="2026-01-12T10:00:00Z"),
         make_record(title="Wednesday paper", published="2026-01-14T09:00:00Z"))  # fmt: skip
    page = client.get("/")
    assert page.status_code == 200
    assert "Wednesday, 14 January 2026" in page.text
    assert titles(page.text) == ["Wednesday paper"]


def test_previous_and_next_skip_days_without_papers(client, store):
    load(store, make_record(published="2026-01-08"), make_record(published="2026-01-12"),
         make_record(published="2026-01-16"))  # fmt: skip
    page = client.get("/day/2026-01-12").text
    assert re.search(r'rel="prev" href="/day/2026-01-08"', page)
    assert re.search(r'rel="next" href="/day/2026-01-16"', page)
    newest = client.get("/day/2026-01-16").text
    assert 'rel="next"' not in newest and "no later papers" in newest


def test_the_week_view_shows_the_papers_of_one_iso_week(client, store):
    load(store, make_record(title="Sunday before", published="2026-01-11"),
         make_record(title="Monday", published="2026-01-12"), make_record(title="Friday", published="2026-01-16"),
         make_record(title="Next Monday", published="2026-01-19"))  # fmt: skip
    page = client.get("/week/2026-W03?sort=date")
    assert page.status_code == 200
    assert titles(page.text) == ["Friday", "Monday"]
    assert 'rel="prev" href="/week/2026-W02"' in page.text and 'rel="next" href="/week/2026-W04"' in page.text


def test_the_month_view_shows_the_papers_of_one_month(client, store):
    load(store, make_record(title="December", published="2025-12-31"), make_record(title="January 2", published="2026-01-02"),
         make_record(title="January 30", published="2026-01-30"), make_record(title="February", published="2026-02-01"))  # fmt: skip
    page = client.get("/month/2026-01?sort=date").text
    assert titles(page) == ["January 30", "January 2"]
    assert "January 2026" in page


def test_the_view_switch_keeps_the_day(client, store):
    load(store, make_record(published="2026-01-14"))
    page = client.get("/day/2026-01-14").text
    assert 'href="/week/2026-W03"' in page and 'href="/month/2026-01"' in page
    week = client.get("/week/2026-W03").text
    assert 'href="/day/2026-01-14"' in week  # back to the newest day of the week that has papers


def test_the_feed_sorts_by_upvotes_or_by_date(client, store):
    load(store, make_record(title="Early, popular", published="2026-01-14T08:00:00Z", upvotes=40),
         make_record(title="Late, unvoted", published="2026-01-14T18:00:00Z", upvotes=0),
         make_record(title="Noon, some votes", published="2026-01-14T12:00:00Z", upvotes=3))  # fmt: skip
    assert titles(client.get("/day/2026-01-14").text) == ["Early, popular", "Noon, some votes", "Late, unvoted"]
    assert titles(client.get("/day/2026-01-14?sort=date").text) == ["Late, unvoted", "Noon, some votes", "Early, popular"]
    assert "▲ 40" in client.get("/").text


def test_a_day_without_papers_says_why_and_links_the_nearest_days(client, store):
    load(store, make_record(published="2026-01-05"), make_record(published="2026-01-09"),
         make_record(published="2026-01-12"))  # fmt: skip
    page = client.get("/day/2026-01-10")  # a Saturday
    assert page.status_code == 200
    assert "No papers on Saturday, 10 January 2026" in page.text
    assert "arXiv announces nothing on weekends" in page.text
    assert 'href="/day/2026-01-09"' in page.text and 'href="/day/2026-01-12"' in page.text
    gap = client.get("/day/2026-01-06").text  # a Tuesday without papers that is no arXiv holiday
    assert "a gap in this instance&#39;s data" in gap
    assert "The oldest papers loaded here are from 5 January 2026" in client.get("/day/2025-12-31").text
    assert "the newest papers loaded are from 12 January 2026" in client.get("/day/2026-01-13").text


def test_the_date_picker_form_redirects_to_the_period(client, store):
    response = client.get("/week?date=2026-01-14", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/week/2026-W03"
    response = client.get("/day?date=2026-01-14&sort=date", follow_redirects=False)
    assert response.headers["location"] == "/day/2026-01-14?sort=date"
    assert client.get("/week/2026-W3", follow_redirects=False).headers["location"] == "/week/2026-W03"


@pytest.mark.parametrize(
    "url, status, says",
    [
        ("/day/2026-02-30", 400, "invalid date"),
        ("/day/yesterday", 400, "invalid date"),
        ("/week/2026-W54", 400, "invalid week"),
        ("/month/2026-13", 400, "invalid month"),
        ("/day?date=not-a-date", 400, "invalid date"),
        ("/day/9999-12-31", 404, "no papers"),
        ("/day/0001-01-01", 404, "no papers"),
        ("/week/9999-W52", 404, "no papers"),
        ("/week?date=9999-12-31", 404, "no papers"),
        ("/day/2026-01-14?page=0", 400, "page must be between"),
        ("/day/2026-01-14?page=x", 400, "page must be a whole number"),
        ("/day/2026-01-14?sort=%3Cscript%3E", 400, "sort must be one of"),
    ],
)  # fmt: skip
def test_a_bad_date_or_parameter_is_a_4xx_page(client, store, url, status, says):
    load(store, make_record(published="2026-01-14"))
    page = client.get(url)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert says in page.text and "<script>" not in page.text


def test_errors_are_json_for_clients_that_do_not_ask_for_html(client):
    response = client.get("/day/2026-02-30", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "invalid date" in response.json()["detail"]


def test_feed_pages_page_through_the_day_without_overlap(client, store):
    load(store, *[make_record(title=f"Paper {i:02d}", published=f"2026-01-14T{i % 24:02d}:{i:02d}:00Z") for i in range(35)])
    first = titles(client.get("/").text)
    second_page = client.get("/day/2026-01-14?page=2")
    second = titles(second_page.text)
    assert len(first) == 30 and len(second) == 5 and not set(first) & set(second)
    assert 'href="/day/2026-01-14?page=2"' in client.get("/").text
    assert "Showing 31–35 of 35 papers" in second_page.text


def test_show_more_returns_only_the_next_cards_for_htmx(client, store):
    load(store, *[make_record(published="2026-01-14") for _ in range(32)])
    fragment = client.get("/day/2026-01-14?page=2&fragment=cards", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and fragment.text.count('<li class="card">') == 2
    assert 'hx-get="/day/2026-01-14?page=2&amp;fragment=cards"' in client.get("/").text


def test_the_feed_page_runs_a_fixed_number_of_queries(client, store, count_queries):
    """The Store loads a page's authors and categories in one query each: no N+1."""
    load(store, *[make_record(published="2026-01-14", authors=[f"Author {i}", "Ada Lovelace"],
                              organization={"name": f"org{i}", "fullname": f"Org {i}"}) for i in range(40)])  # fmt: skip
    client.app.state.page_cache = PageCache(lambda: None)  # count the work of rendering, not the caches
    client.app.state.pw.memo = VersionMemo(lambda: None)
    client.app.state.pw.fragments = VersionMemo(lambda: None)
    client.get("/")  # warm up: connections, first-use queries
    with count_queries() as statements:
        assert client.get("/").status_code == 200
    # the newest day of each list, the day's (id, upvotes, published) rows, the nearest days before
    # and after, the page's papers with their authors and categories, the day's categories with
    # counts, the freshness notice (harvest states, corpus span) and the page's local vote and comment
    # counts (services.counts)
    assert len(statements) == 13, "\n".join(statements)
    with count_queries() as statements:
        assert client.get("/day/2026-01-14?page=2").status_code == 200
    assert len(statements) == 11, "\n".join(statements)  # the day is given


def test_pages_are_served_from_the_cache_until_the_data_changes(client, store, count_queries):
    load(store, make_record(title="First day", published="2026-01-12"))
    assert titles(client.get("/").text) == ["First day"]
    with count_queries() as statements:
        assert titles(client.get("/").text) == ["First day"]
    if store.dialect == "sqlite":  # PostgreSQL's version (the WAL position) moves with any write in the cluster
        assert statements == []
    load(store, make_record(title="Next day", published="2026-01-13"))  # as an ingest in another process would
    assert titles(client.get("/").text) == ["Next day"]
    assert titles(client.get("/?utm_source=x").text) == ["Next day"]  # unknown parameters share the entry


# -- trending -------------------------------------------------------------------------------------------
def test_trending_ranks_by_time_decayed_upvotes(client, store):
    load(store, make_record(title="Fresh, 30 votes", published="2026-01-14", upvotes=30),
         make_record(title="Ten days old, 100 votes", published="2026-01-04", upvotes=100),
         make_record(title="Fresh, 5 votes", published="2026-01-14", upvotes=5),
         make_record(title="Month old, 900 votes", published="2025-12-14", upvotes=900))  # fmt: skip
    page = client.get("/trending").text
    assert titles(page) == ["Fresh, 30 votes", "Fresh, 5 votes", "Ten days old, 100 votes"]
    assert "(upvotes + 1) / (age in hours + 2)" in page
    assert "#1" in page


# -- search ---------------------------------------------------------------------------------------------
def test_search_finds_papers_and_pages_through_them(client, store):
    load(store, *[make_record(title=f"Sparse attention variant {i}", summary="Attention again.") for i in range(25)],
         make_record(title="Unrelated", summary="Nothing here."))  # fmt: skip
    page = client.get("/search?q=sparse+attention")
    assert page.status_code == 200
    assert len(titles(page.text)) == 20 and "Unrelated" not in page.text
    assert 'href="/search?q=sparse+attention&amp;page=2"' in page.text
    second = client.get("/search?q=sparse+attention&page=2").text
    assert len(titles(second)) == 5 and "Showing 21–25 of 25 results" in second
    assert 'value="sparse attention"' in page.text  # the query stays in the box


def test_a_search_without_results_helps(client, store):
    load(store, make_record(title="Graph neural networks"))
    page = client.get("/search?q=quantum+teleportation").text
    assert "No papers match “quantum teleportation”" in page
    assert "Check the spelling" in page and "Browse instead" in page
    assert client.get("/search?q=%3F%3F%3F").status_code == 200  # only punctuation
    assert "How search works" in client.get("/search").text


# -- one paper ------------------------------------------------------------------------------------------
def test_the_paper_page_shows_every_field_and_link(client, store):
    load(store, make_record(
        id="2601.04242", title="Scaling $\\alpha$-entmax", summary="We show $$x^2 < y$$ and more.",
        authors=["Ada Lovelace", "Alan Turing"], categories=["cs.LG", "stat.ML"], published="2026-01-14T10:00:00Z",
        upvotes=12, num_comments=3, code_url="https://github.com/x/y", project_url="https://x.github.io/y",
        organization={"name": "deepthought", "fullname": "Deep Thought Labs"}, comment="10 pages, 3 figures",
        doi="10.1000/xyz", abs_url="https://arxiv.org/abs/2601.04242", pdf_url="https://arxiv.org/pdf/2601.04242",
    ))  # fmt: skip
    page = client.get("/papers/2601.04242")
    assert page.status_code == 200
    html = page.text
    assert "Scaling $\\alpha$-entmax" in html and "We show $$x^2 &lt; y$$ and more." in html
    assert 'href="/authors/ada-lovelace">Ada Lovelace</a>' in html and 'href="/authors/alan-turing"' in html
    assert 'href="/orgs/deepthought">Deep Thought Labs</a>' in html
    assert 'href="/categories/cs.LG"' in html and 'href="/categories/stat.ML"' in html
    for link in ("https://arxiv.org/abs/2601.04242", "https://arxiv.org/pdf/2601.04242", "https://github.com/x/y",
                 "https://x.github.io/y", "https://doi.org/10.1000/xyz"):  # fmt: skip
        assert f'href="{link}"' in html
    assert "▲ 12" in html and "14 January 2026" in html and "10 pages, 3 figures" in html
    assert 'href="/day/2026-01-14"' in html
    assert "Related papers" not in html  # shown only when the search issue provides them


def test_the_paper_page_offers_a_bibtex_citation_to_copy(client, store):
    load(store, make_record(id="2601.04242", title="Scaling & Sparsity", authors=["Ada Lovelace", "Alan Turing"],
                            categories=["cs.LG"], published="2026-01-14"))  # fmt: skip
    html = client.get("/papers/2601.04242").text
    bib = re.search(r'<pre id="bibtex"[^>]*><code>(.*?)</code></pre>', html, re.S).group(1)
    assert bib.startswith("@misc{lovelace2026scaling,")
    assert "title         = {Scaling \\&amp; Sparsity}" in bib
    assert "author        = {Lovelace, Ada and Turing, Alan}" in bib
    assert "eprint        = {2601.04242}" in bib and "archivePrefix = {arXiv}" in bib and "primaryClass  = {cs.LG}" in bib
    assert 'data-copy="#bibtex"' in html


def test_an_old_style_arxiv_id_with_a_slash_opens(client, store):
    load(store, make_record(id="hep-th/9901001v2", title="Old style id"))
    page = client.get("/papers/hep-th/9901001")
    assert page.status_code == 200 and "Old style id" in page.text
    assert 'href="/papers/hep-th/9901001"' in client.get("/").text


def test_an_unknown_paper_is_a_404_page(client):
    page = client.get("/papers/2601.99999")
    assert page.status_code == 404 and "no paper with id 2601.99999" in page.text
    assert page.headers["content-type"].startswith("text/html")


def test_math_is_rendered_by_katex_served_locally(client, store):
    load(store, make_record(id="2601.00042", summary="Let $f(x) = x^2$."))
    html = client.get("/papers/2601.00042").text
    assert 'class="abstract math"' in html and "Let $f(x) = x^2$." in html
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert any("/static/vendor/katex/katex.min.js" in a for a in assets)
    assert any("/static/vendor/katex/auto-render.min.js" in a for a in assets)
    assert all(a.startswith("/static/") for a in assets), assets  # no CDN, no external fonts
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    css = client.get("/static/vendor/katex/katex.min.css").text
    fonts = set(re.findall(r"url\((fonts/[^)]+)\)", css))
    assert fonts and all(client.get(f"/static/vendor/katex/{f}").status_code == 200 for f in fonts)
    assert "http" not in client.get("/static/style.css").text


# -- authors, organisations, categories -------------------------------------------------------------
def test_the_author_page_lists_papers_coauthors_organisations_and_upvotes(client, store):
    load(store, make_record(title="First", authors=["Ada Lovelace", "Alan Turing"], published="2026-01-10", upvotes=5,
                            organization={"name": "analytical", "fullname": "Analytical Engines"}),
         make_record(title="Second", authors=["Charles Babbage", "Ada Lovelace", "Alan Turing"], published="2026-01-12", upvotes=7),
         make_record(title="Not hers", authors=["Alan Turing"], published="2026-01-13", upvotes=100))  # fmt: skip
    page = client.get("/authors/ada-lovelace")
    assert page.status_code == 200
    html = page.text
    assert "<h1 id=\"author-title\">Ada Lovelace</h1>" in html
    assert titles(html) == ["Second", "First"]
    assert "<strong>2</strong> papers" in html and "<strong>12</strong> upvotes in total" in html
    coauthors = re.search(r'<ul class="people">(.*?)</ul>', html, re.S).group(1)
    assert coauthors.index("Alan Turing") < coauthors.index("Charles Babbage")  # two papers together, then one
    assert 'href="/orgs/analytical">Analytical Engines' in html
    assert client.get("/authors/Ada%20Lovelace", follow_redirects=False).headers["location"] == "/authors/ada-lovelace"
    assert client.get("/authors/grace-hopper").status_code == 404


def test_the_organisation_page_lists_its_papers(client, store):
    org = {"name": "deepthought", "fullname": "Deep Thought Labs"}
    load(store, make_record(title="Answer", organization=org, published="2026-01-10", upvotes=42, authors=["Fook"]),
         make_record(title="Question", organization=org, published="2026-01-12", authors=["Lunkwill", "Fook"]),
         make_record(title="Elsewhere", published="2026-01-12"))  # fmt: skip
    page = client.get("/orgs/deepthought").text
    assert "Deep Thought Labs" in page and titles(page) == ["Question", "Answer"]
    assert "<strong>42</strong> upvotes in total" in page and 'href="/authors/fook"' in page
    assert client.get("/orgs/nobody").status_code == 404


def test_the_category_page_lists_its_papers_newest_first(client, store):
    load(store, make_record(title="Primary", categories=["cs.CL"], published="2026-01-10"),
         make_record(title="Cross-listed", categories=["cs.LG", "cs.CL"], published="2026-01-12"),
         make_record(title="Other", categories=["cs.CV"], published="2026-01-13"))  # fmt: skip
    page = client.get("/categories/cs.CL").text
    assert "Computation and Language" in page and titles(page) == ["Cross-listed", "Primary"]
    assert 'href="/categories/cs.LG"' in page  # often listed with
    assert client.get("/categories/cs.XX").status_code == 404


# -- text is never executed ------------------------------------------------------------------------------
XSS_TITLE = '<script>alert("t")</script> &amp; Attention'
XSS_SUMMARY = 'Abstract <img src=x onerror=alert(1)> with "$\\frac{a}{b}$" &lt;b&gt;'
XSS_AUTHOR = "<svg onload=alert(3)>Mallory"


def test_markup_in_titles_abstracts_and_author_names_is_shown_as_text(client, store):
    load(store, make_record(id="2601.06666", title=XSS_TITLE, summary=XSS_SUMMARY, authors=[XSS_AUTHOR, "Ada Lovelace"],
                            published="2026-01-14", organization={"name": "evil", "fullname": "<b>Evil</b> Corp"}))  # fmt: skip
    author_key = re.search(r'href="(/authors/[^"]*mallory)"', client.get("/").text).group(1)
    pages = ["/", "/day/2026-01-14", "/papers/2601.06666", "/search?q=attention", author_key, "/orgs/evil",
             "/categories/cs.CL", "/trending", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E"]  # fmt: skip
    for url in pages:
        html = client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html, url
        assert "<b>Evil</b>" not in html, url
    paper = client.get("/papers/2601.06666").text
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; &amp;amp; Attention" in paper
    assert "Abstract &lt;img src=x onerror=alert(1)&gt; with &#34;$\\frac{a}{b}$&#34; &amp;lt;b&amp;gt;" in paper
    assert "&lt;svg onload=alert(3)&gt;Mallory" in paper


def test_a_javascript_url_never_becomes_a_link(client, store):
    from paperwire.web.pages import safe_href

    assert safe_href("javascript:alert(1)") == "#" and safe_href("https://ok.example/") == "https://ok.example/"


def test_pages_are_usable_without_a_mouse(client, store):
    load(store, make_record(published="2026-01-14"))
    html = client.get("/").text
    assert '<a class="skip" href="#main">' in html and '<main id="main"' in html
    for control in re.findall(r'<input[^>]*id="([^"]+)"', html):
        if 'type="hidden"' not in control:
            assert f'<label for="{control}"' in html, control
    assert 'lang="en"' in html and 'name="viewport"' in html


def test_pages_link_their_atom_and_rss_feeds(client, store):
    load(store, make_record(title="Feedable", authors=["Ada Lovelace"], categories=["cs.CL"], published="2026-01-14"))
    for page in ("/day/2026-01-14", "/categories/cs.CL", "/authors/ada-lovelace", "/search?q=feedable"):
        html = client.get(page).text
        links = re.findall(r'href="(/feeds/[^"]+)"', html)
        assert any(link.split("?")[0].endswith(".atom") for link in links), page
        assert any(".rss" in link for link in links), page
        for link in links:
            response = client.get(link.replace("&amp;", "&"))
            assert response.status_code == 200 and "Feedable" in response.text, link

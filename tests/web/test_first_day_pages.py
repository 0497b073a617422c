"""What a first-day reader sees on the pages (SQLite and PostgreSQL): an empty weekday tells an arXiv
holiday from a gap in this instance's data, day steps name the year when they cross years, LaTeX text
markup shows as plain text while math stays for KaTeX, and "Show more" pushes its URL."""
from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from paperwire.services.periods import arxiv_holiday
from paperwire.web.app import create_app
from paperwire.web.latex_text import latex_text, snippet_text
from tests.browsing import HTML
from tests.factories import load, make_record


@pytest.fixture
def client(pw):
    with TestClient(create_app(pw=pw), headers=HTML) as c:
        yield c


# -- empty days: weekend, arXiv holiday, or a gap in the data ----------------------------------------------------
def test_an_empty_arxiv_holiday_says_it_is_one(client, store):
    load(store, make_record(published="2025-11-25"), make_record(published="2025-11-28"))
    page = client.get("/day/2025-11-27").text  # Thanksgiving, a Thursday
    assert "Thanksgiving Day is an arXiv holiday" in page and "gap" not in page


def test_an_empty_ordinary_weekday_is_called_a_gap_in_this_instances_data(client, store):
    load(store, make_record(published="2025-11-17"), make_record(published="2025-11-20"))
    page = client.get("/day/2025-11-18").text  # a Tuesday
    assert "a gap in this instance&#39;s data" in page and "holiday" not in page


def test_the_holiday_calendar_knows_moving_and_observed_holidays():
    assert arxiv_holiday(date(2026, 11, 26)) == "Thanksgiving Day"
    assert arxiv_holiday(date(2026, 7, 3)) == "Independence Day"  # observed: the 4th is a Saturday
    assert arxiv_holiday(date(2026, 5, 25)) == "Memorial Day"
    assert arxiv_holiday(date(2026, 10, 12)) is None  # Columbus Day: arXiv announces


# -- the year in the day steps ---------------------------------------------------------------------------------
def test_a_day_step_into_another_year_names_the_year(client, store):
    load(store, make_record(published="2024-12-20"), make_record(published="2025-01-06"))
    page = client.get("/day/2025-01-06").text
    assert re.search(r'rel="prev" href="/day/2024-12-20"[^>]*>← Fri 20 Dec 2024</a>', page)


def test_a_day_step_within_this_year_leaves_the_year_out(client, store):
    year = date.today().year
    load(store, make_record(published=f"{year}-03-02"), make_record(published=f"{year}-03-04"))
    page = client.get(f"/day/{year}-03-02").text
    label = re.search(rf'rel="next" href="/day/{year}-03-04"[^>]*>([^<]*)</a>', page).group(1)
    assert label == date(year, 3, 4).strftime("%a %-d %b") + " →"


# -- LaTeX text markup ----------------------------------------------------------------------------------------
def test_latex_text_markup_is_reduced_and_math_is_kept():
    text = r"We study \emph{sparse} attention~\cite{vaswani2017} for $\mathcal{O}(n)$ cost -- 50% less, see \url{https://x.org/a_b}."
    assert latex_text(text) == r"We study sparse attention for $\mathcal{O}(n)$ cost – 50% less, see https://x.org/a_b."


def test_latex_text_keeps_escaped_dollars_and_plain_text_as_they_are():
    assert latex_text(r"It costs \$5 and $x$ here.") == r"It costs \$5 and $x$ here."
    assert latex_text("No markup: 100% plain, a_b and x^2.") == "No markup: 100% plain, a_b and x^2."


def test_a_snippet_piece_drops_formatting_macros_cut_anywhere():
    assert snippet_text(r"with \emph{") + "sparse" + snippet_text(r"} attention \cite{x}") == "with sparse attention"


def test_cards_and_the_paper_page_show_latex_markup_as_plain_text(client, store):
    load(store, make_record(id="2601.07001", published="2026-01-14", title=r"\textbf{Bold} ideas for $k$-means",
                            summary=r"We \emph{really} improve $k$-means \cite{lloyd}."))  # fmt: skip
    card = client.get("/day/2026-01-14?list=new").text
    paper = re.sub(r'<pre id="bibtex".*?</pre>', "", client.get("/papers/2601.07001").text, flags=re.S)  # BibTeX stays LaTeX
    for html in (card, paper):
        assert r"\emph" not in html and r"\cite" not in html and r"\textbf" not in html
        assert "Bold ideas for $k$-means" in html and "We really improve $k$-means." in html


# -- "Show more" keeps the URL ----------------------------------------------------------------------------------
def test_show_more_pushes_the_next_pages_url(client, store):
    load(store, *[make_record(published="2026-01-14") for _ in range(32)])
    page = client.get("/day/2026-01-14?list=new").text
    assert re.search(r'<a href="/day/2026-01-14\?[^"]*page=2"[^>]*hx-push-url="/day/2026-01-14\?[^"]*page=2"', page)

"""Follow buttons that show their state and toggle in place, and the Following page's names and links
(SQLite and PostgreSQL)."""
from __future__ import annotations

import re

import pytest

from tests.browsing import post, signup
from tests.factories import load, make_record

PAGES = [("/authors/ada-lovelace", "author", "ada lovelace"), ("/orgs/acme", "org", "acme"),
         ("/categories/cs.CL", "category", "cs.CL")]  # fmt: skip


def follow_form(html: str) -> str:
    match = re.search(r'<form method="post" action="/follow" class="inline follow-form[^"]*".*?</form>', html, re.S)
    assert match, html[:3000]
    return match.group(0)


def field(form: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', form).group(1)


@pytest.fixture
def corpus(store):
    load(store, make_record(authors=["Ada Lovelace", "Alan Turing"], categories=["cs.CL"],
                            organization={"name": "acme", "fullname": "ACME Research"}))  # fmt: skip


@pytest.mark.parametrize("path, kind, target", PAGES)
def test_a_follow_button_shows_following_after_a_reload(client, corpus, path, kind, target):
    signup(client, "state@example.org")
    form = follow_form(client.get(path).text)
    assert ">Follow</button>" in form and "Following" not in form
    response = post(client, "/follow", {"kind": kind, "target": field(form, "target"), "on": "1", "next": path}, from_page=path)
    assert response.status_code == 303 and response.headers["location"] == path  # without JavaScript: back to the page
    again = follow_form(client.get(path).text)
    assert "✓ Following" in again and ">Unfollow</button>" in again and field(again, "on") == "0"


def test_the_follow_toggle_answers_htmx_with_the_button_in_its_new_state(client, corpus):
    signup(client, "htmx@example.org")
    form = follow_form(client.get("/categories/cs.CL").text)
    assert 'hx-post="/follow"' in form and 'hx-swap="outerHTML"' in form
    data = {"kind": "category", "target": "cs.CL", "on": "1", "next": "/categories/cs.CL"}
    swapped = post(client, "/follow", data, from_page="/categories/cs.CL", headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and "<html" not in swapped.text  # only the button, swapped in place
    assert ">Unfollow</button>" in swapped.text and field(follow_form(swapped.text), "next") == "/categories/cs.CL"
    back = post(client, "/follow", {**data, "on": "0"}, from_page="/categories/cs.CL", headers={"HX-Request": "true"})
    assert ">Follow</button>" in back.text and "Following" not in back.text
    assert "Following" not in follow_form(client.get("/categories/cs.CL").text)


def test_the_following_page_lists_names_as_written_each_linked(client, corpus):
    signup(client, "names@example.org")
    for kind, target in [("author", "ada-lovelace"), ("org", "ACME"), ("category", "cs.CL"),
                         ("query", "Speculative Decoding  for LLMs")]:  # fmt: skip
        assert post(client, "/follow", {"kind": kind, "target": target}, from_page="/following").status_code == 303
    page = client.get("/following").text
    items = re.findall(r'<a href="([^"]+)"><strong>([^<]+)</strong></a>', page)
    assert items == [("/authors/ada-lovelace", "Ada Lovelace"), ("/orgs/acme", "ACME Research"),
                     ("/categories/cs.CL", "cs.CL"), ("/search?q=Speculative%20Decoding%20for%20LLMs", "Speculative Decoding for LLMs")]  # fmt: skip
    assert "Computation and Language" in page
    assert page.count(">Unfollow</button>") == 4  # each with its toggle


def test_an_author_without_papers_here_is_listed_capitalised(client, corpus):
    signup(client, "unknown@example.org")
    post(client, "/follow", {"kind": "author", "target": "grace hopper"}, from_page="/following")
    assert re.search(r'<a href="/authors/grace-hopper"><strong>Grace Hopper</strong></a>', client.get("/following").text)


def test_a_filtered_feed_offers_to_follow_its_category(client, store):
    load(store, make_record(categories=["cs.CV"], published="2026-12-03T10:00:00Z"))
    signup(client, "feed@example.org")
    form = follow_form(client.get("/day/2026-12-03?category=cs.CV").text)
    assert field(form, "target") == "cs.CV" and field(form, "next") == "/day/2026-12-03?category=cs.CV"

"""Submitting a paper by arXiv id or URL (SQLite and PostgreSQL): new ids are fetched from a recorded
arXiv API response served on localhost, duplicates are refused with a link, bad ids are form errors."""
from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from paperwire.settings import Settings
from paperwire.store import accounts as db
from paperwire.web.app import create_app
from paperwire.web.pages import PageCache
from tests.browsing import post, signup
from tests.factories import paper

ATOM = "application/atom+xml; charset=utf-8"


@pytest.fixture
def app(store, db_url, smtp, httpserver: HTTPServer):
    settings = Settings(database_url=db_url, smtp_url=smtp[1], secret_key="test-secret-key",
                        arxiv_api_url=httpserver.url_for("/api/query"))  # fmt: skip
    application = create_app(settings, store=store)
    application.state.page_cache = PageCache(lambda: None)
    return application


def _serve(httpserver: HTTPServer, fixtures_dir, paper_id: str, name: str) -> None:
    httpserver.expect_request("/api/query", query_string={"id_list": paper_id, "max_results": "1"}).respond_with_data(
        (fixtures_dir / "arxiv_api" / name).read_bytes(), content_type=ATOM)


def submit(client, text: str):
    return post(client, "/submit", {"paper": text}, from_page="/submit")


def test_a_new_arxiv_paper_is_fetched_and_shown_as_submitted(client, store, httpserver, fixtures_dir):
    _serve(httpserver, fixtures_dir, "2505.18878", "id_list.xml")
    signup(client, "sub@example.org", display_name="Ada")
    assert 'href="/submit"' in client.get("/").text
    response = submit(client, "https://arxiv.org/abs/2505.18878v1")
    assert response.status_code == 303 and response.headers["location"] == "/papers/2505.18878"
    stored = store.get_paper("2505.18878")
    assert stored.submitted_by == "Ada" and stored.title.startswith("CRMArena-Pro")
    assert "submitted by" in client.get("/papers/2505.18878").text.lower()
    day = client.get(f"/day/{stored.published.date().isoformat()}").text
    assert "submitted by Ada" in day
    assert len(httpserver.log) == 1


def test_a_stored_paper_without_submitter_takes_the_user_without_asking_arxiv(client, store, httpserver):
    p = paper(store, title="Stored already", published="2026-01-14")
    signup(client, "local@example.org")
    response = submit(client, f"arXiv:{p.id}v3")
    assert response.status_code == 303
    user = db.user_by_email(store, "local@example.org")
    assert store.get_paper(p.id).submitted_by == f"reader-{user.pk}"  # an anonymous handle, never the email's local part
    assert httpserver.log == []


def test_a_paper_submitted_before_is_refused_with_a_link(client, store, new_client):
    p = paper(store, title="Twice submitted", published="2026-01-14")
    signup(client, "first@example.org", display_name="First")
    assert submit(client, p.id).status_code == 303
    other = new_client()
    signup(other, "second@example.org", display_name="Second")
    refused = submit(other, p.id)
    assert refused.status_code == 409
    assert "already submitted by First" in refused.text and f'href="/papers/{p.id}"' in refused.text
    assert store.get_paper(p.id).submitted_by == "First"


@pytest.mark.parametrize("text", ["not an id", "2513.00001", "https://example.org/abs/x", ""])
def test_a_bad_id_is_a_form_error(client, text):
    signup(client, "bad@example.org")
    response = submit(client, text)
    assert response.status_code == 400 and "arXiv id" in response.text


def test_an_id_unknown_to_arxiv_is_a_form_error(client, store, httpserver, fixtures_dir):
    _serve(httpserver, fixtures_dir, "2505.99999", "id_list_empty.xml")
    signup(client, "unknown@example.org")
    response = submit(client, "2505.99999")
    assert response.status_code == 400 and "arXiv has no paper 2505.99999" in response.text
    assert store.get_paper("2505.99999") is None


def test_arxiv_down_is_a_form_error_not_a_500(client, httpserver):
    httpserver.expect_request("/api/query").respond_with_data("down", status=500)
    signup(client, "down@example.org")
    response = submit(client, "2505.18878")
    assert response.status_code == 400 and "could not be reached" in response.text


def test_submitting_needs_the_csrf_token_and_a_user(client, new_client, store):
    p = paper(store, published="2026-01-14")
    signup(client, "csrf@example.org")
    refused = client.post("/submit", data={"paper": p.id}, follow_redirects=False)
    assert refused.status_code == 403
    assert store.get_paper(p.id).submitted_by is None
    anonymous = new_client()
    assert anonymous.get("/submit", follow_redirects=False).status_code == 303
    assert post(anonymous, "/submit", {"paper": p.id}).status_code == 303  # to the log-in page
    assert store.get_paper(p.id).submitted_by is None


def _submitted_day(store, paper_id: str) -> str:
    from sqlalchemy import select

    from paperwire.store import schema as t

    with store.engine.connect() as conn:
        at = conn.execute(select(t.papers.c.submitted_at).where(t.papers.c.id == paper_id)).scalar_one()
    return at.date().isoformat()


def _daily_ids(client, day: str) -> list[str]:
    response = client.get(f"/api/daily_papers?date={day}")
    assert response.status_code == 200
    return [item["paper"]["id"] for item in response.json()]


def test_a_submitted_paper_is_in_the_feed_of_the_day_it_was_submitted(client, store):
    p = paper(store, title="An old classic", published="2019-03-04")
    signup(client, "today@example.org", display_name="Tess")
    assert submit(client, p.id).status_code == 303
    day = _submitted_day(store, p.id)
    assert day != "2019-03-04"
    assert _daily_ids(client, day) == [p.id]
    assert "submitted by Tess" in client.get(f"/day/{day}").text


def test_the_api_gives_a_submitted_paper_its_submission_time_as_submitted_on_daily_at(client, store):
    p = paper(store, title="An old classic", published="2019-03-04")
    signup(client, "when@example.org")
    assert client.get(f"/api/papers/{p.id}").json()["submittedOnDailyAt"].startswith("2019-03-04")
    assert submit(client, p.id).status_code == 303
    day = _submitted_day(store, p.id)
    detail = client.get(f"/api/papers/{p.id}").json()
    assert detail["submittedOnDailyAt"].startswith(day) and detail["publishedAt"].startswith("2019-03-04")
    item = next(i for i in client.get(f"/api/daily_papers?date={day}").json() if i["paper"]["id"] == p.id)
    assert item["publishedAt"].startswith(day)


def test_the_home_page_opens_on_the_day_of_the_latest_submission(client, store):
    p = paper(store, title="An old classic", published="2019-03-04")
    assert "An old classic" in client.get("/").text  # on its publication day
    signup(client, "home@example.org")
    assert submit(client, p.id).status_code == 303
    day = _submitted_day(store, p.id)
    home = client.get("/").text
    assert f"daily.atom?date={day}" in home and "An old classic" in home  # the submission day's feed


def test_a_submitted_paper_stays_in_the_feed_of_its_publication_day(client, store):
    p = paper(store, title="An old classic", published="2019-03-04")
    signup(client, "pubday@example.org")
    assert submit(client, p.id).status_code == 303
    assert _daily_ids(client, "2019-03-04") == [p.id]


def test_an_unsubmitted_paper_is_only_in_the_feed_of_its_publication_day(client, store):
    p = paper(store, title="Nobody submitted me", published="2019-03-04")
    other = paper(store, title="Submitted", published="2019-03-05")
    signup(client, "only@example.org")
    assert submit(client, other.id).status_code == 303
    assert p.id not in _daily_ids(client, _submitted_day(store, other.id))


def test_the_publication_day_links_forward_to_the_day_of_a_submission(client, store):
    from datetime import date

    from paperwire.services import feed
    from paperwire.services.periods import Period

    p = paper(store, title="An old classic", published="2019-03-04")
    signup(client, "nav@example.org")
    assert submit(client, p.id).status_code == 303
    page = feed.feed(store, Period.parse("day", "2019-03-04"))
    assert page.newer == date.fromisoformat(_submitted_day(store, p.id))


def test_a_paper_new_to_this_instance_is_embedded_in_the_background_after_submission(store, db_url, smtp, httpserver,
                                                                                      fixtures_dir, tmp_path):
    from fastapi.testclient import TestClient

    from paperwire.context import Paperwire
    from paperwire.index.embedder import FakeEmbedder
    from paperwire.store import embeddings

    settings = Settings(database_url=db_url, smtp_url=smtp[1], secret_key="test-secret-key", data_dir=tmp_path,
                        arxiv_api_url=httpserver.url_for("/api/query"))  # fmt: skip
    pw = Paperwire(settings, store, embedder=FakeEmbedder())
    _serve(httpserver, fixtures_dir, "2505.18878", "id_list.xml")
    with TestClient(create_app(pw=pw)) as client:
        signup(client, "sub@example.org", display_name="Ada")
        assert submit(client, "2505.18878").status_code == 303
        pw.wait_background(timeout=60)
    assert embeddings.count(store, FakeEmbedder().name) == 1
    pw.close()

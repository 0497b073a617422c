"""End to end: three simulated days arrive by themselves, with only the server running.

Recorded arXiv OAI-PMH and Hugging Face responses (real metadata) are served on localhost; the
server's clock (``pw.clock``) is moved to each evening after arXiv's announcement and its harvest
schedule fires as it would at that time. Each day's papers must then be in the day feed, found by
hybrid and by semantic search, in another new paper's related papers, in a reader's For-you list and
in the next digest — with no command typed.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from paperwire.context import Paperwire
from paperwire.services import accounts, recommend
from paperwire.services import digest as digest_svc
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.web.app import create_app
from tests.daily.recorded import hf_day, listing

TOPICS = ("diffusion", "reinforcement learning", "retrieval")  # one topic a day, so related papers cluster
DAYS = (date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2))  # Monday to Wednesday listings
PER_DAY = 12
JSON = {"Accept": "application/json"}


def _papers_by_topic(sample: list[dict]) -> list[list[dict]]:
    taken: set[str] = set()
    days = []
    for topic in TOPICS:
        chosen = [p for p in sample if topic in p["title"].lower() and p["id"] not in taken][:PER_DAY]
        taken.update(p["id"] for p in chosen)
        days.append(chosen)
    return days


def _evening_after_announcement(listing_day: date) -> datetime:
    """01:35 UTC of the listing day: 20:35 US Eastern the evening before, after arXiv's 20:00 announcement."""
    return datetime.combine(listing_day, datetime.min.time()) + timedelta(hours=1, minutes=35)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _wait_for(predicate, what: str, timeout: float = 180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := predicate():
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _ids(items) -> set[str]:
    return {item["paper"]["id"] if "paper" in item else item["id"] for item in items}


def test_three_days_of_papers_arrive_and_are_found_everywhere_with_only_the_server_running(data_dir, recorded,
                                                                                         arxiv_papers):
    days = _papers_by_topic(arxiv_papers)
    assert all(len(d) == PER_DAY for d in days), "the sample has enough papers on each topic"
    recorded.page_size = 10
    db_url = f"sqlite:///{data_dir / 'paperwire.db'}"
    settings = Settings(database_url=db_url, data_dir=data_dir, harvest_sources=["arxiv", "hf"], hf_days=1,
                        harvest_backfill_days=2, base_url="http://paperwire.test", **recorded.settings())  # fmt: skip
    clock = Clock(_evening_after_announcement(DAYS[0]))
    pw = Paperwire(settings, Store.open(db_url, upgrade=True), owns_store=True, clock=clock)
    reader = accounts.sign_up(pw.store, "reader@example.org", "a long enough password", verified=True)
    recommend.set_interests(pw.store, reader, "diffusion models, reinforcement learning agents, retrieval-augmented generation")
    subscriber = digest_svc.subscribe_account(pw.store, reader)  # the reader's own digest

    for n, (day, papers) in enumerate(zip(DAYS, days)):
        recorded.add_listing(listing(papers, day))
        recorded.set_day(day, hf_day(papers[:4], day))
        clock.now = _evening_after_announcement(day)
        if n == 0:
            app = create_app(pw=pw, scheduler=True)
            client = TestClient(app, headers=JSON).__enter__()  # the server starts: its start-up harvest runs
        else:
            scheduler = app.state.harvest_scheduler
            for source in ("arxiv", "hf"):  # the schedule's jobs fire at this time of day
                scheduler.run(source)

        def harvested():
            report = client.get("/api/status").json()
            return all(s["last_success"] and s["last_success"].startswith(clock.now.date().isoformat())
                       for s in report["sources"]) and report["embedding_backlog"] == 0  # fmt: skip
        _wait_for(harvested, f"the harvest of {day}")
        ids = {p["id"] for p in papers}

        # the day feed: New on arXiv of the listing day, and Daily Papers of the Hugging Face day
        listed = client.get(f"/api/daily_papers?date={day.isoformat()}&list=new&limit=100").json()
        assert _ids(listed) == ids
        picked = client.get(f"/api/daily_papers?date={day.isoformat()}&list=daily").json()
        assert _ids(picked) == {p["id"] for p in papers[:4]}
        assert client.get(f"/day/{day.isoformat()}", headers={"Accept": "text/html"}).text.count('class="card"') == PER_DAY

        # search: the first sentence of a new paper's abstract finds it, semantic and hybrid
        target = papers[1]
        query = target["summary"].split(". ")[0][:300]
        for mode in ("semantic", "hybrid"):
            found = client.get("/api/search", params={"q": query, "mode": mode, "limit": 5}).json()
            assert target["id"] in [r["paper"]["id"] for r in found["results"]], (mode, day, [r["paper"]["title"] for r in found["results"]])
        # related papers of a new paper are the day's other papers on its topic
        similar = client.get(f"/api/papers/{papers[0]['id']}/similar?limit=10").json()
        assert len(_ids(similar) & (ids - {papers[0]["id"]})) >= 3, similar
        # For you: the reader's interests bring the day's papers
        recs = recommend.recommend(pw, reader.pk, since=datetime.combine(day - timedelta(days=3), datetime.min.time()),
                                   limit=20)  # fmt: skip
        assert {r.paper.id for r in recs.items} & ids, f"For you has none of {day}'s papers"
        # the next digest (that morning) announces them
        preview = digest_svc.preview(pw, subscriber=subscriber, digest_date=day)
        assert ids & {p.id for section in preview.selection.sections for p in section.papers}, preview.text

    client.__exit__(None, None, None)
    pw.close()

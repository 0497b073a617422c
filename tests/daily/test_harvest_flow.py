"""A day of the daily loop against recorded arXiv and Hugging Face responses, into a real database
(SQLite and PostgreSQL), embedded by the real model: what a harvest stores, and what an HF refresh
changes and leaves alone."""
from __future__ import annotations

from datetime import timedelta

import pytest

from paperwire.services.harvest import harvest
from paperwire.services.indexing import backlog
from paperwire.services.search import search
from tests.daily.conftest import DAY, NOW
from tests.daily.recorded import hf_day, hf_item, listing

WANTED = ["cs.AI", "cs.CL", "cs.CV"]
TARGET = "2604.08448"  # AfriVoices-KE: A Multilingual Speech Dataset for Kenyan Languages
PARAPHRASE = "a collection of spoken audio recordings in the languages of Kenya"


class Day:
    """One announcement (30 new papers, 3 cross-lists, 3 replacements) and that day's HF list (4 of
    the new papers, 3 papers not in the listing)."""

    def __init__(self, papers: list[dict]):
        recent = papers[1500:]
        self.new = [p for p in recent if p["categories"][0] in WANTED][:30]
        self.cross = [p for p in recent if p["categories"][0] not in WANTED and set(WANTED) & set(p["categories"])][:3]
        self.replaced = [p for p in papers[:200] if p["categories"][0] in WANTED][:3]
        self.hf_only = [p for p in papers[1000:1500] if "github.com" in p["summary"]][:3]
        self.on_hf = [p for p in self.new if p["id"] == TARGET] + [p for p in self.new if "github.com" in p["summary"]][:3]
        self.records = listing(self.new + self.cross + self.replaced, DAY, replaced=[p["id"] for p in self.replaced])
        self.hf = hf_day(self.on_hf + self.hf_only, DAY)

    def serve(self, recorded) -> None:
        recorded.add_listing(self.records)
        recorded.set_day(DAY, self.hf)


@pytest.fixture
def day(arxiv_papers, recorded) -> Day:
    found = Day(arxiv_papers)
    assert len(found.new) == 30 and len(found.cross) == 3 and len(found.on_hf) == 4 and len(found.hf_only) == 3
    found.serve(recorded)
    return found


def _hf(day: Day, paper_id: str) -> dict:
    return next(item for item in day.hf if item["paper"]["id"] == paper_id)


def test_a_harvest_stores_the_days_arxiv_listing_with_its_day_and_kind(daily_pw, day):
    pw = daily_pw(arxiv_categories=WANTED)
    report = harvest(pw, now=NOW, index=False)
    assert report.ok and [(r.source, r.status) for r in report.runs] == [("arxiv", "ok"), ("hf", "ok")]
    assert report.runs[0].added == 36
    kinds = {p["id"]: kind for kind, group in (("new", day.new), ("cross", day.cross), ("replace", day.replaced))
             for p in group}  # fmt: skip
    for paper_id, kind in kinds.items():
        paper = pw.store.get_paper(paper_id)
        assert (paper.announced_on, paper.listing) == (DAY, kind), paper_id
    replaced = pw.store.get_paper(day.replaced[0]["id"])
    assert replaced.updated is not None and replaced.published.date() < DAY - timedelta(days=14)


def test_a_harvest_stores_what_hugging_face_adds(daily_pw, day):
    pw = daily_pw(arxiv_categories=WANTED)
    report = harvest(pw, now=NOW, index=False)
    assert report.runs[1].added == 3 and report.runs[1].seen == 7  # 4 of the 7 were in the arXiv listing
    for paper in day.on_hf + day.hf_only:
        item = _hf(day, paper["id"])
        stored = pw.store.get_paper(paper["id"])
        assert stored.hf_day == DAY
        assert stored.upvotes == item["paper"]["upvotes"] > 0
        assert stored.ai_summary == item["paper"]["ai_summary"]
        assert stored.ai_keywords == tuple(item["paper"]["ai_keywords"]) and stored.ai_keywords
        assert stored.github_stars == item["paper"].get("githubStars")
        assert stored.thumbnail == item["thumbnail"]
    starred = [pw.store.get_paper(p["id"]) for p in day.hf_only]
    assert all(p.github_stars and p.code_url.startswith("https://github.com/") for p in starred)
    listed = pw.store.get_paper(day.on_hf[0]["id"])
    assert (listed.listing, listed.announced_on, listed.source) == ("new", DAY, "oai")  # arXiv's record stays first


def test_a_harvest_leaves_every_paper_embedded_and_findable_by_meaning(daily_pw, day):
    pw = daily_pw(arxiv_categories=WANTED)
    report = harvest(pw, now=NOW)
    assert report.index is not None and report.index.error is None
    assert report.index.embedded + report.index.imported == 39 and backlog(pw) == 0  # imported: the bundled vectors
    found = search(pw, PARAPHRASE, mode="semantic", limit=3)
    assert found.mode == "semantic"
    assert found.papers[0].id == TARGET


def test_a_hugging_face_refresh_updates_counts_and_stars_but_not_arxiv_text(daily_pw, day, recorded):
    pw = daily_pw(arxiv_categories=WANTED)
    harvest(pw, now=NOW)
    before = pw.store.get_paper(TARGET)
    paper = next(p for p in day.new if p["id"] == TARGET)
    item = _hf(day, TARGET)
    votes, stars = item["paper"]["upvotes"] + 25, (item["paper"].get("githubStars") or 0) + 100
    refreshed = hf_item(paper, DAY, upvotes=votes, stars=stars, github="https://github.com/afrivoices/afrivoices-ke",
                        title="AfriVoices-KE: Kenyan speech at scale", comments=9)  # fmt: skip
    recorded.set_day(DAY, [refreshed if i["paper"]["id"] == TARGET else i for i in day.hf])
    report = harvest(pw, sources=["hf"], now=NOW + timedelta(hours=4))
    assert report.ok and report.runs[0].updated >= 1
    after = pw.store.get_paper(TARGET)
    assert (after.upvotes, after.github_stars, after.num_comments) == (votes, stars, 9)
    assert (after.title, after.summary, after.authors) == (before.title, before.summary, before.authors)
    assert after.title == paper["title"]
    assert report.index is not None and report.index.embedded == 0  # the text did not change

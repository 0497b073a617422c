"""Submitting a paper by arXiv id or URL, as on Hugging Face Daily Papers.

A paper already stored gets the user as its submitter, unless it has one (then the submission is
refused and the caller links to the existing page). A paper not stored yet is fetched from the arXiv
query API (``id_list=``), ingested like any other arXiv record, then claimed the same way; the claim is
one conditional UPDATE, so of two users submitting the same paper at once exactly one wins. It records
the time too: as on Hugging Face Daily Papers, the paper then appears in the feed of the day it was
submitted (``store.feed_queries.dated_rows``), besides the day it was published.
"""
from __future__ import annotations

import logging

from paperwire.context import Paperwire
from paperwire.ingest import ingest_items
from paperwire.keys import arxiv_id
from paperwire.services.errors import AccountError
from paperwire.services.indexing import index_soon
from paperwire.settings import Settings
from paperwire.sources.errors import SourceError
from paperwire.store import Paper, Store
from paperwire.store import accounts as db
from paperwire.store.accounts import User

log = logging.getLogger(__name__)
MAX_INPUT = 300


class AlreadySubmitted(Exception):
    """The paper is on the site and someone already submitted it."""

    def __init__(self, paper: Paper):
        super().__init__(f"{paper.id} was already submitted by {paper.submitted_by}")
        self.paper = paper


def submitter_name(user: User) -> str:
    """How the submitter is shown: the display name, else an anonymous handle (never the email)."""
    return user.name[:200]


def parse_id(text: str) -> str:
    """The arXiv id of ``2401.12345``, ``arXiv:2401.12345v2``, an abs or pdf URL; else a form error."""
    found = arxiv_id((text or "").strip()[:MAX_INPUT])
    if found is None:
        raise AccountError("enter an arXiv id such as 2401.12345 or a link to its arXiv page", "paper")
    return found


def fetch_from_arxiv(store: Store, settings: Settings, paper_id: str) -> Paper:
    """Fetch one paper's metadata from the arXiv API and store it; a form error if arXiv does not know it
    or cannot be reached."""
    from paperwire.sources.arxiv_api import ArxivApiSource

    try:
        with ArxivApiSource(base_url=settings.arxiv_api_url, min_interval=0, max_retries=1) as source:
            items = list(source.fetch_ids([paper_id]))
    except SourceError as err:
        log.warning("arXiv lookup of %s failed: %s", paper_id, err)
        raise AccountError("arXiv could not be reached just now: try again in a minute", "paper") from None
    report = ingest_items(store, items, source="arxiv", target=f"submit {paper_id}")
    paper = store.get_paper(paper_id)
    if paper is None:
        if report.problems:
            log.warning("arXiv record of %s refused: %s", paper_id, report.problems[0])
        raise AccountError(f"arXiv has no paper {paper_id}", "paper")
    return paper


def submit(pw: Paperwire, user: User, text: str) -> Paper:
    """Submit the paper named by ``text``; returns it with its submitter. Raises :class:`AccountError`
    for an id that is not one (or unknown to arXiv) and :class:`AlreadySubmitted` for a duplicate. A
    paper new to this instance is embedded and indexed in the background (``index_soon``)."""
    store = pw.store
    paper_id = parse_id(text)
    paper = store.get_paper(paper_id)
    if paper is None:
        paper = fetch_from_arxiv(store, pw.settings, paper_id)
        index_soon(pw)
    if paper.submitted_by or not db.claim_submission(store, paper.pk, submitter_name(user)):
        raise AlreadySubmitted(store.get_paper(paper_id) or paper)
    return store.get_paper(paper_id)

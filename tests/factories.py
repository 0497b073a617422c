"""Factories for tests: records, papers, users, collections, digest subscribers and API tokens with
sensible defaults, each made by the real ingest loop, store and services (no mocks)."""
from __future__ import annotations

import itertools
from datetime import datetime

from paperwire.index import embeddings
from paperwire.index.embedder import FakeEmbedder
from paperwire.ingest import ingest_items
from paperwire.ingest.normalize import normalize
from paperwire.services import accounts as accounts_svc
from paperwire.services import collections as collections_svc
from paperwire.services import digest as digest_svc
from paperwire.sources.records import PaperRecord
from paperwire.store import Paper
from paperwire.store import accounts as accounts_db

PASSWORD = "correct horse battery"

_counter = itertools.count(1)


# -- papers ---------------------------------------------------------------------------------------------
def make_record(*, day: str | None = None, **fields) -> PaperRecord:
    """A record as a source yields it; ``day`` (YYYY-MM-DD) publishes it at midday UTC that day."""
    n = next(_counter)
    defaults = dict(
        origin=f"test:{n}", source="file", id=f"2601.{n:05d}", title=f"A study of things number {n}",
        summary="We study things.", authors=["Ada Lovelace", "Alan Turing"], categories=["cs.CL", "cs.AI"],
        published="2026-01-15",
    )  # fmt: skip
    if day is not None:
        defaults["published"] = f"{day}T12:00:00Z"
    defaults.update(fields)
    return PaperRecord(**defaults)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def make_paper(**fields) -> Paper:
    """A normalized paper that is not stored."""
    paper = normalize(make_record(**{k: v for k, v in fields.items() if k in PaperRecord.__dataclass_fields__}))
    assert isinstance(paper, Paper), paper
    return paper


def ingest(store, records, *, source: str = "file", target: str = "t", **options):
    """The ingest loop over ``records`` as ``source`` runs it; returns its report."""
    return ingest_items(store, records, source=source, target=target, **options)


def load(store, *records, source: str = "file", target: str = "t"):
    """Ingest ``records``, all of which must be accepted; returns the report."""
    report = ingest(store, list(records), source=source, target=target)
    assert report.failed == 0, report.problems
    return report


def paper(store, **fields) -> Paper:
    """One paper (``make_record`` fields) loaded through ingest, as the store holds it."""
    record = make_record(**fields)
    load(store, record)
    return store.get_paper(record.id)


def fake_embeddings(pw) -> FakeEmbedder:
    """The fake embedder (deterministic, no model) encodes ``pw``'s queries, and every paper of its
    store is embedded with it; returns the embedder."""
    embedder = FakeEmbedder()
    pw.use_embedder(embedder)
    embeddings.embed_missing(pw.store, embedder, bundled=None)
    return embedder


# -- accounts ---------------------------------------------------------------------------------------------
def account(store, email: str, password: str | None = None, *, verified: bool = False):
    """A user: with ``password`` a real signed-up account (argon2 hashing is slow on purpose), without
    one a passwordless row straight in the store."""
    if password is None:
        return accounts_db.create_user(store, email, None, verified=verified)
    return accounts_svc.sign_up(store, email, password, verified=verified)


def verify(store, email: str):
    """Mark the account of ``email`` as having confirmed its address; returns the user."""
    found = accounts_db.user_by_email(store, email)
    accounts_db.update_user(store, found.pk, email_verified_at=accounts_db.utcnow())
    return accounts_db.get_user(store, found.pk)


def collection(store, owner, name: str, *paper_ids: str):
    """A collection of ``owner`` holding ``paper_ids``."""
    made = collections_svc.create(store, owner, name)
    for paper_id in paper_ids:
        collections_svc.add_paper(store, made, paper_id)
    return made


def api_token(store, owner, name: str = "test") -> str:
    """A new API token of ``owner``; returns its secret."""
    return accounts_svc.create_token(store, owner, name).secret


def bearer(secret: str) -> dict:
    """The headers that present an API token."""
    return {"Authorization": f"Bearer {secret}"}


# -- digest ---------------------------------------------------------------------------------------------
def active_subscriber(store, email: str, **prefs):
    """A confirmed (active) digest subscriber with ``prefs``."""
    return digest_svc.add_subscriber(store, email, confirmed=True, prefs=prefs)

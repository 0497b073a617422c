"""Tables (SQLAlchemy Core). The migrations in ``migrations/versions`` create exactly this schema;
``tests/store/test_store.py::test_migrated_schema_matches_the_table_definitions`` fails if they drift apart."""
from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from paperwire.store.metadata import metadata

organizations = Table(
    "organizations",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),  # the Hub's handle, lower-cased
    Column("name", String(300), nullable=False),  # display name
)

papers = Table(
    "papers",
    metadata,
    Column("pk", Integer, primary_key=True),  # integer surrogate: joins and the FTS5 rowid
    Column("id", String(100), nullable=False, unique=True),  # arXiv id without version, or a given id
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("published", DateTime, nullable=False, index=True),  # UTC, naive
    Column("updated", DateTime),
    Column("primary_category", String(50), index=True),
    Column("comment", Text),
    Column("doi", String(300)),
    Column("journal_ref", Text),
    Column("abs_url", String(500)),
    Column("pdf_url", String(500)),
    Column("code_url", String(500)),
    Column("project_url", String(500)),
    Column("source", String(20), nullable=False),  # where it was first seen: file, arxiv, oai, hf
    Column("first_seen", DateTime, nullable=False),
    Column("upvotes", Integer, nullable=False, server_default="0"),  # imported (Hugging Face) upvotes
    Column("num_comments", Integer, nullable=False, server_default="0"),
    Column("organization_pk", Integer, ForeignKey("organizations.pk", ondelete="SET NULL"), index=True),
    Column("submitted_by", String(200)),
    Column("submitted_at", DateTime, index=True),  # when a user of this instance submitted it (UTC, naive)
    Column("title_key", String(400), nullable=False, index=True),  # normalised title | first author
    # -- the daily loop (migration 0007) --
    Column("announced_on", Date, index=True),  # the arXiv listing day (announcement), when known
    Column("listing", String(10)),  # how arXiv listed it: new, cross (cross-list) or replace
    Column("hf_day", Date, index=True),  # the day it was on Hugging Face's daily papers
    Column("ai_summary", Text),  # Hugging Face's AI-written one-paragraph summary
    Column("ai_keywords", Text),  # JSON list of Hugging Face's AI-extracted keywords
    Column("github_stars", Integer),
    Column("thumbnail", String(500)),
)

authors = Table(
    "authors",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("key", String(300), nullable=False, unique=True),  # normalised name
    Column("name", Text, nullable=False),
)

paper_authors = Table(
    "paper_authors",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("author_pk", Integer, ForeignKey("authors.pk", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),  # as printed on this paper
    Index("ix_paper_authors_author_pk", "author_pk"),
)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("category", String(50), nullable=False),
    Index("ix_paper_categories_category", "category", "paper_pk"),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("source", String(20), nullable=False),  # file, arxiv, oai, hf, demo
    Column("target", Text, nullable=False),  # path, category, endpoint...
    Column("cursor", Text),  # resumption point (OAI token / datestamp, records done)
    Column("status", String(20), nullable=False),  # running, finished, failed
    Column("seen", Integer, nullable=False, server_default="0"),
    Column("added", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("errors", Text),  # JSON list of the first problems, "origin: field: message"
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Index("ix_ingest_runs_source_target", "source", "target"),
)

# -- search (migration 0002) -------------------------------------------------------------------------
# One embedding per paper, so the vector index file can always be rebuilt from the database. A row
# whose model or text_hash differs from the current ones is stale and is embedded again.
paper_embeddings = Table(
    "paper_embeddings",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("model", String(100), nullable=False),  # embedder name, e.g. all-MiniLM-L6-v2
    Column("dim", Integer, nullable=False),
    Column("text_hash", String(32), nullable=False),  # hash of the title and abstract embedded
    Column("vector", LargeBinary, nullable=False),  # little-endian float16, L2-normalised
    Column("embedded_at", DateTime, nullable=False),
    Index("ix_paper_embeddings_model", "model"),
)

# One row per harvested source (arxiv, hf): what `paperwire status` and the feed's freshness line show,
# and what the schedule's backoff and start-up catch-up read. ``running_since`` marks a harvest in progress.
harvests = Table(
    "harvests",
    metadata,
    Column("source", String(20), primary_key=True),
    Column("last_attempt_at", DateTime),
    Column("last_success_at", DateTime),
    Column("last_added", Integer, nullable=False, server_default="0"),
    Column("last_updated", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("last_error_at", DateTime),
    Column("failures", Integer, nullable=False, server_default="0"),  # consecutive failed attempts
    Column("running_since", DateTime),
    Column("running_owner", String(200)),  # host:pid of the process harvesting
)

# Tables of later layers live in their own modules and register on the same metadata (store/metadata.py);
# importing them here makes ``schema.metadata`` hold every table.
from paperwire.store import schema_accounts, schema_digest, schema_recommend  # noqa: E402,F401

"""Accounts tables (migration 0003). Registers on ``store/metadata.metadata``; imported at the end of schema.py.

Every row that belongs to a user references ``users.pk`` with ``ON DELETE CASCADE``, so deleting an
account removes its data (the service layer also deletes explicitly, for databases without FKs on).
Secrets are never stored: passwords as argon2 hashes, session and API tokens as SHA-256 digests.
"""
from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)

from paperwire.store.metadata import metadata

users = Table(
    "users",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-cased
    Column("password_hash", String(200)),  # argon2; NULL for an account without a password yet
    Column("display_name", String(100)),
    Column("is_admin", Boolean, nullable=False, server_default="0"),
    Column("is_disabled", Boolean, nullable=False, server_default="0"),
    Column("email_verified_at", DateTime),
    Column("created_at", DateTime, nullable=False),
)

# Server-side session records: the cookie holds a signed random token, the table its SHA-256, so a
# session ends for good on log-out (row deleted) and every session of a user ends on a password change.
user_sessions = Table(
    "user_sessions",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

# One public upvote per user per paper; papers.upvotes keeps the imported (Hugging Face) count.
votes = Table(
    "votes",
    metadata,
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_votes_paper_pk", "paper_pk"),
)

# Private thumbs up (+1) / down (-1) for recommendations.
ratings = Table(
    "ratings",
    metadata,
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("value", SmallInteger, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

collections = Table(
    "collections",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("is_public", Boolean, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("slug", String(24)),  # the public link's random id (migration 0008): never reused, unlike pk
    Index("ix_collections_slug", "slug", unique=True),
)

collection_items = Table(
    "collection_items",
    metadata,
    Column("collection_pk", Integer, ForeignKey("collections.pk", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("added_at", DateTime, nullable=False),
    Index("ix_collection_items_paper_pk", "paper_pk"),
)

# kind: author (name key), org (organisation key), category (cs.CL), query (saved keyword query)
follows = Table(
    "follows",
    metadata,
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("target", String(300), primary_key=True),
    Column("created_at", DateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the token
    Column("prefix", String(16), nullable=False),  # first characters, to tell tokens apart
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
)

comments = Table(
    "comments",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False),
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), nullable=False, index=True),
    Column("body", Text, nullable=False),  # Markdown as written; rendered and sanitised on display
    Column("is_hidden", Boolean, nullable=False, server_default="0"),  # hidden by an admin
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime),
    Index("ix_comments_paper_pk", "paper_pk", "created_at"),
)

__all__ = [
    "users", "user_sessions", "votes", "ratings", "collections", "collection_items", "follows",
    "api_tokens", "comments",
]  # fmt: skip

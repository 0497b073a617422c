"""Recommendation tables (migration 0006). Registers on ``store/metadata.metadata``; imported at the end of schema.py.

The signals themselves already live with the accounts (ratings, collection items, votes); this module
adds what only recommendations need: the interests a user describes in their own words (the cold-start
query). Per-user models are not stored: they are refitted in ~0.1 s from the signals when these change.
"""
from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, Table, Text

from paperwire.store.metadata import metadata

user_interests = Table(
    "user_interests",
    metadata,
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
    Column("text", Text, nullable=False),  # "diffusion models for video, speech separation"
    Column("updated_at", DateTime, nullable=False),
)

__all__ = ["user_interests"]

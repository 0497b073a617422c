"""Accounts tables (migration 0003). Shares ``schema.metadata``; imported at the end of schema.py."""
from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table

from paperwire.store.schema import metadata

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

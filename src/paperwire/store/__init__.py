"""Store: SQLAlchemy Core tables, Alembic migrations, and the one Store API (SQLite or PostgreSQL)."""
from paperwire.store.db import StaleSchemaError, check_schema, make_engine, migrate
from paperwire.store.models import Organization, Paper, UpsertCounts
from paperwire.store.store import IngestRun, Store

__all__ = ["IngestRun", "Organization", "Paper", "Store", "StaleSchemaError", "UpsertCounts", "check_schema",
           "make_engine", "migrate"]  # fmt: skip

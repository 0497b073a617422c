"""Store: the database, SQLite or PostgreSQL, through SQLAlchemy Core. ``store`` is the one :class:`Store`
API (papers, ingest runs, the keyword index kept in step), ``db`` the engines, the migrations and the
start-up schema gate, ``metadata``, ``schema`` and ``schema_*`` the tables (created by the Alembic
``migrations``), ``models`` the plain value objects, and the data access beside the Store: ``queries``,
``feed_queries`` and ``search_queries`` (read-side SQL for the pages, feeds and keyword search),
``accounts``, ``digest``, ``harvests`` (the harvest log of the daily loop) and ``signals`` (what
recommendations read). Plain queries only: the rules live in :mod:`paperwire.services`."""
from paperwire.store.db import StaleSchemaError, check_schema, make_engine, migrate
from paperwire.store.models import Organization, Paper, UpsertCounts
from paperwire.store.store import IngestRun, Store

__all__ = ["IngestRun", "Organization", "Paper", "Store", "StaleSchemaError", "UpsertCounts", "check_schema",
           "make_engine", "migrate"]  # fmt: skip

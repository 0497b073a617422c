"""Engines, migrations and the start-up schema gate."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_CACHE_KB = 8192  # private page cache per SQLite connection


class StaleSchemaError(RuntimeError):
    """The database is not at the newest migration; run `paperwire init`."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout, and its folder is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # pragma: no cover - exercised by every test
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # a small private page cache per connection (the pool holds up to 15 under load: 64 MB each grew a
            # server past 1 GB); the OS page cache below it is shared by every connection and worker process.
            # (A memory map of the file, mmap_size, was tried: it shares the same pages but counts every page
            # read in each worker's RSS: +260 MB a worker on the 75k corpus.)
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Upgrade the database to the newest migration. Every pending migration runs on one connection
    inside one transaction (``engine.begin()``), committed once at the end.

    Returns (revision before, revision after)."""
    before = current_revision(engine)
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return before, head_revision()


def check_schema(engine: Engine) -> None:
    """Refuse to run on a stale or unknown schema (miniflux's start-up gate)."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise StaleSchemaError(
            f"database schema is at revision {current or 'none'} but this paperwire needs {head}: run `paperwire init`"
        )

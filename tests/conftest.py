"""Shared test fixtures.

Tests that need something a user's machine may lack (PostgreSQL, the shared data folder, Chromium)
are skipped with the reason shown, unless PAPERWIRE_TEST_REQUIRE_SERVICES=1 (CI), when they fail.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Servers the tests start must not reach the real arXiv or Hugging Face: no source is harvested on a
# schedule unless a test names its own (against recorded responses on localhost).
os.environ.setdefault("PAPERWIRE_HARVEST_SOURCES", "")

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def require(condition: bool, reason: str) -> None:
    """Skip (on a developer machine) or fail (in CI) when a needed service or file is missing."""
    if condition:
        return
    if os.environ.get("PAPERWIRE_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required for this test but missing: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(env: dict, port: int, *args: str, timeout: float = 30) -> Iterator[str]:
    """`paperwire serve` in a subprocess with ``env`` on ``port``; yields its base URL once /healthz
    answers, and stops it afterwards."""
    import httpx

    env = {"PAPERWIRE_WEB_WORKERS": "1", **env}  # one process unless a test asks for more: quick to start and stop
    proc = subprocess.Popen([sys.executable, "-m", "paperwire.cli.main", "serve", "--host", "127.0.0.1",
                             "--port", str(port), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "paperwire serve did not start"
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder beside the repository (or PAPERWIRE_SHARED_DATA)."""
    path = Path(os.environ.get("PAPERWIRE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    require(path.is_dir(), f"shared data folder not found at {path}")
    return path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


# -- databases: the store tests run once on SQLite and once on PostgreSQL ----------------------------
POSTGRES_URL = os.environ.get("PAPERWIRE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def new_db_url(request, tmp_path):
    """A factory of fresh, empty database URLs of one kind: SQLite files, or new PostgreSQL schemas
    (dropped afterwards)."""
    import uuid

    if request.param == "sqlite":
        yield lambda: f"sqlite:///{tmp_path / f'paperwire-{uuid.uuid4().hex[:8]}.db'}"
        return
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL)
    schemas: list[str] = []

    def make() -> str:
        schema = f"pw_test_{uuid.uuid4().hex[:12]}"
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        except sa.exc.OperationalError as err:
            require(False, f"PostgreSQL not reachable at {POSTGRES_URL}: {str(err).splitlines()[0]}")
        schemas.append(schema)
        return _postgres_schema_url(POSTGRES_URL, schema)

    try:
        yield make
    finally:
        if schemas:
            with engine.begin() as conn:
                for schema in schemas:
                    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        engine.dispose()


@pytest.fixture
def db_url(new_db_url):
    """A fresh, empty database (run once on SQLite and once on PostgreSQL)."""
    return new_db_url()


@pytest.fixture
def store(db_url):
    from paperwire.store import Store

    s = Store.open(db_url, upgrade=True)
    yield s
    s.close()


@pytest.fixture
def pw_settings() -> dict:
    """Settings of the ``pw`` fixture's context besides its database and folder (a test folder overrides it)."""
    return {}


@pytest.fixture
def pw(store, db_url, tmp_path, pw_settings):
    """The application context around ``store``, its caches in this test's folder (the app fixtures
    build their app on it, so a test and its app share indexes, embedder and caches)."""
    from paperwire.context import Paperwire
    from paperwire.settings import Settings

    context = Paperwire(Settings(database_url=db_url, data_dir=tmp_path, **pw_settings), store)
    yield context
    context.close()


@pytest.fixture
def sqlite_store(tmp_path):
    from paperwire.store import Store

    s = Store.open(f"sqlite:///{tmp_path / 'paperwire.db'}", upgrade=True)
    yield s
    s.close()


# -- counting SQL statements -------------------------------------------------------------------------
@contextmanager
def _statements_run(engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def count_queries(store):
    """``with count_queries() as statements:`` lists the SQL statements ``store`` runs inside the block
    (to pin a page's or endpoint's query count: no N+1 query can creep in)."""
    return lambda: _statements_run(store.engine)


REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_ns():
    """(redis URL, a fresh key namespace); the namespace's keys are deleted afterwards."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        client.ping()
    except Exception as err:  # noqa: BLE001
        require(False, f"Redis not reachable at {REDIS_URL}: {err}")
    import uuid

    namespace = f"pwtest-{uuid.uuid4().hex[:10]}"
    yield REDIS_URL, namespace
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)
    client.close()

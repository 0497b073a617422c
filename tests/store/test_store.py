"""The store on SQLite and PostgreSQL: migrations, round trips, and the keyword index kept in sync."""
from __future__ import annotations

from dataclasses import replace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from paperwire.store import Organization, StaleSchemaError, Store, make_engine
from paperwire.store.db import current_revision, head_revision
from paperwire.store.schema import metadata
from tests.factories import make_paper


def keyword_ids(store, conn, term):
    """Ids of the papers the keyword search finds for ``term``, read on ``conn`` (inside its transaction)."""
    from paperwire.rank.query import parse
    from paperwire.store import search_queries as sq
    from paperwire.store.ids import ids_of

    with store.reading(conn):
        ranked = sq.keyword_ranked(store, parse(term), limit=20)
        ids = ids_of(store, [pk for pk, _ in ranked])
    return [ids[pk] for pk, _ in ranked]


def test_migrations_bring_an_empty_database_to_head(store):
    assert current_revision(store.engine) == head_revision()


def test_opening_a_database_without_migrations_is_refused(db_url):
    with pytest.raises(StaleSchemaError, match="paperwire init"):
        Store.open(db_url)


def test_migrated_schema_matches_the_table_definitions(store):
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    # the keyword index objects are dialect-specific extras that the metadata does not describe
    diffs = [d for d in diffs if "papers_fts" not in str(d) and "search_vector" not in str(d)]
    assert diffs == []


def test_a_paper_round_trips_with_authors_categories_and_organisation(store):
    paper = make_paper(
        title="Scaling $\\alpha$-laws for <b>tokens</b>", authors=["José García", "Li Wei"],
        categories=["cs.CL", "cs.LG"], upvotes=12, organization={"name": "acme", "fullname": "ACME Research"},
        code_url="https://github.com/acme/x", comment="ICLR 2026",
    )  # fmt: skip
    with store.transaction() as conn:
        store.write_batch(conn, [paper], [])
    loaded = store.get_paper(paper.id)
    assert loaded == paper
    assert loaded.organization == Organization("acme", "ACME Research")
    assert loaded.first_seen is not None


def test_authors_are_shared_between_papers_by_normalised_name(store):
    first = make_paper(authors=["José García"])
    second = make_paper(authors=["Jose Garcia"])
    with store.transaction() as conn:
        store.write_batch(conn, [first, second], [])
    assert store.stats()["authors"] == 1
    assert store.get_paper(second.id).authors == ("Jose Garcia",)  # each paper keeps its own spelling


def test_keyword_index_finds_new_papers(store):
    paper = make_paper(title="Photonic transformers for quasar detection")
    with store.transaction() as conn:
        store.write_batch(conn, [paper], [])
        assert keyword_ids(store, conn, "quasar") == [paper.id]


def test_keyword_index_follows_an_updated_title(store):
    paper = make_paper(title="Photonic transformers for quasar detection")
    with store.transaction() as conn:
        store.write_batch(conn, [paper], [])
    old = store.get_paper(paper.id)
    with store.transaction() as conn:
        store.write_batch(conn, [], [(old, replace(old, title="Sparse adapters for pulsar timing"))])
        assert keyword_ids(store, conn, "quasar") == []
        assert keyword_ids(store, conn, "pulsar") == [paper.id]


def test_keyword_index_forgets_deleted_papers(store):
    paper = make_paper(title="Photonic transformers for quasar detection")
    with store.transaction() as conn:
        store.write_batch(conn, [paper], [])
    with store.transaction() as conn:
        assert store.delete_papers(conn, [paper.id]) == 1
        assert keyword_ids(store, conn, "quasar") == []
    assert store.get_paper(paper.id) is None


def test_keyword_index_passes_the_fts5_integrity_check(sqlite_store):
    papers = [make_paper(title=f"Quasar survey {i}") for i in range(30)]
    with sqlite_store.transaction() as conn:
        sqlite_store.write_batch(conn, papers, [])
    old = sqlite_store.get_paper(papers[0].id)
    with sqlite_store.transaction() as conn:
        sqlite_store.write_batch(conn, [], [(old, replace(old, summary="entirely new words"))])
        sqlite_store.delete_papers(conn, [papers[1].id])
        conn.exec_driver_sql("INSERT INTO papers_fts(papers_fts, rank) VALUES ('integrity-check', 1)")


def test_a_failed_transaction_leaves_nothing_behind(store):
    paper = make_paper()
    with pytest.raises(RuntimeError):
        with store.transaction() as conn:
            store.write_batch(conn, [paper], [])
            raise RuntimeError("crash mid-batch")
    assert store.get_paper(paper.id) is None
    assert store.stats()["authors"] == 0


def test_ingest_log_records_progress_and_marks_killed_runs_interrupted(store):
    run = store.start_run("file", "/tmp/x.jsonl")
    with store.transaction() as conn:
        store.update_run(conn, run, cursor="items=10", seen=10, added=9, failed=1)
    again = store.start_run("file", "/tmp/x.jsonl")
    runs = {r.pk: r for r in store.runs(target="/tmp/x.jsonl")}
    assert runs[run].status == "interrupted" and runs[run].seen == 10 and runs[run].cursor == "items=10"
    assert runs[again].status == "running"


def test_sqlite_databases_use_write_ahead_logging(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

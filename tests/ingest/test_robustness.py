"""Ingest under adverse conditions: records the database refuses, failing sources, ingest order,
batch boundaries and two ingests at once (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import replace

import pytest

import paperwire.ingest.pipeline as pipeline
from paperwire.store import Store
from tests.factories import ingest, make_record


def _snapshot(store):
    with store.engine.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM papers")]
        return store.load_papers(conn, ids)


def test_a_record_the_database_refuses_costs_only_that_record(store, monkeypatch):
    real = pipeline.normalize

    def sneak_past_validation(record):  # a value validation missed: far too large for INTEGER
        paper = real(record)
        return replace(paper, upvotes=10**20) if record.origin == "f.jsonl:3" else paper

    monkeypatch.setattr(pipeline, "normalize", sneak_past_validation)
    records = [make_record(origin=f"f.jsonl:{n}") for n in range(1, 6)]
    report = ingest(store, records)
    assert (report.added, report.failed) == (4, 1)
    assert str(report.problems[0]).startswith("f.jsonl:3: the database refused this record")
    assert store.stats()["papers"] == 4


def test_a_failing_source_stops_its_helper_thread_and_marks_the_run_failed(store):
    def items():
        for n in range(5):
            yield make_record()
        raise RuntimeError("the network went away")

    with pytest.raises(RuntimeError, match="network went away"):
        ingest(store, items(), batch_size=2)
    assert not [t for t in threading.enumerate() if t.name == "ingest-prepare"]
    run = store.runs(limit=1)[0]
    assert run.status == "failed" and run.added == 4  # the batches before the failure are kept


@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_paper_first_seen_without_an_id_takes_its_arxiv_id_later(store, batch_size):
    bare = make_record(id=None, title="Graph Transformers at Scale", authors=["Ada Lovelace"], comment="preprint")
    arxiv = make_record(id="2502.00042", title="Graph transformers at scale", authors=["Ada Lovelace"], comment=None)
    ingest(store, [bare, arxiv], batch_size=batch_size)
    papers = _snapshot(store)
    assert list(papers) == ["2502.00042"]
    assert papers["2502.00042"].comment == "preprint"


def test_an_older_version_does_not_roll_back_a_newer_abstract(store):
    ingest(store, [make_record(id="2502.00043", summary="v2 abstract", updated="2026-03-01")])
    report = ingest(store, [make_record(id="2502.00043", summary="v1 abstract", updated="2026-01-01", comment="10 pages")])
    paper = store.get_paper("2502.00043")
    assert (paper.summary, paper.comment) == ("v2 abstract", "10 pages")  # gaps are still filled
    assert report.updated == 1


def test_reingesting_with_another_organisation_display_name_changes_nothing(store):
    ingest(store, [make_record(id="2502.00044", organization={"name": "acme", "fullname": "ACME Research"})])
    records = [make_record(id="2502.00045", organization="acme")]
    ingest(store, records)
    again = ingest(store, records)
    assert (again.updated, again.unchanged) == (0, 1)


def test_batch_size_does_not_change_the_stored_result(new_db_url):
    records = [make_record(id=None, title="Anonymous one", authors=["Bo Li"]),
               make_record(id="2503.00001", title="Anonymous one", authors=["Bo Li"], upvotes=3),
               make_record(id="2503.00002", title="Twice"), make_record(id="2503.00002v2", title="Twice again"),
               make_record(id=None, title="Only here", authors=["Cy Ng"])]  # fmt: skip

    snapshots = []
    for batch_size in (1, 2, 1000):
        store = Store.open(new_db_url(), upgrade=True)
        report = ingest(store, records, batch_size=batch_size)
        assert report.failed == 1  # the duplicate 2503.00002
        snapshots.append(_snapshot(store))
        store.close()
    assert snapshots[0] == snapshots[1] == snapshots[2]
    assert sorted(snapshots[0])[:2] == ["2503.00001", "2503.00002"] and len(snapshots[0]) == 3


def test_two_ingests_of_one_file_at_the_same_time_both_succeed(db_url, shared_data, tmp_path):
    env = {**os.environ, "PAPERWIRE_DATABASE_URL": db_url, "PAPERWIRE_INGEST_BATCH_SIZE": "200"}
    cli = [sys.executable, "-m", "paperwire.cli.main"]
    subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
    sample = str(shared_data / "arxiv" / "arxiv_sample_2k.jsonl")
    procs = [subprocess.Popen([*cli, "ingest", sample, "--no-embed", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]  # fmt: skip
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1].decode()[-500:] for r in results]
    store = Store.open(db_url)
    assert store.stats()["papers"] == 2000
    store.close()

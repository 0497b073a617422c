"""The `paperwire` command, driven as a user would: real database files, real input files."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from paperwire.cli.main import app
from paperwire.store.db import head_revision


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAPERWIRE_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args))

    return invoke


def test_init_creates_the_database_and_reports_the_schema(run, tmp_path):
    result = run("init", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["after"] == head_revision()
    assert (tmp_path / "data" / "paperwire.db").exists()


def test_commands_refuse_a_database_that_was_not_initialised(run):
    result = run("stats")
    assert result.exit_code == 2
    assert "paperwire init" in result.output


def test_ingesting_a_good_file_exits_zero_and_reports_counts(run, fixtures_dir):
    run("init")
    result = run("ingest", str(fixtures_dir / "files" / "papers.jsonl"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)[0]
    assert report["added"] > 0 and report["failed"] == 0


def test_ingesting_a_file_embeds_the_new_papers_unless_told_not_to(run, fixtures_dir, tmp_path):
    from paperwire.store import embeddings
    from paperwire.index.embedder import MINILM
    from paperwire.store.store import Store

    run("init")
    skipped = run("ingest", str(fixtures_dir / "files" / "papers.jsonl"), "--no-embed")
    assert skipped.exit_code == 0, skipped.output
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'paperwire.db'}")
    try:
        assert embeddings.count(store, MINILM) == 0
        added = run("ingest", str(fixtures_dir / "files" / "papers.bib"))
        assert added.exit_code == 0, added.output
        assert "embedded" in added.output
        papers = store.stats()["papers"]
        assert embeddings.count(store, MINILM) == papers
    finally:
        store.close()


def test_ingesting_a_file_with_bad_lines_exits_one_naming_file_and_line(run, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "2401.00001", "title": "Good", "published": "2026-01-01"}\n'
                    '{"id": "2401.00002", "title": "", "published": "2026-01-01"}\n')  # fmt: skip
    run("init")
    result = run("ingest", str(path))
    assert result.exit_code == 1
    assert f"{path}:2: field 'title': is empty" in result.output.replace("\n", "")
    assert "1 record(s) failed" in result.output
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["papers"] == 1


def test_an_unknown_file_type_is_a_clear_error(run, tmp_path):
    path = tmp_path / "papers.xlsx"
    path.write_bytes(b"PK")
    run("init")
    result = run("ingest", str(path))
    assert result.exit_code == 2
    assert "papers.xlsx" in result.output


def test_a_missing_file_is_a_clear_error(run, tmp_path):
    run("init")
    result = run("ingest", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2 and "nope.jsonl" in result.output


def test_files_are_checked_before_the_database_is_opened(run, tmp_path):
    result = run("ingest", str(tmp_path / "nope.jsonl"))  # no init: there is no database yet
    assert result.exit_code == 2 and "nope.jsonl" in result.output


def test_demo_corpus_loads_once_with_if_empty(run):
    run("init")
    first = run("ingest", "demo", "--if-empty", "--no-embed", "--json")
    assert first.exit_code == 0, first.output
    reports = json.loads(first.stdout)
    assert reports[0]["added"] > 10_000 and reports[1]["added"] == 753
    second = run("ingest", "demo", "--if-empty", "--json")
    assert json.loads(second.stdout) == []
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["with_upvotes"] == 753
    assert stats["last_published"] == "2026-07-01"


def test_settings_lists_every_variable_and_hides_secrets(run, monkeypatch):
    monkeypatch.setenv("PAPERWIRE_SECRET_KEY", "hunter2")
    result = run("settings", "--json")
    rows = {row["env"]: row for row in json.loads(result.stdout)}
    assert rows["PAPERWIRE_SECRET_KEY"]["value"] == "(set)"
    assert "hunter2" not in result.stdout
    assert "PAPERWIRE_DATABASE_URL" in rows

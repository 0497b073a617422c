"""`paperwire search`, `paperwire similar` and `paperwire index` driven as a user would."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from paperwire.cli.main import app


@pytest.fixture
def run(tmp_path, monkeypatch, fixtures_dir):
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAPERWIRE_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args))

    invoke("init")
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        '{"id": "2601.00001", "title": "Denoising diffusion models", "summary": "Image generation.", '
        '"authors": ["Ada Lovelace"], "categories": ["cs.CV"], "published": "2026-01-10"}\n'
        '{"id": "2601.00002", "title": "Diffusion for text", "summary": "Language generation by diffusion.", '
        '"authors": ["Alan Turing"], "categories": ["cs.CL"], "published": "2026-02-10"}\n'
    )  # fmt: skip
    assert invoke("ingest", str(papers), "--no-embed").exit_code == 0
    return invoke


def test_search_prints_json_results_with_snippets(run):
    result = run("search", "diffusion", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [r["id"] for r in body["results"]] == ["2601.00002", "2601.00001"]
    assert "diffusion" in body["results"][0]["snippet"]


def test_search_options_filter_the_results(run):
    body = json.loads(run("search", "diffusion", "--category", "cs.CV", "--json").stdout)
    assert [r["id"] for r in body["results"]] == ["2601.00001"]


def test_search_prints_a_table(run):
    result = run("search", "diffusion author:turing")
    assert result.exit_code == 0 and "2601.00002" in result.stdout


def test_a_bad_filter_value_exits_two_with_a_message(run):
    result = run("search", "x", "--after", "someday")
    assert result.exit_code == 2 and "after" in result.output


def test_a_search_without_matches_says_so(run):
    result = run("search", "zzzqqq")
    assert result.exit_code == 0 and "no papers match" in result.output


def test_similar_lists_other_papers(run):
    result = run("similar", "2601.00001", "--json")
    assert result.exit_code == 0 and [p["id"] for p in json.loads(result.stdout)] == ["2601.00002"]


def test_similar_accepts_an_arxiv_id_with_prefix_and_version(run):
    result = run("similar", "arXiv:2601.00001v2", "--json")
    assert result.exit_code == 0 and [p["id"] for p in json.loads(result.stdout)] == ["2601.00002"]


def test_similar_to_an_unknown_paper_exits_two(run):
    assert run("similar", "2699.99999").exit_code == 2


def test_index_commands_are_registered(run):
    result = run("index", "--help")
    assert result.exit_code == 0 and "embed" in result.stdout and "rebuild" in result.stdout

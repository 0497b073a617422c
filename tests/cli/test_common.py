"""`open_context`: what every command opens from its options, and closes when it ends."""
from __future__ import annotations

import typer
from typer.testing import CliRunner

from paperwire.cli.common import Opened, open_context
from paperwire.settings import load_settings
from paperwire.store import Store, make_engine, migrate


def _database(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'papers.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def test_a_command_closes_the_store_it_opened_when_it_ends(tmp_path, monkeypatch):
    url, opened, closed = _database(tmp_path), [], []
    monkeypatch.setattr(Store, "close", lambda self: closed.append(self))
    app = typer.Typer()

    @app.command()
    def probe(ctx: typer.Context) -> None:
        opened.append(open_context(ctx, url).store)
        assert closed == []

    assert CliRunner().invoke(app, []).exit_code == 0
    assert len(opened) == 1 and closed == opened


def test_the_options_override_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERWIRE_BASE_URL", "https://env.example.org")
    seen = []
    app = typer.Typer()

    @app.command()
    def probe(ctx: typer.Context) -> None:
        seen.append(open_context(ctx, "sqlite:///elsewhere.db", base_url="https://papers.example.org").settings)

    assert CliRunner().invoke(app, []).exit_code == 0
    assert seen[0].base_url == "https://papers.example.org" and seen[0].database_url == "sqlite:///elsewhere.db"


def test_outside_a_command_the_store_opens_once_and_closes_on_exit(tmp_path, monkeypatch):
    url, closed = _database(tmp_path), []
    monkeypatch.setattr(Store, "close", lambda self: closed.append(self))
    with Opened(load_settings(database_url=url)) as opened:
        store = opened.store
        assert opened.store is store
    assert closed == [store]

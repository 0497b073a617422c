"""Recommendation commands: ``paperwire recommend EMAIL [--days N] [--category C] [--limit N] [--json]``
prints a user's "For you" list with reasons (for administrators checking what a reader gets), and
``paperwire index terms`` brings the TF-IDF term cache up to date (``index embed`` does it too)."""
from __future__ import annotations

import json
import time
from typing import Annotated, Optional

import typer
from rich.table import Table

from paperwire.cli.main import DbOpt, JsonOpt, _database_errors, _fail, _settings, _store, app, console, out
from paperwire.cli.search import _configure, _paper_json, index_app


def update_terms(store, settings, *, quiet: bool = False) -> None:
    """Bring the term-feature cache beside the database up to date (new and changed papers only)."""
    from paperwire.index import terms

    started = time.monotonic()
    index = terms.build(store, terms.cache_path(store, settings.data_dir))
    if not quiet:
        console.print(f"terms: {len(index):,} papers in the TF-IDF cache ({time.monotonic() - started:.1f} s)")


@index_app.command("terms")
def index_terms(database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Update the TF-IDF term cache used by recommendations (rows for new or changed papers only)."""
    settings = _settings(database_url)
    store = _store(settings)
    started = time.monotonic()
    with _database_errors(settings):
        update_terms(store, settings, quiet=as_json)
    if as_json:
        out.print_json(json.dumps({"seconds": round(time.monotonic() - started, 2)}))


@app.command()
def recommend(
    email: Annotated[str, typer.Argument(help="Email address of the account.")],
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="The newest N days of papers.")] = 7,
    category: Annotated[Optional[str], typer.Option("--category", help="Only this category, e.g. cs.CL.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many papers.")] = 20,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A user's personal recommendations, each with its one-line reason."""
    from paperwire.services import recommend as rec
    from paperwire.store import accounts as db

    settings = _settings(database_url)
    store = _store(settings)
    pw = _configure(store, settings)
    user = db.user_by_email(store, email.strip().lower())
    if user is None:
        raise _fail(f"no account with email {email}")
    with _database_errors(settings):
        found = rec.recommend(pw, user, days=days, category=category, limit=limit)
    if as_json:
        out.print_json(json.dumps({"model": found.model, "recommendations": [
            _paper_json(r.paper, settings.base_url, reason=r.reason, score=round(r.score, 4)) for r in found.items]}))
        return
    if found.model == "none":
        console.print("nothing known about this user yet: no ratings, saved papers or interests")
        return
    table = Table("#", "id", "title", "reason")
    for n, r in enumerate(found.items, 1):
        table.add_row(str(n), r.paper.id, r.paper.title.replace("[", "\\["), r.reason.replace("[", "\\["))
    out.print(table)

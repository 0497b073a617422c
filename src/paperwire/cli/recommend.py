"""``paperwire recommend EMAIL [--days N] [--category C] [--limit N] [--json]``: a user's "For you"
list with reasons, for administrators checking what a reader gets."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from paperwire.cli.common import DbOpt, JsonOpt, console, database_errors, fail, open_context, out, paper_json

commands = typer.Typer()  # merged into the top level of `paperwire`


@commands.command()
def recommend(
    ctx: typer.Context,
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

    opened = open_context(ctx, database_url)
    store, settings = opened.store, opened.settings
    user = db.user_by_email(store, email.strip().lower())
    if user is None:
        raise fail(f"no account with email {email}")
    with database_errors(settings):
        found = rec.recommend(opened.pw, user, days=days, category=category, limit=limit)
    if as_json:
        out.print_json(json.dumps({"model": found.model, "recommendations": [
            paper_json(r.paper, settings.base_url, reason=r.reason, score=round(r.score, 4)) for r in found.items]}))
        return
    if found.model == "none":
        console.print("nothing known about this user yet: no ratings, saved papers or interests")
        return
    table = Table("#", "id", "title", "reason")
    for n, r in enumerate(found.items, 1):
        table.add_row(str(n), r.paper.id, r.paper.title.replace("[", "\\["), r.reason.replace("[", "\\["))
    out.print(table)

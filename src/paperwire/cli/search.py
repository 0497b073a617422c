"""Search and related-papers commands:

``paperwire search "query" [--author ...] [--category ...] [--org ...] [--after ...] [--before ...] [--json]``
and ``paperwire similar ID [--limit N] [--json]``. Each is one services call; output is a table (or
JSON with ``--json``, papers in the shape of ``GET /api/papers/{id}``).
"""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from paperwire.cli.common import DbOpt, JsonOpt, console, database_errors, fail, open_context, out, paper_json

commands = typer.Typer()  # merged into the top level of `paperwire`

ListOpt = Optional[list[str]]


def _snippet_text(segments) -> str:
    return "".join(f"[bold]{text}[/]" if match else text.replace("[", "\\[") for text, match in segments)


@commands.command()
def search(
    ctx: typer.Context,
    words: Annotated[list[str], typer.Argument(help='Words, "phrases", prefixes* and author:/category:/org:/after:/before: '
                                                 "filters (several arguments are joined).")],
    author: Annotated[ListOpt, typer.Option("--author", "-a", help="Author name (repeatable; all must match).")] = None,
    category: Annotated[ListOpt, typer.Option("--category", "-c", help="arXiv category (repeatable; any).")] = None,
    org: Annotated[ListOpt, typer.Option("--org", help="Organisation handle (repeatable; any).")] = None,
    after: Annotated[Optional[str], typer.Option(help="Published on or after YYYY[-MM[-DD]].")] = None,
    before: Annotated[Optional[str], typer.Option(help="Published before YYYY[-MM[-DD]].")] = None,
    mode: Annotated[str, typer.Option(help="auto, hybrid, keyword or semantic.")] = "auto",
    limit: Annotated[int, typer.Option(min=1, max=100, help="Number of results.")] = 20,
    offset: Annotated[int, typer.Option(min=0, max=1000, help="Results to skip.")] = 0,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search papers: keyword (BM25) and, when papers are embedded, semantic search, fused."""
    from paperwire.rank.query import QueryError, make_filters
    from paperwire.services import search as svc

    query = " ".join(words)
    if mode not in ("auto", "hybrid", "keyword", "semantic"):
        raise fail(f"invalid --mode {mode!r}: use auto, hybrid, keyword or semantic")
    opened = open_context(ctx, database_url)
    try:
        filters = make_filters(authors=author or (), categories=category or (), orgs=org or (), after=after, before=before)
    except QueryError as err:
        raise fail(str(err)) from None
    store, settings = opened.store, opened.settings
    with database_errors(settings):
        try:
            result = svc.search(opened.pw, query, limit=limit, offset=offset, filters=filters, mode=mode, strict=True)  # type: ignore[arg-type]
        except QueryError as err:
            raise fail(str(err)) from None
    if as_json:
        out.print_json(json.dumps({
            "query": query, "mode": result.mode, "total": result.total, "offset": offset,
            "filters": result.parsed.filters.as_dict(),
            "results": [paper_json(p, settings.base_url, score=result.scores.get(p.id),
                                   snippet="".join(t for t, _ in result.snippets.get(p.id, [])) or None)
                        for p in result.papers],
        }))  # fmt: skip
        return
    if not result.papers:
        console.print(f"no papers match {query!r}" if query.strip() else "give words or filters to search for")
        return
    table = Table("#", "id", "published", "title", "where it matched", title=f"{result.mode} search: {result.total:,} results")
    for n, paper in enumerate(result.papers, start=offset + 1):
        table.add_row(str(n), paper.id, paper.published.date().isoformat(), paper.title.replace("[", "\\["),
                      _snippet_text(result.snippets.get(paper.id, [])))  # fmt: skip
    out.print(table)


@commands.command()
def similar(
    ctx: typer.Context,
    paper_id: Annotated[str, typer.Argument(help="A paper id, e.g. 2401.12345.")],
    limit: Annotated[int, typer.Option(min=1, max=100, help="Number of papers.")] = 10,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Papers most similar to one paper (itself excluded)."""
    from paperwire.services import search as svc
    from paperwire.services.papers import get_paper

    opened = open_context(ctx, database_url)
    store, settings = opened.store, opened.settings
    with database_errors(settings):
        given = get_paper(store, paper_id)  # arXiv ids may carry a version or an arXiv:/URL wrapping
        related = svc.similar(opened.pw, given.id, limit) if given is not None else None
    if related is None:
        raise fail(f"no paper with id {paper_id}")
    if as_json:
        out.print_json(json.dumps([paper_json(p, settings.base_url, score=related.scores.get(p.id))
                                   for p in related.papers]))  # fmt: skip
        return
    table = Table("#", "id", "similarity", "title", title=f"similar to {paper_id} ({related.method})")
    for n, paper in enumerate(related.papers, start=1):
        table.add_row(str(n), paper.id, f"{related.scores.get(paper.id, 0):.3f}", paper.title.replace("[", "\\["))
    out.print(table)

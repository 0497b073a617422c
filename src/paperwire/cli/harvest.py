"""``paperwire harvest`` runs one harvest cycle now (for cron, or to see it work), and
``paperwire status`` shows how fresh the data is: per source the last success, the next harvest,
papers added, the last error, and the embedding backlog."""
from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Annotated, Optional

import typer
from rich.table import Table

from paperwire.cli.common import DbOpt, JsonOpt, console, database_errors, fail, open_context, out

commands = typer.Typer()


@commands.command()
def harvest(
    ctx: typer.Context,
    source: Annotated[Optional[list[str]], typer.Option("--source", "-s", help="arxiv or hf (repeatable); "
                      "default: PAPERWIRE_HARVEST_SOURCES.")] = None,  # fmt: skip
    no_index: Annotated[bool, typer.Option("--no-index", help="Store the papers but do not embed them now.")] = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch what arXiv announced and Hugging Face lists since the last harvest, store and index it.
    Exit code 1 when a source failed (the others still ran; what was fetched is kept)."""
    from paperwire.services.harvest import SOURCES
    from paperwire.services.harvest import harvest as run

    opened = open_context(ctx, database_url)
    unknown = sorted(set(source or ()) - set(SOURCES))
    if unknown:
        raise fail(f"unknown source {', '.join(unknown)}: use {' or '.join(SOURCES)}")
    if source is None and not opened.settings.harvest_sources:
        raise fail("PAPERWIRE_HARVEST_SOURCES is empty: name a source with --source")
    pw = opened.pw
    if opened.settings.redis_url and pw.dispatcher is None:  # embedding fans out to `paperwire worker`s
        from paperwire.jobs.queue import open_queue

        pw.dispatcher = open_queue(opened.settings)
    try:
        with database_errors(opened.settings):
            with console.status("harvesting…", spinner="dots") if not as_json else nullcontext():
                report = run(pw, sources=source, index=not no_index)
    finally:
        if pw.dispatcher is not None:
            pw.dispatcher.close()
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    else:
        table = Table("source", "status", "seen", "added", "updated", "failed", "seconds", "note")
        for r in report.runs:
            colour = {"ok": "green", "failed": "red"}.get(r.status, "yellow")
            table.add_row(r.source, f"[{colour}]{r.status}[/]", *(f"{v:,}" for v in (r.seen, r.added, r.updated, r.failed)),
                          f"{r.seconds:.1f}", r.error or r.reason or "")  # fmt: skip
        console.print(table)
        if report.index is not None:
            i = report.index
            console.print(f"indexed: {i.embedded:,} embedded, {i.imported:,} imported, {i.queued:,} queued for workers"
                          + (f" [red]({i.error})[/]" if i.error else ""))  # fmt: skip
    if not report.ok:
        raise typer.Exit(1)


@commands.command()
def status(ctx: typer.Context, database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """How fresh the data is: each source's last harvest, next harvest, papers added and last error,
    the newest listing days and the embedding backlog."""
    from paperwire.services.harvest import status as freshness

    opened = open_context(ctx, database_url)
    with database_errors(opened.settings):
        report = freshness(opened.pw)
    if as_json:
        out.print_json(json.dumps(report))
        return
    table = Table("source", "enabled", "last success", "added", "next harvest", "failures in a row")
    for s in report["sources"]:
        table.add_row(s["source"], "yes" if s["enabled"] else "no", s["last_success"] or "never", f"{s['added']:,}",
                      s["next"] or "-", str(s["failures"]))  # fmt: skip
    console.print(table)
    for s in report["sources"]:
        if s["last_error"] and s["failures"]:
            out.print(f"{s['source']}: last error at {s['last_error_at']}: {s['last_error']}", highlight=False, soft_wrap=True)
    out.print(f"papers: {report['papers']:,}; newest arXiv listing: {report['newest_listing'] or '-'}; newest "
              f"Hugging Face day: {report['newest_hf_day'] or '-'}; embedding backlog: {report['embedding_backlog']:,}")  # fmt: skip
    if report["bundled_only"]:
        span = " to ".join(report["bundled_span"]) or "no papers"
        out.print(f"showing the bundled sample corpus only ({span}): no harvest has succeeded yet")
    for s in report["sources"]:
        if s["stale"]:
            out.print(f"[red]warning:[/] the {s['source']} harvest has been failing since {s['last_success'] or 'the start'}")

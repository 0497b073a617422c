"""The ``paperwire ingest`` group: ``paperwire ingest PATH...`` reads files (JSONL[.gz], JSON, CSV,
BibTeX); ``paperwire ingest demo|arxiv|oai|hf`` loads the bundled corpus or harvests a source. Each
prints a report per target (or JSON with ``--json``) and then embeds and indexes the new papers (``--no-embed`` skips it); failed records make exit code 1, the good ones stay."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from paperwire.cli.common import DbOpt, JsonOpt, console, database_errors, fail, first_line, open_context, out, progress
from paperwire.ingest import IngestReport

# bibtexparser logs each broken block itself; our RecordProblem report already names file and line
logging.getLogger("bibtexparser").setLevel(logging.ERROR)


class IngestGroup(TyperGroup):
    """`paperwire ingest PATH...` reads files; `paperwire ingest arxiv|oai|hf|demo` the named source."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args.insert(0, "files")
        return super().resolve_command(ctx, args)


ingest_app = typer.Typer(cls=IngestGroup, help="Ingest papers: files (JSONL[.gz], JSON, CSV, BibTeX) or a source.",
                         no_args_is_help=True)  # fmt: skip

DateOpt = Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")]
NoEmbedOpt = Annotated[bool, typer.Option("--no-embed", help="Store the papers only; `paperwire index embed` "
                                          "(or a running server) indexes them later.")]  # fmt: skip


def _index(opened, reports: list[IngestReport], *, no_embed: bool, as_json: bool) -> None:
    """Embed and index what the ingest added or changed (unless --no-embed), with a progress bar."""
    if no_embed or not any(r.added or r.updated for r in reports):
        return
    from paperwire.services.indexing import index_new

    with progress("embed new papers", enabled=not as_json) as advance, database_errors(opened.settings):
        report = index_new(opened.pw, progress=advance)
    if report.error:
        console.print(f"[yellow]warning:[/] {report.error}; the papers are searchable by keyword only")
    elif not as_json:
        console.print(f"indexed: {report.embedded:,} embedded, {report.imported:,} imported from the bundled vectors, "
                      f"{report.queued:,} queued for workers ({report.seconds:.1f} s)")  # fmt: skip


def _print_reports(reports: list[IngestReport], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps([r.as_dict() for r in reports]))
    else:
        table = Table("target", "seen", "added", "updated", "unchanged", "failed", "seconds", "papers/s")
        for r in reports:
            rate = r.seen / r.seconds if r.seconds else 0
            table.add_row(Path(r.target).name or r.target, *(f"{v:,}" for v in (r.seen, r.added, r.updated, r.unchanged, r.failed)),
                          f"{r.seconds:.1f}", f"{rate:,.0f}")  # fmt: skip
        console.print(table)
        for r in reports:
            if r.seen == 0:
                console.print(f"[yellow]warning:[/] no records found in {r.target}", highlight=False)
            for problem in r.problems[:50]:
                console.print(f"[yellow]problem:[/] {problem}", markup=True, highlight=False, soft_wrap=True)
            if r.failed > 50:
                console.print(f"[yellow]... and {r.failed - 50:,} more problems in {r.target}[/]")
    failed = sum(r.failed for r in reports)
    if failed:
        console.print(f"[red]{failed:,} record(s) failed[/]; the good records were kept.")
        raise typer.Exit(1)


@ingest_app.command("files")
def ingest_files(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files to ingest.")],
    no_embed: NoEmbedOpt = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest JSONL, JSONL.gz, JSON, CSV or BibTeX files."""
    from paperwire.services.ingest import check_path, ingest_path
    from paperwire.sources.files import FileFormatError

    opened = open_context(ctx, database_url)
    for path in paths:  # every file is checked before any is ingested
        try:
            check_path(path)
        except FileFormatError as err:
            raise fail(str(err)) from None
    store, settings = opened.store, opened.settings
    reports = []
    for path in paths:
        with progress(f"ingest {path.name}", enabled=not as_json) as advance, database_errors(settings):
            reports.append(ingest_path(store, path, batch_size=settings.ingest_batch_size, progress=advance,
                                       parallel=True))  # fmt: skip
    _index(opened, reports, no_embed=no_embed, as_json=as_json)
    _print_reports(reports, as_json)


@ingest_app.command("demo")
def ingest_demo(
    ctx: typer.Context,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Only when the database has no papers yet.")] = False,
    no_embed: NoEmbedOpt = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load the bundled corpus (recent arXiv cs papers + Hugging Face daily papers with upvotes)."""
    from paperwire.services import ingest as svc

    opened = open_context(ctx, database_url)
    store, settings = opened.store, opened.settings
    if if_empty and not svc.store_is_empty(store):
        console.print("database already has papers; skipping the demo corpus")
        if as_json:
            out.print_json("[]")
        return
    with progress("ingest demo corpus", enabled=not as_json) as advance, database_errors(settings):
        reports = svc.ingest_demo(store, batch_size=settings.ingest_batch_size, progress=advance, parallel=True)
    _index(opened, reports, no_embed=no_embed, as_json=as_json)
    _print_reports(reports, as_json)


def _network(opened, run: Callable[[], IngestReport], as_json: bool, no_embed: bool) -> None:
    """Run a network ingest; a source failure is a clear message and exit code 2 (committed pages stay)."""
    from paperwire.sources.errors import SourceError

    try:
        report = run()
    except SourceError as err:
        raise fail(f"{err} (papers committed before the failure are kept; run again to resume)") from None
    except SQLAlchemyError as err:
        raise fail(f"database error: {first_line(err)}; batches committed before it are kept") from None
    _index(opened, [report], no_embed=no_embed, as_json=as_json)
    _print_reports([report], as_json)


@ingest_app.command("arxiv")
def ingest_arxiv(
    ctx: typer.Context,
    category: Annotated[list[str], typer.Option("--category", "-c", help="arXiv category, e.g. cs.CL (repeatable).")],
    since: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="First submission day, YYYY-MM-DD.")],
    until: DateOpt = None,
    no_embed: NoEmbedOpt = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """New papers from the arXiv query API (one request every 3 seconds, as arXiv asks)."""
    from paperwire.services import ingest as svc

    opened = open_context(ctx, database_url)
    store, settings = opened.store, opened.settings
    with progress(f"arXiv {' '.join(category)}", enabled=not as_json) as advance:
        _network(opened, lambda: svc.ingest_arxiv(store, settings, category, since.date(),
                                                  until.date() if until else None, progress=advance),
                 as_json, no_embed)  # fmt: skip


@ingest_app.command("oai")
def ingest_oai(
    ctx: typer.Context,
    from_: Annotated[Optional[datetime], typer.Option("--from", formats=["%Y-%m-%d"],
                     help="Harvest from this day; default: continue from the last harvest.")] = None,  # fmt: skip
    until: DateOpt = None,
    set_spec: Annotated[str, typer.Option("--set", help="OAI set, e.g. cs or cs:cs:CL.")] = "cs",
    no_embed: NoEmbedOpt = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Incremental harvest from arXiv OAI-PMH (resumption tokens, Retry-After honoured, cursor kept)."""
    from paperwire.services import ingest as svc

    opened = open_context(ctx, database_url)
    store, settings = opened.store, opened.settings
    with progress(f"OAI-PMH set {set_spec}", enabled=not as_json) as advance:
        _network(opened, lambda: svc.ingest_oai(store, settings, from_.date() if from_ else None,
                                                until.date() if until else None, set_spec=set_spec, progress=advance),
                 as_json, no_embed)  # fmt: skip


@ingest_app.command("hf")
def ingest_hf(
    ctx: typer.Context,
    day: Annotated[Optional[datetime], typer.Option("--date", formats=["%Y-%m-%d"], help="Day, YYYY-MM-DD (default today).")] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Number of days ending at --date.")] = 1,
    no_embed: NoEmbedOpt = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hugging Face daily papers with upvotes, organisation and submitter."""
    from paperwire.services import ingest as svc

    opened = open_context(ctx, database_url)
    store, settings = opened.store, opened.settings
    end = (day or datetime.now(timezone.utc)).date()
    dates = [end - timedelta(days=n) for n in reversed(range(days))]
    with progress("Hugging Face daily papers", enabled=not as_json) as advance:
        _network(opened, lambda: svc.ingest_hf_daily(store, settings, dates, progress=advance), as_json, no_embed)

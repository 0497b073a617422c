"""The `paperwire` command: a thin shell over the services layer (typer + rich)."""
from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from sqlalchemy.exc import SQLAlchemyError

from paperwire.ingest import IngestReport
from paperwire.settings import Settings, load_settings

# bibtexparser logs each broken block itself; our RecordProblem report already names file and line
logging.getLogger("bibtexparser").setLevel(logging.ERROR)

console = Console(stderr=True)
out = Console()


class IngestGroup(TyperGroup):
    """`paperwire ingest PATH...` reads files; `paperwire ingest arxiv|oai|hf|demo` the named source."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args.insert(0, "files")
        return super().resolve_command(ctx, args)


app = typer.Typer(help="paperwire: research-paper discovery you can run yourself.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)  # fmt: skip
ingest_app = typer.Typer(cls=IngestGroup, help="Ingest papers: files (JSONL[.gz], JSON, CSV, BibTeX) or a source.",
                         no_args_is_help=True)  # fmt: skip
app.add_typer(ingest_app, name="ingest")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
DbOpt = Annotated[Optional[str], typer.Option("--database-url", help="Overrides PAPERWIRE_DATABASE_URL.")]


def _settings(database_url: str | None = None, **overrides) -> Settings:
    return load_settings(database_url=database_url, **overrides)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(2)


def _store(settings: Settings):
    from paperwire.services.ingest import open_store
    from paperwire.store import StaleSchemaError

    try:
        return open_store(settings)
    except StaleSchemaError as err:
        raise _fail(str(err)) from None
    except (SQLAlchemyError, OSError) as err:
        raise _fail(f"cannot open the database {_safe_url(settings)}: {_first_line(err)}") from None


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__


@contextmanager
def _progress(label: str, total: int | None = None, enabled: bool = True):
    """A rich progress bar on stderr; yields a callback taking the number of items just done."""
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TaskProgressColumn(show_speed=True), TimeElapsedColumn()]  # fmt: skip
    with Progress(*columns, console=console, disable=not enabled or not console.is_terminal, transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


@contextmanager
def _database_errors(settings: Settings):
    """A database that fails mid-run is a message and exit code 2, not a traceback (committed batches stay)."""
    try:
        yield
    except SQLAlchemyError as err:
        raise _fail(f"database error on {_safe_url(settings)}: {_first_line(err)}; batches committed before it are kept") from None


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


@app.command()
def init(database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Create or upgrade the database (runs pending migrations)."""
    from paperwire.store import make_engine, migrate

    settings = _settings(database_url)
    try:
        engine = make_engine(settings.resolved_database_url)
        before, after = migrate(engine)
        engine.dispose()
    except (SQLAlchemyError, OSError) as err:
        raise _fail(f"cannot initialise the database {_safe_url(settings)}: {_first_line(err)}") from None
    if as_json:
        out.print_json(json.dumps({"database": _safe_url(settings), "before": before, "after": after}))
    else:
        console.print(f"database {_safe_url(settings)}: schema {before or 'empty'} -> {after}")


@ingest_app.command("files")
def ingest_files(
    paths: Annotated[list[Path], typer.Argument(help="Files to ingest.")],
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest JSONL, JSONL.gz, JSON, CSV or BibTeX files."""
    from paperwire.services.ingest import check_path, ingest_path
    from paperwire.sources.files import FileFormatError

    settings = _settings(database_url)
    for path in paths:  # every file is checked before any is ingested
        try:
            check_path(path)
        except FileFormatError as err:
            raise _fail(str(err)) from None
    store = _store(settings)
    reports = []
    for path in paths:
        with _progress(f"ingest {path.name}", enabled=not as_json) as advance, _database_errors(settings):
            reports.append(ingest_path(store, path, batch_size=settings.ingest_batch_size, progress=advance,
                                       parallel=True))  # fmt: skip
    _print_reports(reports, as_json)


@ingest_app.command("demo")
def ingest_demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Only when the database has no papers yet.")] = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load the bundled corpus (recent arXiv cs papers + Hugging Face daily papers with upvotes)."""
    from paperwire.services import ingest as svc

    settings = _settings(database_url)
    store = _store(settings)
    if if_empty and not svc.store_is_empty(store):
        console.print("database already has papers; skipping the demo corpus")
        if as_json:
            out.print_json("[]")
        return
    with _progress("ingest demo corpus", enabled=not as_json) as advance, _database_errors(settings):
        reports = svc.ingest_demo(store, batch_size=settings.ingest_batch_size, progress=advance, parallel=True)
    _print_reports(reports, as_json)


DateOpt = Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")]


def _network(run, as_json: bool):
    """Run a network ingest; a source failure is a clear message and exit code 2 (committed pages stay)."""
    from paperwire.sources.errors import SourceError

    try:
        report = run()
    except SourceError as err:
        raise _fail(f"{err} (papers committed before the failure are kept; run again to resume)") from None
    except SQLAlchemyError as err:
        raise _fail(f"database error: {_first_line(err)}; batches committed before it are kept") from None
    _print_reports([report], as_json)


@ingest_app.command("arxiv")
def ingest_arxiv(
    category: Annotated[list[str], typer.Option("--category", "-c", help="arXiv category, e.g. cs.CL (repeatable).")],
    since: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="First submission day, YYYY-MM-DD.")],
    until: DateOpt = None,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """New papers from the arXiv query API (one request every 3 seconds, as arXiv asks)."""
    from paperwire.services import ingest as svc

    settings = _settings(database_url)
    store = _store(settings)
    with _progress(f"arXiv {' '.join(category)}", enabled=not as_json) as advance:
        _network(lambda: svc.ingest_arxiv(store, settings, category, since.date(), until.date() if until else None,
                                          progress=advance), as_json)  # fmt: skip


@ingest_app.command("oai")
def ingest_oai(
    from_: Annotated[Optional[datetime], typer.Option("--from", formats=["%Y-%m-%d"],
                     help="Harvest from this day; default: continue from the last harvest.")] = None,  # fmt: skip
    until: DateOpt = None,
    set_spec: Annotated[str, typer.Option("--set", help="OAI set, e.g. cs or cs:cs:CL.")] = "cs",
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Incremental harvest from arXiv OAI-PMH (resumption tokens, Retry-After honoured, cursor kept)."""
    from paperwire.services import ingest as svc

    settings = _settings(database_url)
    store = _store(settings)
    with _progress(f"OAI-PMH set {set_spec}", enabled=not as_json) as advance:
        _network(lambda: svc.ingest_oai(store, settings, from_.date() if from_ else None,
                                        until.date() if until else None, set_spec=set_spec, progress=advance),
                 as_json)  # fmt: skip


@ingest_app.command("hf")
def ingest_hf(
    day: Annotated[Optional[datetime], typer.Option("--date", formats=["%Y-%m-%d"], help="Day, YYYY-MM-DD (default today).")] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Number of days ending at --date.")] = 1,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hugging Face daily papers with upvotes, organisation and submitter."""
    from paperwire.services import ingest as svc

    settings = _settings(database_url)
    store = _store(settings)
    end = (day or datetime.now(timezone.utc)).date()
    dates = [end - timedelta(days=n) for n in reversed(range(days))]
    with _progress("Hugging Face daily papers", enabled=not as_json) as advance:
        _network(lambda: svc.ingest_hf_daily(store, settings, dates, progress=advance), as_json)


@app.command()
def stats(database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Counts of papers, authors and organisations, dates, categories and recent ingest runs."""
    settings = _settings(database_url)
    store = _store(settings)
    data = store.stats()
    runs = store.runs(limit=5)
    data["recent_ingests"] = [
        {"source": r.source, "target": r.target, "status": r.status, "seen": r.seen, "added": r.added,
         "updated": r.updated, "failed": r.failed, "started_at": r.started_at.isoformat(timespec="seconds")}
        for r in runs
    ]  # fmt: skip
    if as_json:
        out.print_json(json.dumps(data))
        return
    table = Table("what", "value", show_header=False)
    for key in ("papers", "authors", "organizations", "with_upvotes", "first_published", "last_published"):
        table.add_row(key.replace("_", " "), f"{data[key]:,}" if isinstance(data[key], int) else str(data[key]))
    table.add_row("top categories", ", ".join(f"{c} {n:,}" for c, n in data["top_primary_categories"].items()))
    out.print(table)
    for r in data["recent_ingests"]:
        out.print(f"{r['started_at']}  {r['source']:<5} {r['status']:<22} +{r['added']:,} ~{r['updated']:,} "
                  f"!{r['failed']:,}  {r['target']}")  # fmt: skip


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to listen on (PAPERWIRE_HOST).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (PAPERWIRE_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
    database_url: DbOpt = None,
) -> None:
    """Run the web app and API (migrates the database first). X-Forwarded-For is believed only from
    PAPERWIRE_TRUSTED_PROXIES (the app applies it: uvicorn's own proxy-header handling is off), and the
    access log shows links without their tokens."""
    import uvicorn

    from paperwire.store import make_engine, migrate

    settings = _settings(database_url, host=host, port=port)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    engine.dispose()
    console.print(f"paperwire serving {_safe_url(settings)} at http://{settings.host}:{settings.port}/")
    if workers > 1:
        import socket

        from uvicorn.supervisors import Multiprocess

        config = uvicorn.Config("paperwire.web.app:app_from_env", factory=True, host=settings.host,
                                port=settings.port, workers=workers, log_level="warning", env_file=None,
                                proxy_headers=False)  # fmt: skip
        # Bind the socket ourselves with IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections;
        # uvicorn's own multi-worker socket misses it and small answers wait ~40 ms for delayed ACKs.
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((settings.host, settings.port))
        sock.set_inheritable(True)
        Multiprocess(config, sockets=[sock]).run()
    else:
        from paperwire.web.app import create_app

        uvicorn.run(create_app(settings, scheduler=True), host=settings.host, port=settings.port, log_level="info",
                    proxy_headers=False)  # fmt: skip


@app.command("settings")
def show_settings(as_json: JsonOpt = False) -> None:
    """Every setting: its environment variable, current value (secrets hidden) and meaning."""
    settings = _settings()
    rows = []
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        secret = bool((info.json_schema_extra or {}).get("secret")) or "secret" in (info.description or "")
        shown = "(set)" if secret and value else str(value) if value is not None else ""
        rows.append({"env": f"PAPERWIRE_{name.upper()}", "value": shown, "help": info.description})
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("variable", "value", "meaning")
    for row in rows:
        table.add_row(row["env"], row["value"], row["help"])
    out.print(table)


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


import paperwire.cli.accounts  # noqa: E402,F401  (each registers its commands on `app`)
import paperwire.cli.digest  # noqa: E402,F401
import paperwire.cli.search  # noqa: E402,F401
import paperwire.cli.recommend  # noqa: E402,F401


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())

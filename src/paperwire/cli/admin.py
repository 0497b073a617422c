"""Commands about the installation itself: ``paperwire init`` (create or upgrade the database),
``paperwire stats``, ``paperwire serve`` (the web app and API) and ``paperwire settings``."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from paperwire.cli.common import DbOpt, JsonOpt, console, fail, first_line, open_context, out, safe_url
from paperwire.settings import Settings

commands = typer.Typer()
# seconds a worker may take to answer the supervisor's ping before it is killed and restarted: uvicorn's 5 s
# killed busy workers (loading their indexes, or under load on a busy 2-core machine) again and again
WORKER_HEALTHCHECK = 120  # merged into the top level of `paperwire`


@commands.command()
def init(ctx: typer.Context, database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Create or upgrade the database (runs pending migrations)."""
    from paperwire.store import make_engine, migrate

    settings = open_context(ctx, database_url).settings
    try:
        engine = make_engine(settings.resolved_database_url)
        before, after = migrate(engine)
        engine.dispose()
    except (SQLAlchemyError, OSError) as err:
        raise fail(f"cannot initialise the database {safe_url(settings)}: {first_line(err)}") from None
    if as_json:
        out.print_json(json.dumps({"database": safe_url(settings), "before": before, "after": after}))
    else:
        console.print(f"database {safe_url(settings)}: schema {before or 'empty'} -> {after}")


@commands.command()
def stats(ctx: typer.Context, database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Counts of papers, authors and organisations, dates, categories and recent ingest runs."""
    store = open_context(ctx, database_url).store
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


@commands.command()
def serve(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option(help="Address to listen on (PAPERWIRE_HOST).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (PAPERWIRE_PORT).")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes (PAPERWIRE_WEB_WORKERS; 0 = one per core).")] = None,
    database_url: DbOpt = None,
) -> None:
    """Run the web app and API (migrates the database first). X-Forwarded-For is believed only from
    PAPERWIRE_TRUSTED_PROXIES (the app applies it: uvicorn's own proxy-header handling is off), and the
    access log shows links without their tokens."""
    import uvicorn

    from paperwire.store import make_engine, migrate

    from paperwire.web.process import tune_server_process, worker_count

    settings = open_context(ctx, database_url, host=host, port=port).settings
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    engine.dispose()
    workers = worker_count(settings.web_workers if workers is None else workers)
    console.print(f"paperwire serving {safe_url(settings)} at http://{settings.host}:{settings.port}/ "
                  f"({workers} worker{'s' if workers != 1 else ''})")  # fmt: skip
    tune_server_process()  # before the workers start: they inherit the limits
    if workers > 1:
        import os

        # the workers build their settings from the environment: pass what the options chose
        os.environ.update(PAPERWIRE_DATABASE_URL=settings.resolved_database_url, PAPERWIRE_HOST=settings.host,
                          PAPERWIRE_PORT=str(settings.port))  # fmt: skip
        import socket

        from uvicorn.supervisors import Multiprocess

        config = uvicorn.Config("paperwire.web.app:app_from_env", factory=True, host=settings.host,
                                port=settings.port, workers=workers, log_level="warning", env_file=None,
                                proxy_headers=False, timeout_worker_healthcheck=WORKER_HEALTHCHECK)  # fmt: skip
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


@commands.command("settings")
def show_settings(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every setting: its environment variable, current value (secrets hidden) and meaning."""
    settings = open_context(ctx).settings
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

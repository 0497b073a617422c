"""Digest commands: the groups `paperwire digest send|preview` and `paperwire subscribers
add|list|remove`, and `paperwire worker`. Each is one services call."""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Annotated, Optional

import typer
from rich.table import Table

from paperwire.cli.common import DbOpt, JsonOpt, console, fail, open_context, out

digest_app = typer.Typer(help="The email digest: send what is due, preview.", no_args_is_help=True)
subscribers_app = typer.Typer(help="Digest subscribers: add, list, remove.", no_args_is_help=True)
commands = typer.Typer()  # `paperwire worker`, merged into the top level

def _bounded_day(value: datetime | None) -> datetime | None:
    """A --date the digest can compute with (api.inputs' range), else a usage error naming it."""
    from paperwire.api.inputs import check_day

    if value is not None:
        try:
            check_day(value.date(), "--date")
        except ValueError as err:
            raise typer.BadParameter(str(err)) from None
    return value


DayOpt = Annotated[Optional[datetime], typer.Option("--date", formats=["%Y-%m-%d"], callback=_bounded_day,
                                                    help="Digest date, YYYY-MM-DD.")]  # fmt: skip
NamespaceOpt = Annotated[str, typer.Option("--namespace", help="Prefix of the Redis keys (queue and locks).")]


@digest_app.command("send")
def digest_send(
    ctx: typer.Context,
    day: DayOpt = None,
    wait: Annotated[float, typer.Option(help="Seconds to keep retrying temporary SMTP failures.")] = 900.0,
    namespace: NamespaceOpt = "paperwire",
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the digests due now (or every digest of --date); for cron. Never sends one twice.

    With PAPERWIRE_REDIS_URL set the digests go to the queue for `paperwire worker` processes."""
    from paperwire.jobs.queue import open_queue
    from paperwire.services import digest as svc

    opened = open_context(ctx, database_url)
    settings = opened.settings
    if not settings.redis_url and not settings.smtp_url:
        raise fail("PAPERWIRE_SMTP_URL is not set: there is no server to send the digest through")
    pw = opened.pw
    queue = open_queue(settings, namespace)
    try:
        report = svc.run_due(pw, digest_date=day.date() if day else None, dispatcher=queue, wait_seconds=wait)
    except svc.SmtpConfigError as err:
        raise fail(str(err)) from None
    finally:
        if queue is not None:
            queue.close()
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    else:
        data = report.as_dict()
        console.print(", ".join(f"{k} {v}" for k, v in data.items() if v is not None), highlight=False)
    if report.outcomes.get("failed"):
        raise typer.Exit(1)


@digest_app.command("preview")
def digest_preview(
    ctx: typer.Context,
    email: Annotated[Optional[str], typer.Option("--email", help="Subscriber; default a sample daily digest.")] = None,
    day: DayOpt = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part instead of the text.")] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Print the whole MIME message with its headers.")] = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the next digest of a subscriber without sending it or logging anything."""
    from paperwire.services import digest as svc

    opened = open_context(ctx, database_url)
    settings, store = opened.settings, opened.store
    try:
        if raw:
            message = svc.preview_message(opened.pw, email=email, digest_date=day.date() if day else None)
            print(message.as_string())
            return
        p = svc.preview(opened.pw, email=email, digest_date=day.date() if day else None)
    except svc.DigestError as err:
        raise fail(str(err)) from None
    if as_json:
        out.print_json(json.dumps({
            "email": p.subscriber.email, "date": p.digest_date.isoformat(), "subject": p.subject,
            "would_send": p.would_send,
            "sections": [{"key": s.key, "title": s.title, "papers": [x.id for x in s.papers], "more": s.more}
                         for s in p.selection.sections],
        }))  # fmt: skip
        return
    print(p.html if html else f"Subject: {p.subject}\n\n{p.text}")


@subscribers_app.command("add")
def subscribers_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Email address.")],
    weekly: Annotated[bool, typer.Option("--weekly", help="Weekly instead of daily.")] = False,
    confirmed: Annotated[bool, typer.Option("--confirmed", help="Skip the confirmation email.")] = False,
    categories: Annotated[Optional[str], typer.Option(help="Categories for new papers, e.g. cs.CL,cs.LG.")] = None,
    hour: Annotated[Optional[int], typer.Option(help="Local send hour, 0-23 (default 7).")] = None,
    tz: Annotated[Optional[str], typer.Option("--timezone", help="IANA time zone (default UTC).")] = None,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add or update a subscriber (unconfirmed ones get a confirmation email)."""
    from paperwire.services import digest as svc

    opened = open_context(ctx, database_url)
    settings, store = opened.settings, opened.store
    prefs = {"frequency": "weekly" if weekly else None, "categories": categories, "send_hour": hour, "timezone": tz}
    try:
        subscriber = svc.add_subscriber(store, email, confirmed=confirmed, prefs=prefs, settings=settings)
    except svc.DigestError as err:
        raise fail(str(err)) from None
    except (svc.TemporaryFailure, svc.PermanentFailure) as err:
        raise fail(f"added, but the confirmation email could not be sent: {err}") from None
    if as_json:
        out.print_json(json.dumps(subscriber.as_dict()))
    else:
        console.print(f"{subscriber.email}: {subscriber.status}, {subscriber.prefs.frequency}", highlight=False)


@subscribers_app.command("list")
def subscribers_list(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option(help="Only active, pending or unsubscribed.")] = None,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every subscriber with status and preferences."""
    from paperwire.services import digest as svc

    store = open_context(ctx, database_url).store
    rows = [s.as_dict() for s in svc.list_subscribers(store, status)]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("email", "status", "frequency", "hour", "time zone", "categories", "confirmed")
    for r in rows:
        table.add_row(r["email"], r["status"], r["frequency"], str(r["send_hour"]), r["timezone"],
                      ", ".join(r["categories"]), r["confirmed_at"] or "")  # fmt: skip
    out.print(table)


@subscribers_app.command("remove")
def subscribers_remove(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Email address.")],
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a subscriber with its delivery history and send log."""
    from paperwire.services import digest as svc

    store = open_context(ctx, database_url).store
    removed = svc.remove_subscriber(store, email)
    if as_json:
        out.print_json(json.dumps({"email": email, "removed": removed}))
    elif removed:
        console.print(f"removed {email}", highlight=False)
    if not removed:
        if not as_json:
            console.print(f"[red]error:[/] no subscriber {email}", highlight=False)
        raise typer.Exit(2)


@commands.command("worker")
def worker(
    ctx: typer.Context,
    threads: Annotated[int, typer.Option(min=1, max=64, help="Sending threads in this process.")] = 1,
    namespace: NamespaceOpt = "paperwire",
    lease: Annotated[Optional[float], typer.Option(help="Seconds before a claimed digest of a dead worker is taken over.")] = None,
    heartbeat_timeout: Annotated[Optional[int], typer.Option(help="Milliseconds of silence after which a worker's messages are requeued.")] = None,
    backoff: Annotated[Optional[float], typer.Option(help="Seconds before the first retry of a temporary SMTP failure.")] = None,
    database_url: DbOpt = None,
) -> None:
    """Take jobs from the Redis queue (PAPERWIRE_REDIS_URL): embed new papers and send digests (with
    PAPERWIRE_SMTP_URL); run as many as you like, on as many machines."""
    from paperwire.jobs.worker import run_worker
    from paperwire.services.digest import SendPolicy

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    opened = open_context(ctx, database_url)
    settings = opened.settings
    if not settings.redis_url:
        raise fail("PAPERWIRE_REDIS_URL is not set: workers take their jobs from Redis")
    if not settings.smtp_url:
        console.print("PAPERWIRE_SMTP_URL is not set: this worker embeds new papers but sends no digests")
    policy = SendPolicy.from_settings(settings, lease_seconds=lease, backoff_base=backoff)
    console.print(f"paperwire worker: {threads} thread(s), queue namespace {namespace}", highlight=False)
    run_worker(opened.pw, threads=threads, namespace=namespace, policy=policy,
               heartbeat_timeout_ms=heartbeat_timeout)  # fmt: skip

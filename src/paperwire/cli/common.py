"""What every `paperwire` command shares: the two consoles, the ``--database-url`` and ``--json``
options, failures as a message and exit code 2, progress bars, the paper JSON shape, and
:func:`open_context`, the one place a command opens what it works with from its options."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterator, Optional

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
from sqlalchemy.exc import SQLAlchemyError

from paperwire.settings import Settings, load_settings
from paperwire.store import Paper, StaleSchemaError, Store

if TYPE_CHECKING:
    from paperwire.context import Paperwire

console = Console(stderr=True)  # messages, tables of reports and progress
out = Console()  # results: what a script reads on stdout

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
DbOpt = Annotated[Optional[str], typer.Option("--database-url", help="Overrides PAPERWIRE_DATABASE_URL.")]


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error; the caller raises the returned exit (code 2)."""
    console.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(2)


def first_line(err: BaseException) -> str:
    """The first line of a (database) error, for a one-line message."""
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def safe_url(settings: Settings) -> str:
    """The database URL of ``settings`` with its password hidden, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


@contextmanager
def progress(label: str, total: int | None = None, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr; yields a callback taking the number of items just done."""
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TaskProgressColumn(show_speed=True), TimeElapsedColumn()]  # fmt: skip
    with Progress(*columns, console=console, disable=not enabled or not console.is_terminal, transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """A database that fails mid-run is a message and exit code 2, not a traceback (committed batches stay)."""
    try:
        yield
    except SQLAlchemyError as err:
        raise fail(f"database error on {safe_url(settings)}: {first_line(err)}; batches committed before it are kept") from None


def paper_json(paper: Paper, base_url: str, **extra: Any) -> dict:
    """A paper as ``--json`` prints it: the shape of ``GET /api/papers/{id}``, plus ``extra`` fields."""
    from paperwire.api.hf_shapes import paper_detail

    return {**paper_detail(paper, base_url), **extra}


class Opened:
    """What a command works with: its ``settings``, and ``pw``, the application context on the
    database they name, opened on first use (so a command checks its own arguments first). Closing
    closes it; :func:`open_context` closes it when the command ends, elsewhere use it as a context
    manager."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pw: Paperwire | None = None

    @property
    def pw(self) -> Paperwire:
        """The context of ``settings``; a database that cannot be opened is exit code 2."""
        if self._pw is None:
            from paperwire.context import Paperwire  # here, not at the top: it loads numpy and scikit-learn
            from paperwire.services.ingest import open_store

            try:
                store = open_store(self.settings)
            except StaleSchemaError as err:
                raise fail(str(err)) from None
            except (SQLAlchemyError, OSError) as err:
                raise fail(f"cannot open the database {safe_url(self.settings)}: {first_line(err)}") from None
            self._pw = Paperwire(self.settings, store, owns_store=True)
        return self._pw

    @property
    def store(self) -> Store:
        return self.pw.store

    def close(self) -> None:
        if self._pw is not None:
            self._pw.close()
            self._pw = None

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_context(ctx: typer.Context, database_url: str | None = None, **overrides: Any) -> Opened:
    """What the command of ``ctx`` opens from its options: the settings from the environment with
    ``database_url`` and ``overrides`` (e.g. ``host``) over them, and their context on first use. It
    closes when the command ends."""
    opened = Opened(load_settings(database_url=database_url, **overrides))
    ctx.call_on_close(opened.close)
    return opened

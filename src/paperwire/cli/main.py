"""The `paperwire` command: a thin shell over the services layer (typer + rich).

This module only builds the app from the command modules; none of them imports it. The top-level
commands come from ``admin`` (init, stats, serve, settings), ``harvest`` (harvest, status), ``digest`` (worker), ``search`` (search,
similar) and ``recommend``; the groups from ``ingest``, ``accounts`` (user), ``digest`` (digest,
subscribers) and ``index``. What they share is in ``common``."""
from __future__ import annotations

import sys

import typer

from paperwire.cli import accounts, admin, digest, harvest, index, ingest, recommend, search

app = typer.Typer(help="paperwire: research-paper discovery you can run yourself.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)  # fmt: skip
for commands in (admin.commands, harvest.commands, digest.commands, search.commands, recommend.commands):
    app.add_typer(commands)  # without a name: its commands join the top level
app.add_typer(ingest.ingest_app, name="ingest")
app.add_typer(accounts.user_app, name="user")
app.add_typer(digest.digest_app, name="digest")
app.add_typer(digest.subscribers_app, name="subscribers")
app.add_typer(index.index_app, name="index")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())

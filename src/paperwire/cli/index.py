"""The ``paperwire index`` group, the caches beside the database that search and recommendations
read: ``index embed`` embeds the papers that lack an embedding (and updates the term cache),
``index rebuild`` rewrites the approximate vector index file, ``index terms`` updates the TF-IDF term
cache alone."""
from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from paperwire.cli.common import DbOpt, JsonOpt, console, database_errors, fail, open_context, out, progress
from paperwire.settings import Settings
from paperwire.store import Store

index_app = typer.Typer(help="The vector index: embed papers that lack embeddings, rebuild the index file.",
                        no_args_is_help=True)  # fmt: skip


def _update_terms(store: Store, settings: Settings, *, quiet: bool = False) -> None:
    """Bring the term-feature cache beside the database up to date (new and changed papers only)."""
    from paperwire.index import terms

    started = time.monotonic()
    with database_errors(settings):
        path = terms.cache_path(store, settings.data_dir)
        index = terms.share(terms.build(store, path), path)  # the files a server's workers map, written now
    if not quiet:
        console.print(f"terms: {len(index):,} papers in the TF-IDF cache ({time.monotonic() - started:.1f} s)")


@index_app.command("embed")
def index_embed(
    ctx: typer.Context,
    bundled_only: Annotated[bool, typer.Option("--bundled-only", help="Only import the vectors shipped with the "
                                               "demo corpus (seconds); embed nothing.")] = False,  # fmt: skip
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Embed the papers that lack an embedding (vectors shipped with the demo corpus are imported), and
    update the TF-IDF term cache."""
    from paperwire.index import embeddings
    from paperwire.index.embedder import OnnxEmbedder

    opened = open_context(ctx, database_url)
    store, settings = opened.store, opened.settings
    try:
        embedder = OnnxEmbedder(settings.data_dir / "models")
    except Exception as err:  # noqa: BLE001 - a missing optional dependency or a broken model file
        raise fail(f"cannot load the embedding model: {err}") from None
    with progress("embed papers", enabled=not as_json) as advance, database_errors(settings):
        report = embeddings.embed_missing(store, embedder, compute=not bundled_only, progress=advance)
    _update_terms(store, settings, quiet=as_json)  # the TF-IDF half of recommendations, kept current too
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    else:
        rate = report.embedded / report.seconds if report.seconds and report.embedded else 0
        console.print(f"{report.model}: {report.embedded:,} embedded ({rate:.1f}/s), {report.imported:,} imported "
                      f"from the bundled vectors, {report.total:,} papers embedded in all ({report.seconds:.1f} s)")  # fmt: skip


@index_app.command("rebuild")
def index_rebuild(ctx: typer.Context, database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Rebuild the approximate vector index file from the embeddings stored in the database."""
    from paperwire.index import vectors
    from paperwire.index.embedder import MINILM

    opened = open_context(ctx, database_url)
    path = opened.pw.vectors.ann_file(MINILM)
    started = time.monotonic()
    with database_errors(opened.settings):
        index = vectors.rebuild(opened.store, MINILM, path)
    seconds = time.monotonic() - started
    if as_json:
        out.print_json(json.dumps({"model": MINILM, "vectors": len(index), "file": str(path), "seconds": round(seconds, 2)}))
    else:
        console.print(f"{MINILM}: {len(index):,} vectors indexed in {seconds:.1f} s -> {path}")


@index_app.command("terms")
def index_terms(ctx: typer.Context, database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Update the TF-IDF term cache used by recommendations (rows for new or changed papers only)."""
    opened = open_context(ctx, database_url)
    store, settings = opened.store, opened.settings
    started = time.monotonic()
    _update_terms(store, settings, quiet=as_json)
    if as_json:
        out.print_json(json.dumps({"seconds": round(time.monotonic() - started, 2)}))

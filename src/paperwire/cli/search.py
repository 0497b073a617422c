"""Search, related papers and index commands, registered on the main app:

``paperwire search "query" [--author ...] [--category ...] [--org ...] [--after ...] [--before ...] [--json]``,
``paperwire similar ID [--limit N] [--json]``, ``paperwire index embed`` and ``paperwire index rebuild``.
Each is one services / index call; output is a table (or JSON with ``--json``).
"""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from paperwire.cli.main import DbOpt, JsonOpt, _database_errors, _fail, _progress, _settings, _store, app, console, out

index_app = typer.Typer(help="The vector index: embed papers that lack embeddings, rebuild the index file.",
                        no_args_is_help=True)  # fmt: skip
app.add_typer(index_app, name="index")

ListOpt = Optional[list[str]]


def _paper_json(paper, base_url: str, **extra) -> dict:
    from paperwire.api.hf_shapes import paper_detail

    return {**paper_detail(paper, base_url), **extra}


def _snippet_text(segments) -> str:
    return "".join(f"[bold]{text}[/]" if match else text.replace("[", "\\[") for text, match in segments)


def _configure(store, settings):
    from paperwire.context import Paperwire

    return Paperwire(settings, store)


@app.command()
def search(
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
        raise _fail(f"invalid --mode {mode!r}: use auto, hybrid, keyword or semantic")
    settings = _settings(database_url)
    try:
        filters = make_filters(authors=author or (), categories=category or (), orgs=org or (), after=after, before=before)
    except QueryError as err:
        raise _fail(str(err)) from None
    store = _store(settings)
    pw = _configure(store, settings)
    with _database_errors(settings):
        try:
            result = svc.search(pw, query, limit=limit, offset=offset, filters=filters, mode=mode, strict=True)  # type: ignore[arg-type]
        except QueryError as err:
            raise _fail(str(err)) from None
    if as_json:
        out.print_json(json.dumps({
            "query": query, "mode": result.mode, "total": result.total, "offset": offset,
            "filters": result.parsed.filters.as_dict(),
            "results": [_paper_json(p, settings.base_url, score=result.scores.get(p.id),
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


@app.command()
def similar(
    paper_id: Annotated[str, typer.Argument(help="A paper id, e.g. 2401.12345.")],
    limit: Annotated[int, typer.Option(min=1, max=100, help="Number of papers.")] = 10,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Papers most similar to one paper (itself excluded)."""
    from paperwire.api.search import _normalised
    from paperwire.services import search as svc

    settings = _settings(database_url)
    store = _store(settings)
    pw = _configure(store, settings)
    with _database_errors(settings):
        related = svc.similar(pw, _normalised(paper_id), limit)
    if related is None:
        raise _fail(f"no paper with id {paper_id}")
    if as_json:
        out.print_json(json.dumps([_paper_json(p, settings.base_url, score=related.scores.get(p.id))
                                   for p in related.papers]))  # fmt: skip
        return
    table = Table("#", "id", "similarity", "title", title=f"similar to {paper_id} ({related.method})")
    for n, paper in enumerate(related.papers, start=1):
        table.add_row(str(n), paper.id, f"{related.scores.get(paper.id, 0):.3f}", paper.title.replace("[", "\\["))
    out.print(table)


@index_app.command("embed")
def index_embed(
    bundled_only: Annotated[bool, typer.Option("--bundled-only", help="Only import the vectors shipped with the "
                                               "demo corpus (seconds); embed nothing.")] = False,  # fmt: skip
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Embed the papers that lack an embedding (vectors shipped with the demo corpus are imported), and
    update the TF-IDF term cache."""
    from paperwire.index import embeddings
    from paperwire.index.embedder import OnnxEmbedder

    settings = _settings(database_url)
    store = _store(settings)
    try:
        embedder = OnnxEmbedder(settings.data_dir / "models")
    except Exception as err:  # noqa: BLE001 - a missing optional dependency or a broken model file
        raise _fail(f"cannot load the embedding model: {err}") from None
    with _progress("embed papers", enabled=not as_json) as advance, _database_errors(settings):
        report = embeddings.embed_missing(store, embedder, compute=not bundled_only, progress=advance)
    from paperwire.cli.recommend import update_terms

    with _database_errors(settings):
        update_terms(store, settings, quiet=as_json)  # the TF-IDF half of recommendations, kept current too
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    else:
        rate = report.embedded / report.seconds if report.seconds and report.embedded else 0
        console.print(f"{report.model}: {report.embedded:,} embedded ({rate:.1f}/s), {report.imported:,} imported "
                      f"from the bundled vectors, {report.total:,} papers embedded in all ({report.seconds:.1f} s)")  # fmt: skip


@index_app.command("rebuild")
def index_rebuild(database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Rebuild the approximate vector index file from the embeddings stored in the database."""
    import time

    from paperwire.index import vectors
    from paperwire.index.embedder import MINILM

    settings = _settings(database_url)
    store = _store(settings)
    path = vectors.ann_path(settings.data_dir, store, MINILM)
    started = time.monotonic()
    with _database_errors(settings):
        index = vectors.rebuild(store, MINILM, path)
    seconds = time.monotonic() - started
    if as_json:
        out.print_json(json.dumps({"model": MINILM, "vectors": len(index), "file": str(path), "seconds": round(seconds, 2)}))
    else:
        console.print(f"{MINILM}: {len(index):,} vectors indexed in {seconds:.1f} s -> {path}")

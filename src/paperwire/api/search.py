"""paperwire's own search API: hybrid search with filters, pagination and snippets, and related papers.

- ``GET /api/search`` — ``q`` (words, "phrases", prefixes*, ``-excluded`` words or phrases, and the
  filters ``author:`` ``category:`` ``org:`` ``after:`` ``before:`` typed in the text) plus the same
  filters, ``exclude`` and ``sort`` as parameters; reports the authors the text names and a spelling
  suggestion.
- ``GET /api/papers/{id}/similar`` — papers most similar to one paper (itself excluded).
- ``POST /api/similar`` — "more like these": papers similar to a list of papers.

Papers have the shape of ``GET /api/papers/{id}`` (``api.hf_shapes.paper_detail``). A bad parameter
is a 400 naming it, an unknown paper a 404; no input gives a 500.
"""
from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel, Field

from paperwire.api.errors import ERRORS_400, ERRORS_404, ParamError, ParamErrorRoute, error_response, json_response
from paperwire.api.hf_shapes import paper_detail
from paperwire.api.links import site_url
from paperwire.api.schemas import PaperDetail
from paperwire.rank.query import QueryError, make_filters
from paperwire.services import search as search_service
from paperwire.services.counts import counts

TAG = "paperwire search API"
router = APIRouter(route_class=ParamErrorRoute, tags=[TAG])

MAX_Q = 10_000  # characters accepted in q (the first 1,000 are read)
MAX_ID = 200


class Segment(BaseModel):
    text: str
    match: bool = Field(description="Whether this piece matched the query.")


class SearchHit(BaseModel):
    paper: PaperDetail
    score: float | None = Field(None, description="Ranking score (larger is better; comparable within one response).")
    snippet: list[Segment] | None = Field(None, description="Where the query matched in the abstract, in pieces.")


class AppliedFilters(BaseModel):
    authors: list[str]
    categories: list[str]
    orgs: list[str]
    after: str | None
    before: str | None
    exclude: list[str] = Field(description="Words or phrases the papers do not contain.")


class RecognisedAuthor(BaseModel):
    key: str = Field(description="The normalised name (as in the author filter).")
    name: str = Field(description="The name as written on the papers.")
    papers: int = Field(description="Papers by this author here.")
    url: str = Field(description="The author's page.")


class SearchResponse(BaseModel):
    query: str
    mode: str = Field(description="What ran: hybrid (keyword + vector), keyword, semantic, filters (no text) or none.")
    total: int = Field(description="Results available to page through (at most 1,000); 0 when no word matches "
                       "and nothing is close in meaning.")
    offset: int
    limit: int
    sort: str = Field(description="relevance, newest or upvotes.")
    filters: AppliedFilters
    authors: list[RecognisedAuthor] = Field(description="Authors whose names the query text contains (most papers first).")
    suggestion: str | None = Field(description="The query with misspelt words replaced by the corpus's words, if any.")
    results: list[SearchHit]


class SimilarRequest(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=100, description="Paper ids (unknown ones are ignored).")
    limit: int = Field(10, ge=1, le=100)


def _filters(author, category, org, after, before, exclude=None):
    try:
        return make_filters(authors=author or (), categories=category or (), orgs=org or (), after=after, before=before,
                            exclude=exclude or ())  # fmt: skip
    except QueryError as err:
        raise ParamError(err.param, str(err)) from None


def _printable(value: str, name: str) -> str:
    if "\x00" in value:
        raise ParamError(name, f"invalid {name}: control characters are not allowed")
    return value


@router.get(
    "/api/search",
    summary="Search papers (hybrid, with filters and snippets)",
    description="Keyword search (BM25, title weighted above abstract) fused with semantic search when the "
    "papers have embeddings. `q` takes words, \"quoted phrases\", prefixes (`diffus*`), `-word` and "
    "`-\"a phrase\"` to exclude, and the filters `author:` (`author:\"First Last\"` for a full name), "
    "`category:`, `org:`, `after:YYYY-MM-DD`, `before:YYYY-MM-DD`; the parameters of the same names add to them "
    "(repeat `author`, `category`, `org`, `exclude` for several). A paper id, an arXiv/Hugging Face link or a DOI "
    "in `q` puts that paper first; an author's name typed as text is reported in `authors` (and, when it is all "
    "of `q`, their papers come first). When no word matches and nothing is close in meaning, `total` is 0; "
    "`suggestion` corrects misspelt words. Without text, the papers matching the filters are listed newest "
    "first. `sort`: relevance, newest, upvotes. Pages with `offset` and `limit`.",
    response_model=SearchResponse,
    responses=ERRORS_400,
)
def api_search(
    request: Request,
    q: Annotated[str, Query(max_length=MAX_Q, description="Query text.")] = "",
    author: Annotated[list[str] | None, Query(max_length=300, description="Author name (all must match).")] = None,
    category: Annotated[list[str] | None, Query(max_length=50, description="arXiv category, e.g. cs.CL (any).")] = None,
    org: Annotated[list[str] | None, Query(max_length=200, description="Organisation handle (any).")] = None,
    after: Annotated[str | None, Query(max_length=10, description="Published on or after, YYYY[-MM[-DD]].")] = None,
    before: Annotated[str | None, Query(max_length=10, description="Published before, YYYY[-MM[-DD]].")] = None,
    exclude: Annotated[list[str] | None, Query(max_length=200, description="Word or phrase the papers must not contain.")] = None,
    sort: Annotated[Literal["relevance", "newest", "upvotes"], Query(description="Order of the results.")] = "relevance",
    mode: Annotated[Literal["auto", "hybrid", "keyword", "semantic"],
                    Query(description="auto = hybrid when embeddings exist.")] = "auto",  # fmt: skip
    limit: Annotated[int, Query(ge=1, le=100, description="Results per page.")] = 20,
    offset: Annotated[int, Query(ge=0, le=1000, description="Results to skip.")] = 0,
) -> Response:
    _printable(q, "q")
    for value in exclude or ():
        _printable(value, "exclude")
    filters = _filters(author, category, org, after, before, exclude)
    try:
        result = search_service.search(request.app.state.pw, q, limit=limit, offset=offset, filters=filters,
                                       mode=mode, strict=True, sort=sort)  # fmt: skip
    except QueryError as err:
        raise ParamError("q", f"invalid q: {err}") from None
    base_url = site_url(request)
    local = counts(request.app.state.store, result.papers)
    hits = []
    for paper in result.papers:
        snippet = result.snippets.get(paper.id)
        hits.append({
            "paper": paper_detail(paper, base_url, local.local_comments(paper), local.local_votes(paper)),
            "score": result.scores.get(paper.id),
            "snippet": [{"text": text, "match": match} for text, match in snippet] if snippet else None,
        })  # fmt: skip
    authors = [{"key": a.key, "name": a.name, "papers": a.papers, "url": f"{base_url}/authors/{quote(a.key.replace(' ', '-'), safe='')}"}
               for a in result.authors]  # fmt: skip
    body = {"query": q, "mode": result.mode, "total": result.total, "offset": offset, "limit": limit, "sort": sort,
            "filters": result.parsed.filters.as_dict(), "authors": authors, "suggestion": result.suggestion,
            "results": hits}  # fmt: skip
    return json_response(body, headers={"X-Total-Count": str(result.total)})


def _related(request: Request, related) -> Response:
    base_url = site_url(request)
    local = counts(request.app.state.store, related.papers)
    return json_response([paper_detail(p, base_url, local.local_comments(p), local.local_votes(p)) for p in related.papers],
                         headers={"X-Related-Method": related.method})  # fmt: skip


@router.get(
    "/api/papers/{paper_id:path}/similar",
    summary="Papers similar to one paper",
    description="The papers most similar to this one (cosine similarity of their embeddings; before the "
    "papers are embedded, keyword similarity of titles), most similar first, the paper itself excluded. "
    "Each has the shape of `GET /api/papers/{id}`.",
    response_model=list[PaperDetail],
    responses={**ERRORS_400, **ERRORS_404},
)
def similar_papers(
    request: Request,
    paper_id: str,
    limit: Annotated[int, Query(ge=1, le=100, description="Number of papers.")] = 10,
) -> Response:
    if not paper_id.isprintable() or len(paper_id) > MAX_ID:
        return error_response(404, f"no paper with id {''.join(c if c.isprintable() else '?' for c in paper_id[:MAX_ID])}")
    related = search_service.similar(request.app.state.pw, _normalised(paper_id), limit)
    if related is None:
        return error_response(404, f"no paper with id {paper_id}")
    return _related(request, related)


@router.post(
    "/api/similar",
    summary="More like these papers",
    description="Papers similar to all of the given ones together (the mean of their embeddings), the "
    "given papers excluded. Unknown ids are ignored; a 404 when none is known.",
    response_model=list[PaperDetail],
    responses={**ERRORS_400, **ERRORS_404},
)
def more_like_these(request: Request, body: Annotated[SimilarRequest, Body()]) -> Response:
    ids = [_normalised(i) for i in body.ids if i.isprintable() and len(i) <= MAX_ID]
    related = search_service.similar_to_many(request.app.state.pw, [i for i in ids if i], body.limit) if ids else None
    if related is None:
        return error_response(404, "none of the ids is a known paper")
    return _related(request, related)


def _normalised(paper_id: str) -> str:
    from paperwire.ingest.normalize import paper_id as normalise

    try:
        return normalise(paper_id.strip()) or paper_id
    except ValueError:
        return paper_id

"""The Hugging Face Hub–compatible papers API: ``huggingface_hub.HfApi(endpoint=...)`` works
against it unchanged (``list_daily_papers``, ``list_papers``, ``paper_info``, ``read_paper``).

Routes call services and shape their results (``api.hf_shapes``); JSON is encoded with orjson.
A bad parameter is a 400 naming it (the client raises ``BadRequestError`` with the message), an
unknown paper a 404 (the client raises ``HfHubHTTPError`` with status 404). Never a 500 for input.
"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from paperwire.api.errors import ERRORS_400, ERRORS_404, ParamError, ParamErrorRoute, error_response, json_response
from paperwire.api.hf_shapes import daily_item, paper_detail, paper_markdown
from paperwire.api.links import site_url
from paperwire.api.schemas import DailyPaper, PaperDetail
from paperwire.services import feed as feed_service
from paperwire.services import papers as paper_service
from paperwire.services import search as search_service
from paperwire.services.periods import Period, PeriodError
from paperwire.services.counts import counts

TAG = "Hugging Face–compatible papers API"
router = APIRouter(route_class=ParamErrorRoute, tags=[TAG])

MAX_ID = 200  # characters of an unknown id shown in the 404 message


class MarkdownResponse(Response):
    media_type = "text/markdown"


def _period(date: str | None, week: str | None, month: str | None) -> Period | None:
    given = [(kind, text) for kind, text in (("day", date), ("week", week), ("month", month)) if text is not None]
    if len(given) > 1:
        names = [{"day": "date"}.get(kind, kind) for kind, _ in given]
        both = ", ".join(names[:-1]) + " and " + names[-1]
        raise ParamError("date", f"give at most one of date, week and month, not {both}")
    if not given:
        return None
    try:
        return Period.parse(*given[0])
    except PeriodError as err:
        raise ParamError(err.param, str(err)) from None
    except OverflowError:  # 9999-12-31: the period would end after the last representable day
        param = {"day": "date", "week": "week", "month": "month"}[given[0][0]]
        raise ParamError(param, f"{param} {given[0][1][:30]!r} is out of range") from None


@router.get(
    "/api/daily_papers",
    summary="Daily papers of a day, an ISO week or a month",
    description="The papers published on a day (`date`), in an ISO week (`week`) or a month (`month`); "
    "give at most one. Without any, the most recent day that has papers, or with `sort=trending` the "
    "trending papers of the last two weeks (time-decayed upvotes). Pages are 0-based (`p`); the "
    "`X-Total-Count` header gives the number of papers in the period.",
    response_model=list[DailyPaper],
    responses=ERRORS_400,
)
def daily_papers(
    request: Request,
    date: Annotated[str | None, Query(description="A day, YYYY-MM-DD.", examples=["2024-01-09"])] = None,
    week: Annotated[str | None, Query(description="An ISO week, YYYY-Www.", examples=["2024-W02"])] = None,
    month: Annotated[str | None, Query(description="A month, YYYY-MM.", examples=["2024-01"])] = None,
    sort: Annotated[Literal["publishedAt", "trending"],
                    Query(description="Newest first, or by trending score.")] = "publishedAt",  # fmt: skip
    limit: Annotated[int, Query(ge=1, le=100, description="Papers per page.")] = 50,
    p: Annotated[int, Query(ge=0, description="Page number, 0-based.")] = 0,
    submitter: Annotated[str | None, Query(max_length=300, description="Only papers submitted by this user.")] = None,
    list_: Annotated[Literal["daily", "new"], Query(alias="list", description=(
        "`new` (default, as before): every paper listed in the period; `daily`: Daily Papers only, as "
        "on Hugging Face (on its daily list, submitted or upvoted here). A paperwire extension."))] = "new",
) -> Response:
    store = request.app.state.store
    period = _period(date, week, month)
    if submitter is not None and not submitter.isprintable():  # PostgreSQL refuses NUL in a query
        raise ParamError("submitter", f"invalid submitter {submitter[:40]!r}: control characters are not allowed")

    def compute() -> tuple[list[dict], int]:
        if period is None and sort == "trending":
            result = feed_service.trending(store, limit=limit, page=p, submitter=submitter)
        else:
            chosen = period or feed_service.default_period(store, which=list_)
            result = feed_service.feed(store, chosen, sort=sort, page=p, limit=limit, submitter=submitter, which=list_)
        return _daily_items(store, result.papers), result.total

    # the same for every client: computed once per data version (any commit changes it)
    key = ("daily_papers", period.kind if period else None, period.label if period else None, sort, limit, p,
           submitter, list_)  # fmt: skip
    items, total = request.app.state.pw.memo.get(key, compute)
    return json_response(items, headers={"X-Total-Count": str(total)})


@router.get(
    "/api/papers/search",
    summary="Search papers",
    description="Papers matching the words of `q` in their title or abstract, best first. An empty query "
    "finds nothing.",
    response_model=list[DailyPaper],
    responses=ERRORS_400,
)
def search_papers(
    request: Request,
    q: Annotated[str, Query(description="Free text; query syntax is ignored.")] = "",
    limit: Annotated[int, Query(ge=1, le=100, description="Number of papers.")] = 50,
) -> Response:
    result = search_service.search(request.app.state.pw, q, limit=limit)
    return json_response(_daily_items(request.app.state.store, result.papers))


def _daily_items(store, papers) -> list[dict]:
    """Daily items, with the visible local comments of all the papers counted in one query."""
    local = counts(store, papers)
    return [daily_item(paper, local.local_comments(paper), local.local_votes(paper)) for paper in papers]


def _find(request: Request, paper_id: str):
    """The paper with this id (the service normalises arXiv versions and URL forms, and finds nothing
    for ids that cannot exist)."""
    return paper_service.get_paper(request.app.state.store, paper_id)


def _not_found(paper_id: str) -> Response:
    shown = "".join(ch if ch.isprintable() else "?" for ch in paper_id[:MAX_ID])
    return error_response(404, f"no paper with id {shown}")


@router.get(
    "/papers/{paper_id:path}.md",
    summary="A paper as Markdown",
    description="Title, authors, organisation, dates, categories, links and abstract as Markdown "
    "(huggingface_hub's `read_paper`). `<` and `>` in the text are written as entities, so no "
    "Markdown renderer turns them into HTML.",
    response_class=MarkdownResponse,
    responses={200: {"content": {"text/markdown": {}}}, **ERRORS_404},
)
def paper_md(request: Request, paper_id: str) -> Response:
    paper = _find(request, paper_id)
    if paper is None:
        return _not_found(paper_id)
    local = counts(request.app.state.store, [paper])
    return MarkdownResponse(paper_markdown(paper, site_url(request), local.local_votes(paper)))


@router.get(
    "/api/papers/{paper_id:path}",
    summary="One paper",
    description="The paper's fields at the top level, as huggingface_hub's `paper_info` reads them. Ids "
    "are arXiv ids without version (`2401.12345`, `hep-th/9901001`) or the id a paper was ingested with.",
    response_model=PaperDetail,
    responses=ERRORS_404,
)
def paper_info(request: Request, paper_id: str) -> Response:
    paper = _find(request, paper_id)
    if paper is None:
        return _not_found(paper_id)
    local = counts(request.app.state.store, [paper])
    return json_response(paper_detail(paper, site_url(request), local.local_comments(paper),
                                      local.local_votes(paper)))  # fmt: skip

"""RSS 2.0 and Atom feeds (feedgen): the daily feed, a category, an author and a search query.

    /feeds/daily.atom|rss[?date=YYYY-MM-DD]      the most recent day with papers, or that day
                       [?week=YYYY-Www|month=YYYY-MM]  that week or month (list=, category= as on the pages)
    /feeds/category/{category}.atom|rss          newest 50 papers listed in the category
    /feeds/author/{author_key}.atom|rss          newest 50 papers of the author
    /feeds/search.atom|rss?q=...                 best 50 keyword matches

Entries link to ``{site}/papers/{id}`` (``api.links.site_url``: the base URL, or the request's address). Titles and abstracts are text: feedgen escapes them in
the XML; Atom marks them ``type="text"``, and since RSS readers take ``<description>`` as HTML it
holds the HTML-escaped abstract, so markup in a title or abstract is shown, never run.
"""
from __future__ import annotations

import html
import re
from datetime import datetime, time, timezone
from enum import Enum
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request, Response
from feedgen.feed import FeedGenerator

from paperwire import __version__
from paperwire.api.errors import ERRORS_400, ParamError, ParamErrorRoute, error_response
from paperwire.api.hf_shapes import page_url
from paperwire.api.links import site_url
from paperwire.services import feed as feed_service
from paperwire.services import search as search_service
from paperwire.services.periods import Period, PeriodError
from paperwire.store import Paper, queries

router = APIRouter(route_class=ParamErrorRoute, tags=["Feeds"])

DAILY_LIMIT = 100  # papers of a day, most upvoted first
LIST_LIMIT = 50  # papers of a category, an author or a search
MEDIA = {"atom": "application/atom+xml", "rss": "application/rss+xml"}
# characters XML 1.0 cannot hold (lxml refuses them); stored text should not have any, but never fail
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Format(str, Enum):
    atom = "atom"
    rss = "rss"


FEED_RESPONSES = {200: {"content": {MEDIA["atom"]: {}, MEDIA["rss"]: {}}, "description": "The feed."}, **ERRORS_400}


def _xml(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _render(request: Request, fmt: Format, *, title: str, subtitle: str, html_path: str, papers: list[Paper],
            empty_updated: datetime | None = None) -> Response:  # fmt: skip
    base = site_url(request)
    self_url = base + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    fg = FeedGenerator()
    if fmt is Format.rss:
        fg.load_extension("dc", atom=False, rss=True)  # dc:creator: RSS <author> needs an email address
    fg.id(self_url)
    fg.title(_xml(title))
    fg.subtitle(_xml(subtitle))  # the RSS <description>
    fg.link(href=self_url, rel="self", type=MEDIA[fmt.value])
    fg.link(href=base + html_path, rel="alternate")  # last: feedgen makes the last link RSS's <link>
    fg.language("en")
    fg.generator("paperwire", version=__version__)
    newest = max((p.updated or p.published for p in papers), default=None)
    fg.updated(_utc(newest or empty_updated or datetime.now(timezone.utc)))
    for paper in papers:
        url = page_url(base, paper.id)
        entry = fg.add_entry(order="append")
        entry.guid(url, permalink=True)  # also the Atom <id>
        entry.title(_xml(paper.title))
        entry.link(href=url, rel="alternate")
        entry.published(_utc(paper.published))
        entry.updated(_utc(paper.updated or paper.published))
        for category in paper.categories:
            entry.category(term=category)
        if fmt is Format.atom:
            entry.summary(_xml(paper.summary) or "(no abstract)", type="text")
            for name in paper.authors:
                entry.author({"name": _xml(name)})
        else:
            entry.description(html.escape(_xml(paper.summary) or "(no abstract)"), isSummary=True)
            if paper.authors:
                entry.dc.dc_creator([_xml(name) for name in paper.authors])
    body = fg.atom_str() if fmt is Format.atom else fg.rss_str()
    return Response(body, media_type=f"{MEDIA[fmt.value]}; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300"})  # fmt: skip


DateParam = Annotated[str | None, Query(description="A day, YYYY-MM-DD.", examples=["2024-01-09"])]
WeekParam = Annotated[str | None, Query(description="An ISO week, YYYY-Www (instead of `date`).", examples=["2024-W02"])]
MonthParam = Annotated[str | None, Query(description="A month, YYYY-MM (instead of `date`).", examples=["2024-01"])]
ListParam = Annotated[feed_service.Which, Query(alias="list", description="`new` (New on arXiv) or `daily` (Daily Papers).")]
CategoryParam = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z][A-Za-z\-]*(\.[A-Za-z][A-Za-z\-]*)?$",
                                            description="Only papers listed in this category, e.g. `cs.CL`.")]  # fmt: skip


def _period(store, date: str | None, week: str | None, month: str | None) -> Period:
    given = [(kind, text) for kind, text in (("day", date), ("week", week), ("month", month)) if text is not None]
    if len(given) > 1:
        raise ParamError(given[1][0] if given[1][0] != "day" else "date", "give one of date, week and month")
    if not given:
        return feed_service.default_period(store)
    kind, text = given[0]
    param = "date" if kind == "day" else kind
    try:
        return Period.parse(kind, text)
    except PeriodError as err:
        raise ParamError(param, str(err)) from None
    except OverflowError:
        raise ParamError(param, f"{param} {text[:30]!r} is out of range") from None


@router.get("/feeds/daily.{fmt}", summary="The daily (or weekly, monthly) feed as Atom or RSS",
            description="The papers of the most recent day that has papers (or of `date`, `week` or `month`), most "
            "upvoted first; `list` and `category` narrow it as on the feed pages.",
            response_class=Response, responses=FEED_RESPONSES)  # fmt: skip
def daily_feed(request: Request, fmt: Format, date: DateParam = None, week: WeekParam = None,
               month: MonthParam = None, which: ListParam = "new", category: CategoryParam = None):  # fmt: skip
    store = request.app.state.store
    period = _period(store, date, week, month)
    page = feed_service.feed(store, period, sort="upvotes", limit=DAILY_LIMIT, which=which, category=category)
    query = urlencode({k: v for k, v in (("list", which if which != "new" else None), ("category", category)) if v})
    narrowed = (f" in {category}" if category else "") + (" (Daily Papers)" if which == "daily" else "")
    return _render(request, fmt, title=f"paperwire · {period.title}{narrowed}",
                   subtitle=f"Papers of {period.title}{narrowed}, most upvoted first",
                   html_path=f"/{period.kind}/{period.label}" + (f"?{query}" if query else ""), papers=page.papers,
                   empty_updated=datetime.combine(period.start, time.min))  # fmt: skip


@router.get("/feeds/search.{fmt}", summary="Search results as Atom or RSS",
            description="The best keyword matches of `q` in titles and abstracts.",
            response_class=Response, responses=FEED_RESPONSES)  # fmt: skip
def search_feed(request: Request, fmt: Format,
                q: Annotated[str, Query(min_length=1, max_length=500, description="Free text.")]):  # fmt: skip
    result = search_service.search(request.app.state.pw, q, limit=LIST_LIMIT)
    return _render(request, fmt, title=f"paperwire · search: {q}", subtitle=f"Papers matching “{q}”",
                   html_path="/search?" + urlencode({"q": q}), papers=result.papers)  # fmt: skip


@router.get("/feeds/category/{category}.{fmt}", summary="A category's newest papers as Atom or RSS",
            description="The newest papers listed in an arXiv category (primary or cross-listed), e.g. `cs.CL`.",
            response_class=Response, responses={**FEED_RESPONSES, 404: {"description": "No such category."}})  # fmt: skip
def category_feed(request: Request, category: str, fmt: Format):
    store = request.app.state.store
    category = category.strip()
    usable = 0 < len(category) <= 50 and category.isprintable()  # PostgreSQL refuses NUL in a query
    ids = queries.category_paper_ids(store, category, limit=LIST_LIMIT) if usable else []
    if not ids:
        return error_response(404, f"no papers in category {_xml(category)[:50]}")
    return _render(request, fmt, title=f"paperwire · {category}", subtitle=f"The newest papers in {category}",
                   html_path=f"/categories/{quote(category, safe='')}", papers=store.papers_by_ids(ids))  # fmt: skip


@router.get("/feeds/author/{author_key}.{fmt}", summary="An author's newest papers as Atom or RSS",
            description="The newest papers of an author, by normalised name key (`ada lovelace`); a name as "
            "printed (`Ada Lovelace`) or a slug (`ada-lovelace`) finds the same author.",
            response_class=Response, responses={**FEED_RESPONSES, 404: {"description": "No such author."}})  # fmt: skip
def author_feed(request: Request, author_key: str, fmt: Format):
    from paperwire.ingest.normalize import name_key

    store = request.app.state.store
    key = name_key(author_key[:300])
    found = queries.find_author(store, key) if key else None
    if found is None:
        return error_response(404, f"no author {_xml(author_key)[:100]!r}")
    author_pk, name = found
    papers = store.papers_by_ids(queries.author_paper_ids(store, author_pk, limit=LIST_LIMIT))
    return _render(request, fmt, title=f"paperwire · {name}", subtitle=f"The newest papers of {name}",
                   html_path=f"/authors/{quote(key.replace(' ', '-'), safe='')}", papers=papers)  # fmt: skip

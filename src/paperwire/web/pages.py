"""HTML pages (Jinja2): the dated feed, trending, search, paper, author, organisation and category
pages. Routes read parameters, call services and render templates; they hold no business logic.

Errors (a bad date, an unknown paper or author) are an HTML page for browsers (``Accept`` names
``text/html``) and ``{"detail": ...}`` JSON otherwise, with a 4xx status either way; never a 500.
Data is always autoescaped: no template marks data ``|safe``.

Rendered pages are kept in a small per-process cache (``PageCache``) keyed by path and the known
query parameters, valid while the database's data version (``services.browse.change_detector``)
is unchanged and for at most ``CACHE_TTL`` seconds (trending decays with time). An ingest or a
vote committed by any process changes the version, so nothing stale is served after a write.
"""
from __future__ import annotations

import functools
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from markupsafe import Markup, escape

from paperwire import __version__
from paperwire.api.errors import error_response, wants_html
from paperwire.ingest import links
from paperwire.ingest.normalize import name_key
from paperwire.rank.query import QueryError, make_filters
from paperwire.rank.trending import GRAVITY
from paperwire.services import browse
from paperwire.services import feed as feed_service
from paperwire.services import papers as paper_service
from paperwire.services import search as search_service
from paperwire.services.feed import TRENDING_WINDOW, FeedPage
from paperwire.services.periods import Period, PeriodError, arxiv_holiday

HERE = Path(__file__).parent
router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "pw_session"  # a signed-in user sees their own votes: such pages never use the shared cache
templates = Jinja2Templates(directory=HERE / "templates")  # filters and globals: web.templating

PER_PAGE = 30  # cards per page (feed, trending, author, organisation, category)
SEARCH_PER_PAGE = 20
MAX_PAGE = 10_000
MAX_SEARCH_PAGE = 50  # the keyword index ranks limit + offset rows: keep deep pages bounded
SORTS = {"upvotes": "upvotes", "date": "publishedAt"}  # ?sort= value -> feed service sort
SORT_LABELS = {"upvotes": "Most upvoted", "date": "Newest"}
KIND_LABELS = {"day": "Day", "week": "Week", "month": "Month"}
MAX_SLUG = 600  # characters of an author slug (keys have at most 300; a longer slug names no one)
MIN_YEAR, MAX_YEAR = 1900, 2200  # dates outside cannot hold papers (ingest refuses them)
PAGE_PARAMS = ("page", "sort", "q", "fragment", "list", "category", "listing", "after", "before")  # the query parameters pages read; others are ignored
CACHE_SIZE = 256  # pages per process (~70 KB each)
CACHE_TTL = 60.0  # seconds


class PageCache:
    """Rendered 200 pages by (path, known query parameters), valid while ``version()`` returns the
    token they were rendered under and for at most ``ttl`` seconds; least recently used first out."""

    def __init__(self, version: Callable[[], object | None], size: int = CACHE_SIZE, ttl: float = CACHE_TTL):
        self.version, self.size, self.ttl = version, size, ttl
        self._pages: OrderedDict[tuple, tuple[object, float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, token: object) -> bytes | None:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None:
                return None
            if entry[0] != token or time.monotonic() - entry[1] > self.ttl:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return entry[2]

    def put(self, key: tuple, token: object, body: bytes) -> None:
        with self._lock:
            self._pages[key] = (token, time.monotonic(), body)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


_cache_lock = threading.Lock()


def page_cache(app) -> PageCache:
    """The app's page cache, made on first use (``app.state.page_cache = PageCache(lambda: None)``
    switches caching off)."""
    cache = getattr(app.state, "page_cache", None)
    if cache is None:
        with _cache_lock:
            cache = getattr(app.state, "page_cache", None)
            if cache is None:
                cache = app.state.page_cache = PageCache(browse.change_detector(app.state.store))
    return cache


def cached(build: Callable[..., Response]) -> Callable[..., Response]:
    """Serve a route's page from the page cache when the data has not changed since it was rendered."""

    @functools.wraps(build)  # FastAPI reads the parameters of ``build``
    def route(request: Request, **params):
        cache = page_cache(request.app)
        token = cache.version()
        if token is None or SESSION_COOKIE in request.cookies:  # per-user pages never use the shared cache
            return build(request, **params)
        key = (request.url.path, tuple((k, request.query_params.get(k)) for k in PAGE_PARAMS))
        body = cache.get(key, token)
        if body is not None:
            return HTMLResponse(body)
        response = build(request, **params)
        if response.status_code == 200 and response.media_type == "text/html":
            cache.put(key, token, response.body)
        return response

    return route


# -- URL helpers (also template filters) ------------------------------------------------------------
def paper_url(paper_or_id) -> str:
    pid = paper_or_id if isinstance(paper_or_id, str) else paper_or_id.id
    return "/papers/" + quote(pid, safe="/")  # old arXiv ids keep their slash: /papers/hep-th/9901001


def author_slug(key: str) -> str:
    return key.replace(" ", "-")  # keys are words separated by single spaces, never hyphens


def author_url(key: str) -> str:
    return "/authors/" + quote(author_slug(key), safe="")


def author_feed_url(key: str) -> str:
    return "/feeds/author/" + quote(author_slug(key), safe="")  # + ".atom" or ".rss"


def org_url(key: str) -> str:
    return "/orgs/" + quote(key, safe="")


def category_url(category: str) -> str:
    return "/categories/" + quote(category, safe="")


def period_url(period: Period) -> str:
    return f"/{period.kind}/{period.label}"


def safe_href(url: str | None) -> str:
    """Only http(s) links from data become hrefs (ingest already refuses others; belt and braces)."""
    return url if url and url.lower().startswith(("http://", "https://")) else "#"


@lru_cache(maxsize=64)
def static_url(path: str) -> str:
    """/static/PATH?v=HASH, so browsers may cache assets and still see a new version at once."""
    try:
        digest = hashlib.sha1((HERE / "static" / path).read_bytes()).hexdigest()[:10]
    except OSError:
        digest = __version__
    return f"/static/{path}?v={digest}"


def step_label(period: Period, current: Period | None = None) -> str:
    """Short name of a neighbouring period for the previous / next buttons; a day names its year when it
    is not this year's or not the year of the ``current`` period shown (so a jump across years says so)."""
    if period.kind == "day":
        year = period.start.year
        other_year = year != date.today().year or (current is not None and year != current.start.year)
        return short_date(period.start) + (f" {year}" if other_year else "")
    if period.kind == "week":
        return f"Week {period.label[-2:].lstrip('0')}, {period.start.isocalendar()[0]}"
    return period.start.strftime("%B %Y")


def short_date(day) -> str:
    return day.strftime("%a %-d %b")


def long_date(day) -> str:
    return day.strftime("%-d %B %Y")


def authors_with_keys(paper) -> list[tuple[str, str | None]]:
    keys = paper.author_keys if len(paper.author_keys) == len(paper.authors) else (None,) * len(paper.authors)
    return list(zip(paper.authors, keys))


def long_date_text(iso: str) -> str:
    """``2026-07-01`` -> ``1 July 2026``."""
    return long_date(date.fromisoformat(iso[:10]))


def timestamp_text(iso: str) -> str:
    """``2026-12-03T21:04:11Z`` -> ``3 December 2026, 21:04 UTC``."""
    return datetime.fromisoformat(iso.rstrip("Z")).strftime("%-d %B %Y, %H:%M UTC")


def linkify(text: str | None) -> Markup:
    """Escaped ``text`` with every http(s) URL made a link (``rel="nofollow noopener"``)."""
    return Markup("").join(
        Markup('<a href="{0}" rel="nofollow noopener">{0}</a>').format(part) if is_url else escape(part)
        for part, is_url in links.split_urls(text or "")
    )


def stars(count: int | None) -> str:
    """GitHub stars as GitHub shows them: 950, 1.2k, 31k."""
    if not count:
        return "0"
    if count < 1000:
        return str(count)
    return f"{count / 1000:.1f}k".replace(".0k", "k") if count < 10_000 else f"{count // 1000}k"


LISTING_LABELS = {"new": "new submission", "cross": "cross-list", "replace": "replacement"}


# -- request helpers ----------------------------------------------------------------------------------
class PageError(Exception):
    def __init__(self, status: int, message: str, **context):
        super().__init__(message)
        self.status, self.message, self.context = status, message, context


def _error(request: Request, err: PageError) -> Response:
    if not wants_html(request):
        return error_response(err.status, err.message)
    title = {400: "Bad request", 404: "Not found"}.get(err.status, "Error")
    context = {"status": err.status, "title": title, "message": err.message, **err.context}
    return templates.TemplateResponse(request, "error.html", context, status_code=err.status)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise PageError(400, f"{name} must be a whole number, got {text[:20]!r}") from None
    if not low <= value <= high:
        raise PageError(400, f"{name} must be between {low} and {high}, got {value}")
    return value


def _page(request: Request, high: int = MAX_PAGE) -> int:
    """The 0-based page of ``?page=N`` (1-based in URLs)."""
    return _int_param(request, "page", 1, 1, high) - 1


def _url(request: Request, path: str | None = None, **changes) -> str:
    """This page's URL (or ``path``) with query parameters changed (None drops one; page 1 is left out)."""
    params = {k: v for k, v in request.query_params.items() if k in PAGE_PARAMS and k != "fragment"}
    for key, value in changes.items():
        if value is None or (key == "page" and value == 1):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return (path or request.url.path) + ("?" + urlencode(params) if params else "")


def _render(request: Request, name: str, context: dict) -> Response:
    """The page, or only its list items when htmx asks for the next page (``?fragment=cards``)."""
    fragment = request.query_params.get("fragment") == "cards"
    return templates.TemplateResponse(request, "_cards.html" if fragment else name, context)


def _listing(request: Request, page: int, limit: int, total: int | None, shown: int, has_next: bool,
             path: str | None = None) -> dict:  # fmt: skip
    """Paging context: first/last position shown and the next/previous page links (on ``path``)."""
    first = page * limit + 1 if shown else 0
    return {
        "first": first,
        "last": first + shown - 1 if shown else 0,
        "total": total,
        "page": page,
        "next_url": _url(request, path, page=page + 2) if has_next else None,
        "prev_url": _url(request, path, page=page) if page > 0 else None,
    }


# -- the dated feed -------------------------------------------------------------------------------------
def _sort(request: Request) -> str:
    sort = request.query_params.get("sort") or "upvotes"
    if sort not in SORTS:
        raise PageError(400, f"sort must be one of {', '.join(SORTS)}, got {sort[:20]!r}")
    return sort


def _check_range(period: Period) -> None:
    if not (MIN_YEAR <= period.start.year and period.end.year <= MAX_YEAR):
        raise PageError(404, f"no papers in {period.label}: dates run from {MIN_YEAR} to {MAX_YEAR}")


def _empty_reason(period: Period, fp: FeedPage, latest: date | None) -> str:
    if period.kind != "day":
        return f"No papers in {period.title}."
    day = period.start
    if latest and day > latest:
        return f"No papers yet: the newest papers loaded are from {long_date(latest)}."
    if fp.newer and not fp.older:
        return f"The oldest papers loaded here are from {long_date(fp.newer)}."
    if day.weekday() >= 5:
        return "arXiv announces nothing on weekends: new papers appear Monday to Friday."
    holiday = arxiv_holiday(day)
    if holiday:
        return f"{holiday} is an arXiv holiday: arXiv announces nothing that day."
    return ("arXiv announced papers that day, but none are loaded here: a gap in this instance's data "
            "(its harvests are on the status page).")


_CATEGORY = re.compile(r"[A-Za-z][A-Za-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?")


def _which(request: Request, default: str = "new") -> str:
    which = request.query_params.get("list") or default
    if which not in feed_service.WHICH_LABELS:
        raise PageError(400, f"list must be one of {', '.join(feed_service.WHICH_LABELS)}, got {which[:20]!r}")
    return which


def _category(request: Request) -> str | None:
    category = request.query_params.get("category") or None
    if category is not None and (len(category) > 40 or not _CATEGORY.fullmatch(category)):
        raise PageError(400, f"category must look like cs.CL, got {category[:40]!r}")
    return category


def _listing_kind(request: Request) -> str | None:
    listing = request.query_params.get("listing") or None
    if listing not in (None, "replace"):
        raise PageError(400, "listing may only be 'replace' (the day's replacements)")
    return listing


def _feed_page(request: Request, period: Period, which: str | None = None) -> Response:
    """The feed page of ``period``. Its data (the cards' papers, counts, links, freshness) is the same
    for every reader: computed once per data version (``pw.memo``, keyed like the page cache), so a
    signed-in reader's page costs its rendering and the reader's own marks (``card_state``) only."""
    key = ("feed", request.url.path, period.kind, period.label, which,
           tuple((k, request.query_params.get(k)) for k in PAGE_PARAMS if k != "fragment"))  # fmt: skip
    context = request.app.state.pw.memo.get(key, lambda: _feed_context(request, period, which))
    return _render(request, "feed.html", dict(context))  # a copy: the response adds the request to it


def _feed_context(request: Request, period: Period, which: str | None = None) -> dict:
    store = request.app.state.store
    sort = _sort(request)
    page = _page(request)
    which = which or _which(request)
    category, listing = _category(request), _listing_kind(request)
    _check_range(period)
    fp = feed_service.feed(store, period, sort=SORTS[sort], page=page, limit=PER_PAGE, which=which,
                           category=category, listing=listing)  # fmt: skip
    # the day the view switch and the date picker start from: the newest day with papers in a week or month
    anchor = period.start if period.kind == "day" else (browse.newest_day_in(store, period) if fp.total else None)
    anchor = anchor or period.start
    here = period_url(period)  # the home page's links point at its day's own address
    older = Period.of(period.kind, fp.older) if fp.older else None
    newer = Period.of(period.kind, fp.newer) if fp.newer else None
    keep = {"list": which if which != "new" else None, "category": category}  # what the period links carry
    carried = ("?" + urlencode({k: v for k, v in keep.items() if v})) if any(keep.values()) else ""
    feed_param = {"day": "date", "week": "week", "month": "month"}[period.kind]  # this view's Atom/RSS feed
    feed_query = urlencode({feed_param: period.label, **{k: v for k, v in keep.items() if v}})
    context = {
        "feed_query": feed_query,
        "which": which,
        "lists": [(key, label, _url(request, here, list=None if key == "new" else key, page=None, listing=None),
                   key == which)
                  for key, label in feed_service.WHICH_LABELS.items()],  # fmt: skip (the category filter stays)
        "category": category,
        "categories": feed_service.categories(store, period, which),
        "all_categories_url": _url(request, here, category=None, page=None) if category else None,
        "replacements_url": _url(request, here, listing="replace", page=None) if fp.replacements and not listing else None,
        "all_url": _url(request, here, listing=None, page=None) if listing else None,
        "carried": carried,
        "freshness": freshness(request),
        "fp": fp,
        "period": period,
        "sort": sort,
        "anchor": anchor,
        "older": older,
        "newer": newer,
        "older_day": fp.older,
        "newer_day": fp.newer,
        "views": [(kind, label, _url(request, period_url(Period.of(kind, anchor)), page=None, listing=None), kind == period.kind)
                  for kind, label in KIND_LABELS.items()],  # fmt: skip
        "sorts": [(key, label, _url(request, here, sort=None if key == "upvotes" else key, page=None), key == sort)
                  for key, label in SORT_LABELS.items()],  # fmt: skip
        "empty_reason": _empty_reason(period, fp, fp.older if not fp.newer else None) if not fp.total else None,
        "show_dates": period.kind != "day",
        **_listing(request, page, fp.limit, fp.total, len(fp.papers), (page + 1) * fp.limit < fp.total, here),
    }
    return context


def _sort_query(sort: str) -> str:
    return "" if sort == "upvotes" else f"?sort={sort}"


def freshness(request: Request) -> dict | None:
    """What the feed pages say about the data: when it was last updated, a harvest failing for more
    than a day, and whether only the bundled sample corpus is shown (None when it cannot be read)."""
    from paperwire.services.harvest import status

    try:
        return status(request.app.state.pw, backlog=False)
    except Exception:  # noqa: BLE001 - a notice must never break the page
        return None


@router.get("/", response_class=HTMLResponse)
@cached
def home(request: Request):
    try:
        memo, store = request.app.state.pw.memo, request.app.state.store
        which, latest = memo.get(("home_list",), lambda: feed_service.home_list(store))
        if "list" in request.query_params:
            which = _which(request)
            latest = memo.get(("latest_day", which), lambda: feed_service.latest_day(store, which))
        if latest is None:
            return templates.TemplateResponse(request, "welcome.html", {})
        return _feed_page(request, Period.day(latest), which)
    except PageError as err:
        return _error(request, err)


def _period_route(kind: str):
    def bare(request: Request, date: str | None = None):
        """``/day?date=2026-06-30`` (the date picker's GET form) -> ``/day/2026-06-30``; without a date,
        the newest period that has papers."""
        try:
            if date:
                try:
                    period = Period.of(kind, Period.parse("day", date).start)
                except PeriodError as err:
                    raise PageError(400, str(err)) from None
                except OverflowError:
                    raise PageError(404, f"no papers in {date[:30]!r}") from None
            else:
                period = feed_service.default_period(request.app.state.store, kind)
            _check_range(period)
        except PageError as err:
            return _error(request, err)
        try:  # the picker's hidden fields (list, sort, category) are kept; bad values are dropped
            which = _which(request) if request.query_params.get("list") else None
            category = _category(request)
        except PageError:
            which = category = None
        sort = request.query_params.get("sort")
        keep = {"list": which if which != "new" else None, "sort": sort if sort in SORTS and sort != "upvotes" else None,
                "category": category}  # fmt: skip
        query = urlencode({k: v for k, v in keep.items() if v})
        return RedirectResponse(period_url(period) + (f"?{query}" if query else ""), status_code=303)

    def dated(request: Request, text: str):
        try:
            try:
                period = Period.parse(kind, text)
            except PeriodError as err:
                raise PageError(400, str(err)) from None
            except OverflowError:
                raise PageError(404, f"no papers in {text[:30]!r}") from None
            if period.label != text:  # 2026-W1 -> 2026-W01, 2026-6 -> 2026-06
                _check_range(period)
                query = f"?{request.url.query}" if request.url.query else ""
                return RedirectResponse(period_url(period) + query, status_code=308)
            return _feed_page(request, period)
        except PageError as err:
            return _error(request, err)

    router.add_api_route(f"/{kind}", bare, methods=["GET"], response_class=HTMLResponse, name=f"{kind}_picker")
    router.add_api_route(f"/{kind}/{{text}}", cached(dated), methods=["GET"], response_class=HTMLResponse,
                         name=f"{kind}_feed")  # fmt: skip


for _kind in ("day", "week", "month"):
    _period_route(_kind)


@router.get("/trending", response_class=HTMLResponse)
@cached
def trending(request: Request):
    try:
        page = _page(request)
    except PageError as err:
        return _error(request, err)
    fp = feed_service.trending(request.app.state.store, limit=PER_PAGE, page=page)
    context = {
        "fp": fp,
        "gravity": GRAVITY,
        "window_days": TRENDING_WINDOW.days,
        "window_end": fp.period.end - timedelta(days=1),
        "show_dates": True,
        "rank_from": page * PER_PAGE,
        **_listing(request, page, fp.limit, fp.total, len(fp.papers), (page + 1) * fp.limit < fp.total),
    }
    return _render(request, "trending.html", context)


# -- search ---------------------------------------------------------------------------------------------
SEARCH_SORTS = {"relevance": "Relevance", "newest": "Newest", "upvotes": "Most upvoted"}
SEARCH_CONTROLS = ("category", "after", "before", "sort")  # the search page's controls (query parameters)


def _search_controls(request: Request) -> tuple[dict, object]:
    """The search page's controls as given (for the form) and as filters; raises PageError when one is unusable."""
    given = {name: (request.query_params.get(name) or "").strip()[:50] for name in SEARCH_CONTROLS}
    if given["sort"] and given["sort"] not in SEARCH_SORTS:
        raise PageError(400, f"sort must be one of {', '.join(SEARCH_SORTS)}, got {given['sort'][:20]!r}")
    given["sort"] = given["sort"] or "relevance"
    try:
        filters = make_filters(categories=[given["category"]] if given["category"] else (),
                               after=given["after"] or None, before=given["before"] or None)  # fmt: skip
    except QueryError as err:
        raise PageError(400, str(err)) from None
    return given, filters


def _search_url(request: Request, **changes) -> str:
    params = {k: request.query_params.get(k) for k in ("q", *SEARCH_CONTROLS)}
    params.update(changes)
    return "/search?" + urlencode({k: v for k, v in params.items() if v and not (k == "sort" and v == "relevance")})


@router.get("/search", response_class=HTMLResponse)
def search(request: Request):
    query = (request.query_params.get("q") or "").strip()[: search_service.MAX_QUERY]
    try:
        page = _page(request, MAX_SEARCH_PAGE)
        controls, filters = _search_controls(request)
    except PageError as err:
        return _error(request, err)
    pw = request.app.state.pw
    result = None
    papers: list = []
    has_next = False
    searched = bool(query) or bool(filters)
    if searched:
        # one more than a page tells whether a next page exists
        result = search_service.search(pw, query, limit=SEARCH_PER_PAGE + 1, offset=page * SEARCH_PER_PAGE,
                                       filters=filters, sort=controls["sort"])  # fmt: skip
        if result.mode == "id" and len(result.papers) == 1 and not page and request.query_params.get("fragment") is None:
            return RedirectResponse(paper_url(result.papers[0]), status_code=303)  # an id or link: that paper
        papers = result.papers[:SEARCH_PER_PAGE]
        has_next = len(result.papers) > SEARCH_PER_PAGE and page + 1 < MAX_SEARCH_PAGE
    context = {
        "query": query,
        "result": result,
        "papers": papers,
        "searched": searched,
        "controls": controls,
        "sorts": SEARCH_SORTS,
        "categories": search_service.categories(pw),
        "authors": [{"name": a.name, "url": author_url(a.key), "papers": a.papers} for a in (result.authors if result else [])],
        "suggestion_url": _search_url(request, q=result.suggestion) if result and result.suggestion else None,
        "words": search_service.terms(query),
        # per paper id, snippets as [(text, is_match), ...] segments that the template escapes piece by piece
        "snippets": result.snippets if result is not None else {},
        "show_dates": True,
        **_listing(request, page, SEARCH_PER_PAGE, result.total if result else None, len(papers), has_next),
    }
    return _render(request, "search.html", context)


# -- one paper ------------------------------------------------------------------------------------------
RELATED_COUNT = 6


def _related(request: Request, paper_id: str):
    """Related papers (semantic neighbours, or title words before embeddings exist); None hides the section."""
    pw = request.app.state.pw
    # the same for every reader: once per data version (a signed-in reader's page is not page-cached)
    related = pw.memo.get(("related", paper_id), lambda: search_service.similar(pw, paper_id, RELATED_COUNT))
    return related.papers if related and related.papers else None

@router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
@cached
def paper_page(request: Request, paper_id: str):
    paper_id = paper_id.strip().rstrip("/")
    usable = 0 < len(paper_id) <= 200 and paper_id.isprintable()  # PostgreSQL refuses NUL in a query
    paper = paper_service.get_paper(request.app.state.store, paper_id) if usable else None
    if paper is None:
        return _error(request, PageError(404, f"no paper with id {paper_id}"))
    context = {
        "paper": paper,
        "bibtex": browse.bibtex(paper),
        "is_arxiv": browse.is_arxiv_id(paper.id),
        "related": _related(request, paper.id),
    }
    return templates.TemplateResponse(request, "paper.html", context)


# -- authors, organisations, categories -------------------------------------------------------------
@router.get("/authors/{slug:path}", response_class=HTMLResponse)
@cached
def author_page(request: Request, slug: str):
    key = name_key(slug.replace("-", " "))[:300] if len(slug) <= MAX_SLUG else ""
    try:
        page = _page(request)
        if not key:
            raise PageError(404, "no author with an empty or over-long name")
        if author_slug(key) != slug:  # /authors/Ada%20Lovelace -> /authors/ada-lovelace
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(author_url(key) + query, status_code=308)
        found = browse.author(request.app.state.store, key, page=page, limit=PER_PAGE)
        if found is None:
            raise PageError(404, f"no author {slug!r}")
    except PageError as err:
        return _error(request, err)
    context = {"a": found, "papers": found.papers, "show_dates": True,
               **_listing(request, page, PER_PAGE, found.total, len(found.papers), found.has_next)}  # fmt: skip
    return _render(request, "author.html", context)


@router.get("/categories", response_class=HTMLResponse)
@cached
def categories_index(request: Request):
    """Every category of the instance with its paper count, each linked to its page."""
    entries = browse.categories_index(request.app.state.store)
    return templates.TemplateResponse(request, "categories.html", {"entries": entries})


@router.get("/orgs", response_class=HTMLResponse)
@cached
def organizations_index(request: Request):
    """Every organisation with papers here, with its paper count, each linked to its page."""
    entries = browse.organizations_index(request.app.state.store)
    return templates.TemplateResponse(request, "organizations.html", {"entries": entries})


@router.get("/orgs/{key:path}", response_class=HTMLResponse)
@cached
def organization_page(request: Request, key: str):
    if not key:
        return RedirectResponse("/orgs", status_code=308)
    try:
        page = _page(request)
        usable = key.strip() and len(key) <= 200 and key.isprintable()
        found = browse.organization(request.app.state.store, key, page=page, limit=PER_PAGE) if usable else None
        if found is None:
            raise PageError(404, f"no organisation {key[:100]!r}")
    except PageError as err:
        return _error(request, err)
    context = {"o": found, "papers": found.papers, "show_dates": True,
               **_listing(request, page, PER_PAGE, found.total, len(found.papers), found.has_next)}  # fmt: skip
    return _render(request, "organization.html", context)


@router.get("/categories/{category}", response_class=HTMLResponse)
@cached
def category_page(request: Request, category: str):
    try:
        page = _page(request)
        usable = category.strip() and len(category) <= 50 and category.isprintable()
        found = browse.category(request.app.state.store, category, page=page, limit=PER_PAGE) if usable else None
        if found is None:
            raise PageError(404, f"no papers in category {category[:60]!r}")
    except PageError as err:
        return _error(request, err)
    context = {"c": found, "papers": found.papers, "show_dates": True,
               **_listing(request, page, PER_PAGE, found.total, len(found.papers), found.has_next)}  # fmt: skip
    return _render(request, "category.html", context)

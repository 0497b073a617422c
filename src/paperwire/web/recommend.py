"""Personal recommendations on the site and in the API: the "For you" page (with its two-step
onboarding: interests, then ~10 papers to rate), and ``/api/me/recommendations``, ``/api/me/interests``,
``/api/me/recommendations/to-rate`` for API-token holders. Thin: the work is ``services.recommend``."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from paperwire.api.errors import error_response, json_response
from paperwire.api.hf_shapes import paper_fields
from paperwire.services import recommend as rec
from paperwire.services.accounts import AccountError
from paperwire.web import accounts as web_accounts
from paperwire.web.accounts import api_user, current_user, limiter

router = APIRouter(route_class=web_accounts.RefusalRoute)  # dependencies may answer early (SignedIn)
api_router = APIRouter(prefix="/api/me", tags=["recommendations"])

PAGE_SIZE = 20
PERIODS = {1: "Newest day", 7: "Past week", 30: "Past month"}


def _store(request: Request):
    return request.app.state.store


def _category(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 50 or not value.replace(".", "").replace("-", "").isalnum():
        raise ValueError("category must look like cs.CL")
    return value


async def _off_loop(fn, *args, **kwargs):
    """Model fitting and scoring are CPU work: run them off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


# -- pages ----------------------------------------------------------------------------------------------------
@router.get("/for-you", response_class=HTMLResponse)
async def for_you(request: Request, days: int = 7, category: str = "", page: int = 1):
    user = current_user(request)
    if user is None:
        return web_accounts._login_redirect(request)
    try:
        cat = _category(category)
    except ValueError as err:
        return web_accounts._error(request, 400, str(err))
    days = days if days in PERIODS else 7
    page = max(1, min(page, 50))
    store = _store(request)
    found = await _off_loop(rec.recommend, request.app.state.pw, user, days=days, category=cat, limit=PAGE_SIZE,
                            offset=(page - 1) * PAGE_SIZE)  # fmt: skip
    if found.model == "none":
        return RedirectResponse("/for-you/start", status_code=303)
    more = len(found.items) == PAGE_SIZE
    query = f"days={days}" + (f"&category={cat}" if cat else "")
    return web_accounts._page(request, "for_you.html", {
        "found": found, "papers": found.papers, "reasons": {r.paper.id: r.reason for r in found.items},
        "days": days, "category": cat or "", "periods": PERIODS, "show_dates": True,
        "interests": rec.interests(store, user),
        "next_url": f"/for-you?{query}&page={page + 1}" if more else None,
        "rank_from": (page - 1) * PAGE_SIZE,
    })  # fmt: skip


@router.get("/for-you/start", response_class=HTMLResponse)
def start(request: Request):
    user = current_user(request)
    if user is None:
        return web_accounts._login_redirect(request)
    return web_accounts._page(request, "for_you_start.html", {"interests": rec.interests(_store(request), user)})


@router.post("/for-you/start", response_class=HTMLResponse)
async def save_start(request: Request, got: web_accounts.SignedIn):
    user, form = got
    wait = limiter(request.app).check("write", "user", str(user.pk))
    if wait:
        return web_accounts._too_many(request, wait)
    try:
        report = rec.set_interests(_store(request), user, form.get("interests", ""), form.get("liked", ""))
    except AccountError as err:
        return web_accounts._page(request, "for_you_start.html", {"interests": form.get("interests", "")[:2000],
                                  "error": err.message}, status=400)  # fmt: skip
    if not report.interests and not report.matched:
        return web_accounts._page(request, "for_you_start.html", {
            "interests": "", "liked": form.get("liked", "")[:2000], "report": report,
            "error": "Tell us a few words about your interests, or name a paper we know."}, status=400)  # fmt: skip
    request.state.pw_report = report
    return await rate_first(request)


@router.get("/for-you/rate", response_class=HTMLResponse)
async def rate_first(request: Request):
    user = current_user(request)
    if user is None:
        return web_accounts._login_redirect(request)
    papers = await _off_loop(rec.to_rate, request.app.state.pw, user, limit=10)
    return web_accounts._page(request, "for_you_rate.html", {
        "papers": papers, "report": getattr(request.state, "pw_report", None), "show_dates": True})  # fmt: skip


# -- API ------------------------------------------------------------------------------------------------------
def _day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time())
    except ValueError:
        raise ValueError(f"{name} must be a date like 2026-05-01") from None


@api_router.get("/recommendations")
async def api_recommendations(request: Request, since: str | None = None, until: str | None = None,
                              days: int | None = None, category: str | None = None, limit: int = 20,
                              offset: int = 0):  # fmt: skip
    """Recent papers recommended to the token's user, best first, each with ``reason`` (one line) and
    ``score``. ``since``/``until`` (YYYY-MM-DD, until exclusive) or ``days`` (the newest N days of the
    corpus, default 7); ``category`` filters (cs.CL); ``limit`` 1..100."""
    user = api_user(request)
    if isinstance(user, Response):
        return user
    try:
        start, end = _day(since, "since"), _day(until, "until")
        cat = _category(category)
    except ValueError as err:
        return error_response(400, str(err))
    if not 1 <= limit <= rec.MAX_LIMIT:
        return error_response(400, f"limit must be between 1 and {rec.MAX_LIMIT}")
    if days is not None and not 1 <= days <= rec.MAX_DAYS:
        return error_response(400, f"days must be between 1 and {rec.MAX_DAYS}")
    if not 0 <= offset <= 1000:
        return error_response(400, "offset must be between 0 and 1000")
    if start and end and end <= start:
        return error_response(400, "until must be after since")
    if start and not end:
        end = start + timedelta(days=rec.MAX_DAYS)
    found = await _off_loop(rec.recommend, request.app.state.pw, user, since=start, until=end, days=days, category=cat,
                            limit=limit, offset=offset)  # fmt: skip
    return json_response({
        "model": found.model, "collaborative": found.collaborative,
        "since": found.since.date().isoformat() if found.since else None,
        "until": found.until.date().isoformat() if found.until else None,
        "recommendations": [{"paper": paper_fields(r.paper), "reason": r.reason, "score": round(r.score, 4)}
                            for r in found.items],
    })  # fmt: skip


@api_router.get("/recommendations/to-rate")
async def api_to_rate(request: Request, limit: int = 10):
    """Papers to rate first (onboarding): likely and uncertain matches on different topics."""
    user = api_user(request)
    if isinstance(user, Response):
        return user
    if not 1 <= limit <= 30:
        return error_response(400, "limit must be between 1 and 30")
    papers = await _off_loop(rec.to_rate, request.app.state.pw, user, limit=limit)
    return json_response({"papers": [paper_fields(p) for p in papers]})


@api_router.get("/interests")
def api_interests(request: Request):
    user = api_user(request)
    if isinstance(user, Response):
        return user
    return json_response({"interests": rec.interests(_store(request), user)})


@api_router.put("/interests")
async def api_set_interests(request: Request):
    """Body: ``{"interests": "a few words", "papers": ["2501.01234", ...]}`` (papers are rated up)."""
    user = api_user(request)
    if isinstance(user, Response):
        return user
    body = await web_accounts._json_body(request)
    if isinstance(body, Response):
        return body
    text, papers = body.get("interests", ""), body.get("papers", [])
    if not isinstance(text, str):
        return error_response(400, "interests must be a string")
    if not isinstance(papers, list) or not all(isinstance(x, str) for x in papers):
        return error_response(400, "papers must be a list of paper ids")
    try:
        report = rec.set_interests(_store(request), user, text, "\n".join(papers))
    except AccountError as err:
        return error_response(400, err.message)
    return json_response(report.as_dict())


for _route in router.routes:  # pages: not part of the API schema
    _route.include_in_schema = False

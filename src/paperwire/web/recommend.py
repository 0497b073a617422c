"""Personal recommendations on the site: the "For you" page, with its two-step onboarding
(interests, then ~10 papers to rate). Thin: the work is ``services.recommend``; the API of the same
(``/api/me/recommendations``, ``/api/me/interests``) is in ``api.me``."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from paperwire.api.deps import off_loop, store_of, throttle
from paperwire.api.errors import Refusal
from paperwire.api.me import category_param
from paperwire.services import cached
from paperwire.services import feed as feed_service
from paperwire.services import recommend as rec
from paperwire.services.accounts import AccountError
from paperwire.services.periods import Period
from paperwire.web.http import SignedIn, Viewer, page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
PERIODS = {1: "Newest day", 7: "Past week", 30: "Past month"}


@router.get("/for-you", response_class=HTMLResponse)
async def for_you(request: Request, user: Viewer, days: int = 7, category: str = "",
                  number: Annotated[int, Query(alias="page")] = 1):
    try:
        cat = category_param(category)
    except ValueError as err:
        raise Refusal(400, str(err)) from None
    days = days if days in PERIODS else 7
    number = max(1, min(number, 50))
    store = store_of(request)
    found = await off_loop(cached.recommendations, request.app.state.pw, user, days=days, category=cat, limit=PAGE_SIZE,
                           offset=(number - 1) * PAGE_SIZE)  # fmt: skip
    if found.model == "none":
        return RedirectResponse("/for-you/start", status_code=303)
    more = len(found.items) == PAGE_SIZE
    categories = _categories(request.app.state.pw, found)
    query = f"days={days}" + (f"&category={cat}" if cat else "")
    return page(request, "for_you.html", {
        "found": found, "papers": found.papers, "reasons": {r.paper.id: r.reason for r in found.items},
        "days": days, "category": cat or "", "periods": PERIODS, "show_dates": True,
        "interests": rec.interests(store, user), "categories": categories,
        "category_choices": [c for c, _n in categories] + ([cat] if cat and cat not in dict(categories) else []),
        "next_url": f"/for-you?{query}&page={number + 1}" if more else None,
        "rank_from": (number - 1) * PAGE_SIZE,
    })  # fmt: skip


def _categories(pw, found) -> list[tuple[str, int]]:
    """The categories of this instance's papers in the period recommended from, with their counts: the
    choices of the category picker."""
    if found.since is None or found.until is None:
        return []
    period = Period("day", found.since.date(), found.until.date() + timedelta(days=1))
    # the same for every reader of the period: once per data version
    return pw.memo.get(("categories", period.start, period.end), lambda: feed_service.categories(pw.store, period))


@router.get("/for-you/start", response_class=HTMLResponse)
def start(request: Request, user: Viewer):
    return page(request, "for_you_start.html", {"interests": rec.interests(store_of(request), user),
                                                "welcome": request.query_params.get("welcome") == "1"})  # fmt: skip


@router.post("/for-you/start", response_class=HTMLResponse)
async def save_start(request: Request, got: SignedIn):
    user, form = got
    throttle(request, "write", "user", str(user.pk))
    if form.get("liked", "").strip():
        throttle(request, "import", "user", str(user.pk))
    try:  # the liked papers may be BibTeX: parsing is CPU work, off the event loop
        report = await off_loop(rec.set_interests, store_of(request), user, form.get("interests", ""),
                                form.get("liked", ""))  # fmt: skip
    except AccountError as err:
        return page(request, "for_you_start.html", {"interests": form.get("interests", "")[:2000],
                    "error": err.message}, status=400)  # fmt: skip
    if not report.interests and not report.matched:
        return page(request, "for_you_start.html", {
            "interests": "", "liked": form.get("liked", "")[:2000], "report": report,
            "error": "Tell us a few words about your interests, or name a paper we know."}, status=400)  # fmt: skip
    request.state.pw_report = report
    return await rate_first(request, user)


@router.get("/for-you/rate", response_class=HTMLResponse)
async def rate_first(request: Request, user: Viewer):
    papers = await off_loop(rec.to_rate, request.app.state.pw, user, limit=10)
    return page(request, "for_you_rate.html", {
        "papers": papers, "report": getattr(request.state, "pw_report", None), "show_dates": True})  # fmt: skip

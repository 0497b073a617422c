"""``/api/me``: the JSON API of an API-token holder (``Authorization: Bearer pw_...``, the
:data:`~paperwire.api.deps.ApiUser` dependency): the account, votes, ratings, collections, follows
(tag ``account``) and personal recommendations and interests (tag ``recommendations``). Thin: the
work is in ``services``. Errors are the one JSON error body of ``api.errors``.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request

from paperwire.api.deps import ApiUser, JsonBody, off_loop, store_of, throttle
from paperwire.api.errors import error_response, json_response
from paperwire.api.inputs import parse_day, parse_id
from paperwire.api.hf_shapes import paper_fields
from paperwire.services import accounts as svc
from paperwire.services import collections as coll_svc
from paperwire.services import community
from paperwire.services import cached
from paperwire.services import recommend as rec
from paperwire.services.accounts import AccountError
from paperwire.services.counts import counts
from paperwire.store.accounts import User

router = APIRouter(prefix="/api/me")
ACCOUNT = ["account"]
RECOMMENDATIONS = ["recommendations"]


def _me(user: User) -> dict:
    return {"id": user.pk, "email": user.email, "name": user.name, "emailVerified": user.verified,
            "isAdmin": user.is_admin, "createdAt": user.created_at.isoformat()}  # fmt: skip


def _coll_json(c) -> dict:
    return {"id": c.pk, "name": c.name, "description": c.description, "public": c.is_public, "size": c.size,
            "createdAt": c.created_at.isoformat()}  # fmt: skip


def _owned(request: Request, user: User, pk: str):
    number = parse_id(pk)
    return coll_svc.owned(store_of(request), user, number) if number is not None else None


# -- the account ----------------------------------------------------------------------------------------------
@router.get("", tags=ACCOUNT)
def api_me(user: ApiUser):
    return json_response(_me(user))


@router.get("/votes", tags=ACCOUNT)
def api_votes(request: Request, user: ApiUser):
    return json_response({"papers": svc.db.user_votes(store_of(request), user.pk)})


@router.put("/votes/{paper_id:path}", tags=ACCOUNT)
@router.delete("/votes/{paper_id:path}", tags=ACCOUNT)
def api_vote(request: Request, paper_id: str, user: ApiUser):
    throttle(request, "vote", "user", str(user.pk))
    try:
        state = community.vote(store_of(request), user, paper_id, request.method == "PUT")
    except community.NotFound as err:
        return error_response(404, str(err))
    return json_response({"paper": state.paper_id, "voted": state.voted, "upvotes": state.total,
                          "importedUpvotes": state.imported, "userUpvotes": state.user_votes})  # fmt: skip


@router.get("/ratings", tags=ACCOUNT)
def api_ratings(request: Request, user: ApiUser):
    return json_response({"ratings": community.my_ratings(store_of(request), user)})


@router.put("/ratings/{paper_id:path}", tags=ACCOUNT)
async def api_rate(request: Request, paper_id: str, user: ApiUser, body: JsonBody):
    value = body.get("value")
    if not isinstance(value, int) or isinstance(value, bool):
        return error_response(400, "value must be 1, -1 or 0")
    try:
        community.rate(store_of(request), user, paper_id, value)
    except community.NotFound as err:
        return error_response(404, str(err))
    except AccountError as err:
        return error_response(400, err.message)
    return json_response({"paper": paper_id, "value": value})


@router.get("/collections", tags=ACCOUNT)
def api_collections(request: Request, user: ApiUser):
    return json_response({"collections": [_coll_json(c) for c in svc.db.user_collections(store_of(request), user.pk)]})


@router.post("/collections", tags=ACCOUNT)
async def api_new_collection(request: Request, user: ApiUser, body: JsonBody):
    description = body.get("description") if isinstance(body.get("description"), str) else None
    try:
        coll = coll_svc.create(store_of(request), user, str(body.get("name") or ""), description,
                               body.get("public") is True)  # fmt: skip
    except AccountError as err:
        return error_response(400, err.message)
    return json_response(_coll_json(coll), 201)


@router.get("/collections/{pk}", tags=ACCOUNT)
def api_collection(request: Request, pk: str, user: ApiUser):
    coll = _owned(request, user, pk)
    if coll is None:
        return error_response(404, "no such collection")
    return json_response({**_coll_json(coll), **coll_svc.export_json(store_of(request), coll)})


@router.put("/collections/{pk}/papers/{paper_id:path}", tags=ACCOUNT)
@router.delete("/collections/{pk}/papers/{paper_id:path}", tags=ACCOUNT)
def api_collection_item(request: Request, pk: str, paper_id: str, user: ApiUser):
    coll = _owned(request, user, pk)
    if coll is None:
        return error_response(404, "no such collection")
    try:
        (coll_svc.add_paper if request.method == "PUT" else coll_svc.remove_paper)(store_of(request), coll,
                                                                                     paper_id[:200])  # fmt: skip
    except LookupError:
        return error_response(404, f"no paper with id {paper_id[:100]}")
    return json_response({"collection": coll.pk, "paper": paper_id, "in": request.method == "PUT"})


@router.get("/follows", tags=ACCOUNT)
def api_follows(request: Request, user: ApiUser):
    return json_response({"follows": community.follows(store_of(request), user)})


@router.put("/follows", tags=ACCOUNT)
@router.delete("/follows", tags=ACCOUNT)
async def api_follow(request: Request, user: ApiUser, body: JsonBody):
    try:
        target = community.follow(store_of(request), user, str(body.get("kind") or ""), str(body.get("target") or ""),
                                  request.method == "PUT")  # fmt: skip
    except AccountError as err:
        return error_response(400, err.message)
    return json_response({"kind": body.get("kind"), "target": target, "following": request.method == "PUT"})


# -- recommendations ------------------------------------------------------------------------------------------
def category_param(value: str | None) -> str | None:
    """A ``category`` filter (``cs.CL``), None for none; ValueError when it cannot be a category."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 50 or not value.replace(".", "").replace("-", "").isalnum():
        raise ValueError("category must look like cs.CL")
    return value


def _day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    return datetime.combine(parse_day(value, name), datetime.min.time())  # ValueError names the parameter


@router.get("/recommendations", tags=RECOMMENDATIONS)
async def api_recommendations(request: Request, user: ApiUser, since: str | None = None, until: str | None = None,
                              days: int | None = None, category: str | None = None, limit: int = 20,
                              offset: int = 0):  # fmt: skip
    """Recent papers recommended to the token's user, best first, each with ``reason`` (one line) and
    ``score``. ``since``/``until`` (YYYY-MM-DD, until exclusive) or ``days`` (the newest N days of the
    corpus, default 7); ``category`` filters (cs.CL); ``limit`` 1..100."""
    try:
        start, end = _day(since, "since"), _day(until, "until")
        cat = category_param(category)
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
    found = await off_loop(cached.recommendations, request.app.state.pw, user, since=start, until=end, days=days, category=cat,
                            limit=limit, offset=offset)  # fmt: skip
    local = counts(request.app.state.store, found.papers)
    return json_response({
        "model": found.model, "collaborative": found.collaborative,
        "since": found.since.date().isoformat() if found.since else None,
        "until": found.until.date().isoformat() if found.until else None,
        "recommendations": [{"paper": paper_fields(r.paper, local.local_comments(r.paper), local.local_votes(r.paper)),
                             "reason": r.reason, "score": round(r.score, 4)}
                            for r in found.items],
    })  # fmt: skip


@router.get("/recommendations/to-rate", tags=RECOMMENDATIONS)
async def api_to_rate(request: Request, user: ApiUser, limit: int = 10):
    """Papers to rate first (onboarding): likely and uncertain matches on different topics."""
    if not 1 <= limit <= 30:
        return error_response(400, "limit must be between 1 and 30")
    papers = await off_loop(rec.to_rate, request.app.state.pw, user, limit=limit)
    local = counts(request.app.state.store, papers)
    return json_response({"papers": [paper_fields(p, local.local_comments(p), local.local_votes(p)) for p in papers]})


@router.get("/interests", tags=RECOMMENDATIONS)
def api_interests(request: Request, user: ApiUser):
    return json_response({"interests": rec.interests(store_of(request), user)})


@router.put("/interests", tags=RECOMMENDATIONS)
async def api_set_interests(request: Request, user: ApiUser, body: JsonBody):
    """Body: ``{"interests": "a few words", "papers": ["2501.01234", ...]}`` (papers are rated up)."""
    text, papers = body.get("interests", ""), body.get("papers", [])
    if not isinstance(text, str):
        return error_response(400, "interests must be a string")
    if not isinstance(papers, list) or not all(isinstance(x, str) for x in papers):
        return error_response(400, "papers must be a list of paper ids")
    if papers:
        throttle(request, "import", "user", str(user.pk))
    try:  # the papers may be BibTeX: parsing is CPU work, off the event loop
        report = await off_loop(rec.set_interests, store_of(request), user, text, "\n".join(papers))
    except AccountError as err:
        return error_response(400, err.message)
    return json_response(report.as_dict())

"""A user's library on the site: votes and ratings (htmx fragments or redirects), collections
(pages, edits, BibTeX/JSON export, import), follows and the following feed, comments, and paper
submission. Every change is a CSRF-checked form of a logged-in user (``web.http.SignedIn``, or
:func:`paper_action` for a change about one paper), rate-limited per user.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.api.deps import off_loop, throttle
from paperwire.api.errors import Refusal, json_response
from paperwire.api.inputs import Id, parse_id
from paperwire.services import accounts as svc
from paperwire.services import collections as coll_svc
from paperwire.services import community
from paperwire.services import papers as papers_svc
from paperwire.services import submit as submit_svc
from paperwire.services.accounts import AccountError
from paperwire.store import Paper
from paperwire.store.accounts import User
from paperwire.web.http import (SignedIn, Viewer, back, current_user, local, page, run, safe_form,
                                signed_in_form, store_of)  # fmt: skip
from paperwire.web.pages import templates
from paperwire.web.templating import card_state

router = APIRouter(include_in_schema=False)


# -- votes, ratings (htmx fragments or redirects) ---------------------------------------------------------------
def _fragment(request: Request, macro: str, paper) -> Response:
    """The card's part that changed (``account_fragment.html`` renders one macro), for htmx."""
    state = card_state(request, [paper])
    response = templates.TemplateResponse(request, "account_fragment.html", {"macro": macro, "p": paper, "st": state})
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class PaperAction:
    """What a paper action (vote, rating, collection, comment) starts from."""

    user: User
    form: dict[str, str]
    paper: Paper


def paper_action(rule: str):
    """A dependency: the logged-in user, the CSRF-checked form and the paper its ``paper`` field names
    (``services.papers.get_paper``), after counting a hit of the rate-limit ``rule``. Without them the
    route does not run: the answer is the log-in redirect, the 403, the 429 or the 404."""

    async def dependency(request: Request) -> PaperAction:
        user, form = await signed_in_form(request)
        throttle(request, rule, "user", str(user.pk))
        paper_id = (form.get("paper") or "")[:200]
        paper = papers_svc.get_paper(store_of(request), paper_id) if paper_id else None
        if paper is None:
            raise Refusal(404, f"no paper with id {paper_id[:100]}")
        return PaperAction(user, form, paper)

    return dependency


VoteAction = Annotated[PaperAction, Depends(paper_action("vote"))]
WriteAction = Annotated[PaperAction, Depends(paper_action("write"))]
CommentAction = Annotated[PaperAction, Depends(paper_action("comment"))]


@router.post("/vote")
async def vote(request: Request, act: VoteAction):
    await run(community.vote, store_of(request), act.user, act.paper.id, act.form.get("on", "1") == "1")
    if "hx-request" in request.headers:
        return _fragment(request, "vote_button", act.paper)
    return back(request, act.form)


@router.post("/rate")
async def rate(request: Request, act: VoteAction):
    try:
        value = int(act.form.get("value", "0"))
        community.rate(store_of(request), act.user, act.paper.id, value)
    except (ValueError, AccountError):
        raise Refusal(400, "a rating is 1, -1 or 0") from None
    if "hx-request" in request.headers:
        return _fragment(request, "rating_buttons", act.paper)
    return back(request, act.form)


@router.post("/collect")
async def collect(request: Request, act: WriteAction):
    """Add a paper to one of the user's collections, or remove it (``action=remove``);
    ``collection=reading-list`` is the reader's "Reading list", made on first use."""
    store = store_of(request)
    ref = act.form.get("collection", "")
    if ref == "reading-list":
        coll = coll_svc.reading_list(store, act.user)
    else:
        pk = parse_id(ref)
        coll = coll_svc.owned(store, act.user, pk) if pk is not None else None
    if coll is None:
        raise Refusal(404, "no such collection")
    if act.form.get("action") == "remove":
        coll_svc.remove_paper(store, coll, act.paper.id)
    else:
        coll_svc.add_paper(store, coll, act.paper.id)
    if "hx-request" in request.headers:
        return _fragment(request, "collect_menu", act.paper)
    return back(request, act.form)


# -- collections --------------------------------------------------------------------------------------------
@router.get("/collections", response_class=HTMLResponse)
def my_collections(request: Request, user: Viewer):
    return page(request, "collections.html", {"collections": svc.db.user_collections(store_of(request), user.pk)})


@router.post("/collections", response_class=HTMLResponse)
async def new_collection(request: Request, got: SignedIn):
    user, form = got
    throttle(request, "write", "user", str(user.pk))
    store = store_of(request)
    try:
        coll = coll_svc.create(store, user, form.get("name", ""), form.get("description"), form.get("public") == "1")
    except AccountError as err:
        return page(request, "collections.html", {"collections": svc.db.user_collections(store, user.pk),
                                                  "error": err.message}, 400)  # fmt: skip
    paper_id = form.get("paper")
    if paper_id:
        try:
            coll_svc.add_paper(store, coll, paper_id[:200])
        except LookupError:
            pass
        return back(request, form, f"/collections/{coll.pk}")
    return RedirectResponse(f"/collections/{coll.pk}", status_code=303)


_SLUG = re.compile(r"c[A-Za-z0-9_-]{1,23}")


def _find_collection(store, user, ref: str):
    """``/collections/<pk>`` is the owner's link; anyone else's is the public ``/collections/<slug>``
    (a pk can be reused after a deletion, a slug never). Returns (collection or None, format)."""
    name, _, fmt = ref.partition(".")
    if fmt not in ("", "bib", "json"):
        return None, ""
    pk = parse_id(name)
    if pk is not None:
        return coll_svc.owned(store, user, pk), fmt
    if _SLUG.fullmatch(name):
        return coll_svc.shared(store, user, name), fmt
    return None, ""


@router.get("/collections/{ref}")
def show_collection(request: Request, ref: str):
    store, user = store_of(request), current_user(request)
    coll, fmt = _find_collection(store, user, ref)
    if coll is None:
        raise Refusal(404, "no such collection")
    headers = {"Cache-Control": "no-store" if not coll.is_public else "max-age=60"}
    if fmt == "bib":
        headers["Content-Disposition"] = f'attachment; filename="collection-{coll.pk}.bib"'
        return Response(coll_svc.export_bibtex(store, coll), media_type="application/x-bibtex; charset=utf-8",
                        headers=headers)  # fmt: skip
    if fmt == "json":
        headers["Content-Disposition"] = f'attachment; filename="collection-{coll.pk}.json"'
        return json_response(coll_svc.export_json(store, coll), headers=headers)
    papers = coll_svc.papers(store, coll)
    owner = svc.db.get_user(store, coll.user_pk)
    report = getattr(request.state, "pw_import", None)
    return page(request, "collection.html", {"c": coll, "papers": papers, "owner": owner, "report": report,
                                             "mine": user is not None and user.pk == coll.user_pk})  # fmt: skip


async def owned_collection(request: Request, pk: Id) -> tuple:
    """A dependency: the logged-in user, the CSRF-checked form and their collection ``pk`` (else 404)."""
    user, form = await signed_in_form(request)
    coll = coll_svc.owned(store_of(request), user, pk)
    if coll is None:
        raise Refusal(404, "no such collection")
    return user, form, coll


OwnedCollection = Annotated[tuple, Depends(owned_collection)]


@router.post("/collections/{pk}/edit")
async def edit_collection(request: Request, pk: Id, got: OwnedCollection):
    _user, form, coll = got
    try:
        coll_svc.update(store_of(request), coll, form.get("name", ""), form.get("description"), form.get("public") == "1")
    except AccountError as err:
        raise Refusal(400, err.message) from None
    return RedirectResponse(f"/collections/{coll.pk}", status_code=303)


@router.post("/collections/{pk}/delete")
async def delete_collection(request: Request, pk: Id, got: OwnedCollection):
    coll_svc.delete(store_of(request), got[2])
    return RedirectResponse("/collections", status_code=303)


@router.post("/collections/{pk}/import", response_class=HTMLResponse)
async def import_collection(request: Request, pk: Id, got: OwnedCollection):
    user, form, coll = got
    throttle(request, "import", "user", str(user.pk))
    text = form.get("file") or form.get("ids") or ""
    try:  # parsing BibTeX is CPU work: off the event loop
        request.state.pw_import = await off_loop(coll_svc.import_refs, store_of(request), coll, text)
    except AccountError as err:
        raise Refusal(400, err.message) from None
    return show_collection(request, str(coll.pk))


# -- follows and the following feed ---------------------------------------------------------------------------
@router.get("/following", response_class=HTMLResponse)
def following(request: Request, user: Viewer, number: Annotated[int, Query(alias="page")] = 1):
    number = max(1, min(number, 1000)) - 1
    papers, has_next = community.following_feed(request.app.state.pw, user, page=number, limit=30)
    return page(request, "following.html", {
        "follows": community.followed(store_of(request), user), "papers": papers, "kinds": community.FOLLOW_KINDS,
        "next_url": f"/following?page={number + 2}" if has_next else None, "show_dates": True,
    })  # fmt: skip


@router.post("/follow")
async def follow(request: Request, got: SignedIn):
    """Follow (``on=1``) or unfollow (``on=0``); htmx gets the button back in its new state
    (``_follow.html``), a plain form goes back to ``next``."""
    user, form = got
    throttle(request, "write", "user", str(user.pk))
    kind, target = form.get("kind", ""), form.get("target", "")
    try:
        community.follow(store_of(request), user, kind, target, form.get("on", "1") == "1")
    except AccountError as err:
        raise Refusal(400, err.message) from None
    if "hx-request" in request.headers:
        context = {"follow_kind": kind, "follow_target": target, "follow_next": local(form.get("next"), "/following")}
        response = templates.TemplateResponse(request, "_follow.html", context)
        response.headers["Cache-Control"] = "no-store"
        return response
    return back(request, form, "/following")


# -- comments -----------------------------------------------------------------------------------------------
@router.post("/comments")
async def add_comment(request: Request, act: CommentAction):
    if not act.user.verified:
        raise Refusal(403, "confirm your email address before commenting")
    try:
        community.add_comment(store_of(request), act.user, act.paper.id, act.form.get("body", ""))
    except AccountError as err:
        raise Refusal(400, err.message) from None
    return back(request, act.form)


@router.post("/comments/{pk}/{action}")
async def change_comment(request: Request, pk: Id, action: str, got: SignedIn):
    user, form = got
    store = store_of(request)
    try:
        if action == "edit":
            community.edit_comment(store, user, pk, form.get("body", ""))
        elif action == "delete":
            community.delete_comment(store, user, pk)
        elif action in ("hide", "show"):
            community.hide_comment(store, user, pk, action == "hide")
        else:
            raise Refusal(404, "no such action")
    except community.NotFound:
        raise Refusal(404, "no such comment") from None
    except AccountError as err:
        raise Refusal(400, err.message) from None
    return back(request, form)


# -- submitting a paper ---------------------------------------------------------------------------------------
@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request, user: Viewer):
    return page(request, "submit.html", {"form": {}})


@router.post("/submit", response_class=HTMLResponse)
async def submit_paper(request: Request, got: SignedIn):
    user, form = got
    throttle(request, "write", "user", str(user.pk))
    try:
        paper = await run(submit_svc.submit, request.app.state.pw, user, form.get("paper", ""))
    except submit_svc.AlreadySubmitted as dup:
        return page(request, "submit.html", {"form": safe_form(form), "existing": dup.paper}, status=409)
    except AccountError as err:
        return page(request, "submit.html", {"form": safe_form(form), "error": err.message}, status=400)
    return RedirectResponse(f"/papers/{quote(paper.id, safe='/')}", status_code=303)

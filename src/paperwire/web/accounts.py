"""Accounts pages and API routes: sign-up, log-in/out, email verification, password reset, the
settings page (profile, password, API tokens, deletion), votes, ratings, collections, follows and
comments, paper submission, and ``/api/me/...`` for API tokens (``Authorization: Bearer pw_...``).

Security, in one place:
- **Sessions**: the ``pw_session`` cookie holds an itsdangerous-signed random token whose SHA-256 is a
  row of ``user_sessions``; HttpOnly, SameSite=Lax, Secure when the site is served over https. Log-out
  deletes the row; a password change deletes every row of the user.
- **CSRF**: every POST form carries ``csrf`` (or htmx/JS sends ``X-CSRF-Token``): an itsdangerous
  signature of the session's token digest, or, before log-in, of the random ``pw_csrf`` cookie. A
  post without a valid token is refused with 403, as is one whose ``Origin`` is another site.
  (starlette-csrf was considered: it checks a header only, so plain HTML forms without JavaScript
  could not post; this signed double-submit token works with and without JavaScript.)
- **Rate limits** (``services.ratelimit``): 429 with ``Retry-After``.
- Templates autoescape everything; comments are Markdown rendered then cleaned by nh3.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from itsdangerous import BadSignature, Signer, URLSafeSerializer

from paperwire.api.errors import error_response, json_response
from paperwire.services import accounts as svc
from paperwire.services import collections as coll_svc
from paperwire.services import community
from paperwire.services import papers as papers_svc
from paperwire.services import submit as submit_svc
from paperwire.services.accounts import AccountError
from paperwire.services.mail import MailError
from paperwire.services.ratelimit import RateLimiter
from paperwire.store import Paper
from paperwire.store.accounts import User
from paperwire.web.pages import templates

log = logging.getLogger(__name__)


class Refused(Exception):
    """Raised by a dependency (``paper_action``) with the answer to send instead of running the route."""

    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


class RefusalRoute(APIRoute):
    """Routes whose dependencies may answer early by raising :class:`Refused`."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Refused as refused:
                return refused.response

        return route_handler


# pages are hidden from the OpenAPI schema at the end of this module; /api/me shows
router = APIRouter(route_class=RefusalRoute)
api_router = APIRouter(prefix="/api/me", tags=["account"])

SESSION_COOKIE = "pw_session"
CSRF_COOKIE = "pw_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
_NO_USER = object()


# -- request helpers ----------------------------------------------------------------------------------------
def _settings(request: Request):
    return request.app.state.settings


def _store(request: Request):
    return request.app.state.store


def _secret(request: Request) -> str:
    return _settings(request).secret_key.get_secret_value()


def has_session(request: Request) -> bool:
    """True when the request carries a session cookie: pages showing per-user state must not come
    from (or go into) the shared page cache (used by ``web.pages.cached``)."""
    return SESSION_COOKIE in request.cookies


def _session_token(request: Request) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or len(raw) > 200:
        return None
    try:
        return Signer(_secret(request), salt="session").unsign(raw).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def current_user(request: Request) -> User | None:
    """The logged-in user of this request (looked up once per request)."""
    found = getattr(request.state, "pw_user", _NO_USER)
    if found is _NO_USER:
        found = svc.session_user(_store(request), _session_token(request))
        request.state.pw_user = found
    return found


def _csrf_binding(request: Request) -> str | None:
    token = _session_token(request) if current_user(request) else None
    if token:
        return "s:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    anon = getattr(request.state, "pw_new_csrf", None) or request.cookies.get(CSRF_COOKIE)
    return "a:" + anon if anon and len(anon) <= 100 else None


def csrf_token(request: Request) -> str:
    """The token forms of this request carry (a new ``pw_csrf`` cookie is set by ``_page`` when needed)."""
    binding = _csrf_binding(request)
    if binding is None:
        request.state.pw_new_csrf = secrets.token_urlsafe(24)
        binding = _csrf_binding(request)
    return URLSafeSerializer(_secret(request), salt="csrf").dumps(binding)


def _csrf_ok(request: Request, sent: str | None) -> bool:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        allowed = {urlsplit(_settings(request).base_url).netloc, request.headers.get("host", "")}
        if urlsplit(origin).netloc not in allowed:
            return False
    binding = _csrf_binding(request)
    if not sent or binding is None or len(sent) > 300:
        return False
    try:
        value = URLSafeSerializer(_secret(request), salt="csrf").loads(sent)
    except BadSignature:
        return False
    return isinstance(value, str) and hmac.compare_digest(value, binding)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or _settings(request).base_url.startswith("https://")


def _set_session(request: Request, response: Response, token: str) -> None:
    value = Signer(_secret(request), salt="session").sign(token).decode()
    response.set_cookie(SESSION_COOKIE, value, max_age=svc.SESSION_DAYS * 86400, httponly=True, samesite="lax",
                        secure=_secure(request), path="/")  # fmt: skip


def _clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limiter(app) -> RateLimiter:
    found = getattr(app.state, "rate_limiter", None)
    if found is None:
        found = app.state.rate_limiter = RateLimiter(storage_url=app.state.settings.redis_url)
    return found


def _too_many(request: Request, wait: int) -> Response:
    headers = {"Retry-After": str(wait)}
    message = f"too many requests: try again in {wait} second{'s' if wait != 1 else ''}"
    if request.url.path.startswith("/api/") or not _wants_html(request):
        return json_response({"detail": message, "error": message}, 429, headers=headers)
    return _page(request, "account_message.html", {"title": "Slow down", "message": message}, status=429,
                 headers=headers)  # fmt: skip


def _error(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/") or not _wants_html(request):
        return error_response(status, message)
    title = {400: "Bad request", 403: "Forbidden", 404: "Not found"}.get(status, "Error")
    return templates.TemplateResponse(request, "error.html", {"status": status, "title": title, "message": message},
                                      status_code=status)  # fmt: skip


def _page(request: Request, name: str, context: dict, status: int = 200, headers: dict | None = None) -> Response:
    context.setdefault("me", current_user(request))
    context["csrf"] = csrf_token(request)
    response = templates.TemplateResponse(request, name, context, status_code=status, headers=headers)
    new = getattr(request.state, "pw_new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


def _local(url: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after a form (no open redirects)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > 500:
        return default
    return url


async def _form(request: Request) -> dict[str, str] | Response:
    """The posted form (text fields) after the CSRF check, or the refusal to send back."""
    try:
        form = await request.form(max_files=1, max_fields=100)
    except Exception:  # noqa: BLE001 - a malformed body is the client's fault
        return _error(request, 400, "the form could not be read")
    if not _csrf_ok(request, form.get(CSRF_FIELD) if isinstance(form.get(CSRF_FIELD), str) else request.headers.get(CSRF_HEADER)):
        log.info("refused a %s to %s without a valid CSRF token", request.method, request.url.path)
        return _error(request, 403, "the form expired or came from another site: reload the page and try again")
    out = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, value)
        else:  # an uploaded file: its text
            data = await value.read(coll_svc.MAX_IMPORT_BYTES + 1)
            out.setdefault(key, data.decode("utf-8", "replace"))
    return out


def _login_redirect(request: Request) -> Response:
    if not _wants_html(request):
        return error_response(401, "log in first")
    target = request.headers.get("hx-current-url") or request.headers.get("referer") or str(request.url.path)
    path = urlsplit(target).path or "/"
    return RedirectResponse("/account/login?next=" + quote(_local(path), safe="/"), status_code=303)


def _back(request: Request, form: dict, default: str = "/") -> Response:
    return RedirectResponse(_local(form.get("next") or urlsplit(request.headers.get("referer", "")).path, default),
                            status_code=303)  # fmt: skip


# -- Jinja globals for the shared templates -----------------------------------------------------------------
def _viewer(request) -> User | None:
    return current_user(request) if request is not None else None


def _card_state(request, papers) -> community.CardState | None:
    if request is None:
        return None
    papers = list(papers or [])
    user = current_user(request)
    return community.card_state(_store(request), user, papers, csrf_token(request) if user else "")


def _paper_extras(request, paper) -> dict:
    """The paper page's vote breakdown and comment thread."""
    store, user = _store(request), current_user(request)
    state = community.card_state(store, user, [paper], csrf_token(request) if user else "")
    found = community.comments(store, paper.id, user)
    return {"st": state, "comments": [(c, community.render_markdown(c.body)) for c in found], "me": user}


templates.env.globals.update(viewer=_viewer, card_state=_card_state, paper_extras=_paper_extras,
                             csrf_for=lambda request: csrf_token(request))  # fmt: skip


# -- sign-up, log-in, log-out ---------------------------------------------------------------------------------
@router.get("/account/signup", response_class=HTMLResponse)
def signup_form(request: Request):
    if current_user(request):
        return RedirectResponse("/account", status_code=303)
    return _page(request, "account_signup.html", {"form": {}})


@router.post("/account/signup", response_class=HTMLResponse)
async def signup(request: Request):
    form = await _form(request)
    if isinstance(form, Response):
        return form
    rl = limiter(request.app)
    wait = rl.blocked("signup", _client(request))  # accounts made (or emails tried) per IP; typos are free
    if wait:
        return _too_many(request, wait)
    store, settings = _store(request), _settings(request)
    try:
        if form.get("password") != form.get("password2", form.get("password")):
            raise AccountError("the two passwords differ", "password2")
        user = await _run(svc.sign_up, store, form.get("email", ""), form.get("password", ""), form.get("display_name"))
        rl.check("signup", _client(request))
    except AccountError as err:
        if "exists" in err.message:
            rl.check("signup", _client(request))
        return _page(request, "account_signup.html", {"form": _safe_form(form), "error": err.message,
                                                      "field": err.field}, status=400)  # fmt: skip
    sent = await _run(_send_verification, store, settings, user)
    response = RedirectResponse("/account?welcome=1" + ("" if sent else "&mail=failed"), status_code=303)
    _set_session(request, response, svc.start_session(store, user))
    return response


async def _run(fn, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _send_verification(store, settings, user) -> bool:
    try:
        svc.send_verification(store, settings, user)
        return True
    except MailError:
        return False


def _safe_form(form: dict) -> dict:
    """A form to show again: never the passwords."""
    return {k: v for k, v in form.items() if "password" not in k and k != CSRF_FIELD}


@router.get("/account/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None):
    if current_user(request):
        return RedirectResponse(_local(next, "/"), status_code=303)
    return _page(request, "account_login.html", {"form": {}, "next": _local(next, "")})


@router.post("/account/login", response_class=HTMLResponse)
async def login(request: Request):
    form = await _form(request)
    if isinstance(form, Response):
        return form
    rl = limiter(request.app)
    email = (form.get("email") or "").strip().lower()[:320]
    wait = rl.check("login", _client(request)) or rl.blocked("login_failed", email)
    if wait:
        return _too_many(request, wait)
    store = _store(request)
    user = await _run(svc.authenticate, store, email, form.get("password", ""))
    if user is None:
        rl.check("login_failed", email)
        log.info("failed log-in from %s", _client(request))
        return _page(request, "account_login.html", {"form": _safe_form(form), "next": _local(form.get("next"), ""),
                                                     "error": "wrong email or password"}, status=400)  # fmt: skip
    svc.end_session(store, _session_token(request))
    response = RedirectResponse(_local(form.get("next"), "/"), status_code=303)
    _set_session(request, response, svc.start_session(store, user))
    return response


@router.post("/account/logout")
async def logout(request: Request):
    form = await _form(request)
    if isinstance(form, Response):
        return form
    svc.end_session(_store(request), _session_token(request))
    response = RedirectResponse("/", status_code=303)
    _clear_session(request, response)
    return response


# -- email verification and password reset --------------------------------------------------------------------
@router.get("/account/verify", response_class=HTMLResponse)
def verify(request: Request, token: str = ""):
    try:
        svc.verify_email(_store(request), _settings(request), token[:1000])
    except AccountError as err:
        return _page(request, "account_message.html", {"title": "Email not confirmed", "message": err.message}, 400)
    return _page(request, "account_message.html", {"title": "Email confirmed",
                                                    "message": "Thank you: your email address is confirmed."})  # fmt: skip


@router.post("/account/verify/resend")
async def resend_verification(request: Request):
    form = await _form(request)
    if isinstance(form, Response):
        return form
    user = current_user(request)
    if user is None:
        return _login_redirect(request)
    wait = limiter(request.app).check("email", "user", str(user.pk))
    if wait:
        return _too_many(request, wait)
    sent = await _run(_send_verification, _store(request), _settings(request), user)
    return RedirectResponse("/account?" + ("sent=1" if sent else "mail=failed"), status_code=303)


@router.get("/account/forgot", response_class=HTMLResponse)
def forgot_form(request: Request):
    return _page(request, "account_forgot.html", {})


@router.post("/account/forgot", response_class=HTMLResponse)
async def forgot(request: Request):
    form = await _form(request)
    if isinstance(form, Response):
        return form
    email = (form.get("email") or "").strip().lower()[:320]
    rl = limiter(request.app)
    wait = rl.check("email", "ip", _client(request)) or rl.check("email", "to", email)
    if wait:
        return _too_many(request, wait)
    try:
        await _run(svc.send_reset, _store(request), _settings(request), email)
    except MailError:
        return _page(request, "account_forgot.html", {"error": "the email could not be sent: try again later"}, 503)
    return _page(request, "account_message.html", {"title": "Check your email", "message":
                 "If an account uses this address, an email with a link to choose a new password is on its way."})


@router.get("/account/reset", response_class=HTMLResponse)
def reset_form(request: Request, token: str = ""):
    return _page(request, "account_reset.html", {"token": token[:1000]})


@router.post("/account/reset", response_class=HTMLResponse)
async def reset(request: Request):
    form = await _form(request)
    if isinstance(form, Response):
        return form
    try:
        if form.get("password") != form.get("password2", form.get("password")):
            raise AccountError("the two passwords differ", "password2")
        await _run(svc.reset_password, _store(request), _settings(request), form.get("token", "")[:1000],
                   form.get("password", ""))  # fmt: skip
    except AccountError as err:
        return _page(request, "account_reset.html", {"token": form.get("token", "")[:1000], "error": err.message}, 400)
    response = _page(request, "account_message.html", {"title": "Password changed", "me": None,
                     "message": "Your password is changed and every session has ended: log in with the new one."})
    _clear_session(request, response)
    return response


# -- the settings page ------------------------------------------------------------------------------------
def _settings_page(request: Request, user: User, status: int = 200, **extra) -> Response:
    store = _store(request)
    context = {
        "me": user,
        "tokens": svc.db.user_tokens(store, user.pk),
        "welcome": request.query_params.get("welcome"),
        "mail_failed": request.query_params.get("mail") == "failed",
        "sent": request.query_params.get("sent"),
        **_digest_context(request, user),
        **extra,
    }
    return _page(request, "account_settings.html", context, status)


def _digest_context(request: Request, user: User) -> dict:
    """The settings page's digest box: the account's subscription and its preferences link."""
    from paperwire.digest.render import links
    from paperwire.services import digest as digest_svc

    subscriber = digest_svc.account_subscription(_store(request), user)
    return {"digest": subscriber, "digest_links": links(_settings(request), subscriber) if subscriber else None,
            "digest_changed": request.query_params.get("digest")}  # fmt: skip


@router.get("/account", response_class=HTMLResponse)
def settings_page(request: Request):
    user = current_user(request)
    if user is None:
        return _login_redirect(request)
    return _settings_page(request, user)


async def signed_in_form(request: Request) -> tuple[User, dict]:
    """A dependency: the logged-in user and the CSRF-checked form. Without them the route does not
    run: the answer is the log-in redirect or the form's error (see :class:`Refused`)."""
    form = await _form(request)
    if isinstance(form, Response):
        raise Refused(form)
    user = current_user(request)
    if user is None:
        raise Refused(_login_redirect(request))
    return user, form


SignedIn = Annotated[tuple[User, dict], Depends(signed_in_form)]


@router.post("/account/profile")
async def profile(request: Request, got: SignedIn):
    user, form = got
    svc.update_profile(_store(request), user, form.get("display_name"))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password", response_class=HTMLResponse)
async def password(request: Request, got: SignedIn):
    user, form = got
    store = _store(request)
    wait = limiter(request.app).blocked("login_failed", user.email)
    if wait:
        return _too_many(request, wait)
    try:
        if form.get("new_password") != form.get("new_password2", form.get("new_password")):
            raise AccountError("the two new passwords differ", "new_password2")
        await _run(svc.change_password, store, user, form.get("current_password", ""), form.get("new_password", ""))
    except AccountError as err:
        if err.field == "current_password":
            limiter(request.app).check("login_failed", user.email)
        return _settings_page(request, user, 400, password_error=err.message)
    response = RedirectResponse("/account?password=changed", status_code=303)
    _set_session(request, response, svc.start_session(store, user))  # every other session has ended
    return response


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(request: Request, got: SignedIn):
    user, form = got
    try:
        new = svc.create_token(_store(request), user, form.get("name", ""))
    except AccountError as err:
        return _settings_page(request, user, 400, token_error=err.message)
    return _settings_page(request, user, new_token=new)


@router.post("/account/tokens/{token_pk}/revoke")
async def revoke_token(request: Request, token_pk: int, got: SignedIn):
    user, _form_data = got
    if not svc.revoke_token(_store(request), user, token_pk):
        return _error(request, 404, "no such token")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/delete", response_class=HTMLResponse)
async def delete_account(request: Request, got: SignedIn):
    user, form = got
    try:
        await _run(svc.delete_account, request.app.state.pw, user, form.get("password", ""))
    except AccountError as err:
        return _settings_page(request, user, 400, delete_error=err.message)
    response = _page(request, "account_message.html", {"title": "Account deleted", "me": None,
                     "message": "Your account and everything it held are deleted."})  # fmt: skip
    _clear_session(request, response)
    return response


# -- votes, ratings (htmx fragments or redirects) ---------------------------------------------------------------
def _fragment(request: Request, macro: str, paper, state) -> Response:
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
        wait = limiter(request.app).check(rule, "user", str(user.pk))
        if wait:
            raise Refused(_too_many(request, wait))
        paper_id = (form.get("paper") or "")[:200]
        paper = papers_svc.get_paper(_store(request), paper_id) if paper_id else None
        if paper is None:
            raise Refused(_error(request, 404, f"no paper with id {paper_id[:100]}"))
        return PaperAction(user, form, paper)

    return dependency


VoteAction = Annotated[PaperAction, Depends(paper_action("vote"))]
WriteAction = Annotated[PaperAction, Depends(paper_action("write"))]
CommentAction = Annotated[PaperAction, Depends(paper_action("comment"))]


@router.post("/vote")
async def vote(request: Request, act: VoteAction):
    await _run(community.vote, _store(request), act.user, act.paper.id, act.form.get("on", "1") == "1")
    if "hx-request" in request.headers:
        return _fragment(request, "vote_button", act.paper, _card_state(request, [act.paper]))
    return _back(request, act.form)


@router.post("/rate")
async def rate(request: Request, act: VoteAction):
    try:
        value = int(act.form.get("value", "0"))
        community.rate(_store(request), act.user, act.paper.id, value)
    except (ValueError, AccountError):
        return _error(request, 400, "a rating is 1, -1 or 0")
    if "hx-request" in request.headers:
        return _fragment(request, "rating_buttons", act.paper, _card_state(request, [act.paper]))
    return _back(request, act.form)


@router.post("/collect")
async def collect(request: Request, act: WriteAction):
    """Add a paper to one of the user's collections, or remove it (``action=remove``)."""
    store = _store(request)
    try:
        coll = coll_svc.owned(store, act.user, int(act.form.get("collection", "")))
    except ValueError:
        coll = None
    if coll is None:
        return _error(request, 404, "no such collection")
    if act.form.get("action") == "remove":
        coll_svc.remove_paper(store, coll, act.paper.id)
    else:
        coll_svc.add_paper(store, coll, act.paper.id)
    if "hx-request" in request.headers:
        return _fragment(request, "collect_menu", act.paper, _card_state(request, [act.paper]))
    return _back(request, act.form)


# -- collections --------------------------------------------------------------------------------------------
@router.get("/collections", response_class=HTMLResponse)
def my_collections(request: Request):
    user = current_user(request)
    if user is None:
        return _login_redirect(request)
    return _page(request, "collections.html", {"collections": svc.db.user_collections(_store(request), user.pk)})


@router.post("/collections", response_class=HTMLResponse)
async def new_collection(request: Request, got: SignedIn):
    user, form = got
    wait = limiter(request.app).check("write", "user", str(user.pk))
    if wait:
        return _too_many(request, wait)
    store = _store(request)
    try:
        coll = coll_svc.create(store, user, form.get("name", ""), form.get("description"), form.get("public") == "1")
    except AccountError as err:
        return _page(request, "collections.html", {"collections": svc.db.user_collections(store, user.pk),
                                                   "error": err.message}, 400)  # fmt: skip
    paper_id = form.get("paper")
    if paper_id:
        try:
            coll_svc.add_paper(store, coll, paper_id[:200])
        except LookupError:
            pass
        return _back(request, form, f"/collections/{coll.pk}")
    return RedirectResponse(f"/collections/{coll.pk}", status_code=303)


def _collection_ref(ref: str) -> tuple[int | None, str]:
    number, _, fmt = ref.partition(".")
    if not number.isdigit() or len(number) > 12 or fmt not in ("", "bib", "json"):
        return None, ""
    return int(number), fmt


@router.get("/collections/{ref}")
def show_collection(request: Request, ref: str):
    pk, fmt = _collection_ref(ref)
    store, user = _store(request), current_user(request)
    coll = coll_svc.visible(store, user, pk) if pk is not None else None
    if coll is None:
        return _error(request, 404, "no such collection")
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
    return _page(request, "collection.html", {"c": coll, "papers": papers, "owner": owner, "report": report,
                                              "mine": user is not None and user.pk == coll.user_pk})  # fmt: skip


async def owned_collection(request: Request, pk: int) -> tuple:
    """A dependency: the logged-in user, the CSRF-checked form and their collection ``pk`` (else 404)."""
    user, form = await signed_in_form(request)
    coll = coll_svc.owned(_store(request), user, pk)
    if coll is None:
        raise Refused(_error(request, 404, "no such collection"))
    return user, form, coll


OwnedCollection = Annotated[tuple, Depends(owned_collection)]


@router.post("/collections/{pk}/edit")
async def edit_collection(request: Request, pk: int, got: OwnedCollection):
    _user, form, coll = got
    try:
        coll_svc.update(_store(request), coll, form.get("name", ""), form.get("description"), form.get("public") == "1")
    except AccountError as err:
        return _error(request, 400, err.message)
    return RedirectResponse(f"/collections/{coll.pk}", status_code=303)


@router.post("/collections/{pk}/delete")
async def delete_collection(request: Request, pk: int, got: OwnedCollection):
    coll_svc.delete(_store(request), got[2])
    return RedirectResponse("/collections", status_code=303)


@router.post("/collections/{pk}/import", response_class=HTMLResponse)
async def import_collection(request: Request, pk: int, got: OwnedCollection):
    _user, form, coll = got
    text = form.get("file") or form.get("ids") or ""
    try:
        request.state.pw_import = coll_svc.import_refs(_store(request), coll, text)
    except AccountError as err:
        return _error(request, 400, err.message)
    return show_collection(request, str(coll.pk))


# -- follows and the following feed ---------------------------------------------------------------------------
@router.get("/following", response_class=HTMLResponse)
def following(request: Request, page: int = 1):
    user = current_user(request)
    if user is None:
        return _login_redirect(request)
    page = max(1, min(page, 1000)) - 1
    papers, has_next = community.following_feed(request.app.state.pw, user, page=page, limit=30)
    return _page(request, "following.html", {
        "follows": community.follows(_store(request), user), "papers": papers, "kinds": community.FOLLOW_KINDS,
        "next_url": f"/following?page={page + 2}" if has_next else None, "show_dates": True,
    })  # fmt: skip


@router.post("/follow")
async def follow(request: Request, got: SignedIn):
    user, form = got
    wait = limiter(request.app).check("write", "user", str(user.pk))
    if wait:
        return _too_many(request, wait)
    try:
        community.follow(_store(request), user, form.get("kind", ""), form.get("target", ""), form.get("on", "1") == "1")
    except AccountError as err:
        return _error(request, 400, err.message)
    return _back(request, form, "/following")


# -- comments -----------------------------------------------------------------------------------------------
@router.post("/comments")
async def add_comment(request: Request, act: CommentAction):
    if not act.user.verified:
        return _error(request, 403, "confirm your email address before commenting")
    try:
        community.add_comment(_store(request), act.user, act.paper.id, act.form.get("body", ""))
    except AccountError as err:
        return _error(request, 400, err.message)
    return _back(request, act.form)


@router.post("/comments/{pk}/{action}")
async def change_comment(request: Request, pk: int, action: str, got: SignedIn):
    user, form = got
    store = _store(request)
    try:
        if action == "edit":
            community.edit_comment(store, user, pk, form.get("body", ""))
        elif action == "delete":
            community.delete_comment(store, user, pk)
        elif action in ("hide", "show"):
            community.hide_comment(store, user, pk, action == "hide")
        else:
            return _error(request, 404, "no such action")
    except community.NotFound:
        return _error(request, 404, "no such comment")
    except AccountError as err:
        return _error(request, 400, err.message)
    return _back(request, form)


# -- submitting a paper ---------------------------------------------------------------------------------------
@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request):
    if current_user(request) is None:
        return _login_redirect(request)
    return _page(request, "submit.html", {"form": {}})


@router.post("/submit", response_class=HTMLResponse)
async def submit_paper(request: Request, got: SignedIn):
    user, form = got
    wait = limiter(request.app).check("write", "user", str(user.pk))
    if wait:
        return _too_many(request, wait)
    try:
        paper = await _run(submit_svc.submit, request.app.state.pw, user, form.get("paper", ""))
    except submit_svc.AlreadySubmitted as dup:
        return _page(request, "submit.html", {"form": _safe_form(form), "existing": dup.paper}, status=409)
    except AccountError as err:
        return _page(request, "submit.html", {"form": _safe_form(form), "error": err.message}, status=400)
    return RedirectResponse(f"/papers/{quote(paper.id, safe='/')}", status_code=303)


# -- the JSON API for token holders --------------------------------------------------------------------------
def api_user(request: Request) -> User | Response:
    """The user of ``Authorization: Bearer <token>``, or the 401/429 to answer."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return json_response({"detail": "send Authorization: Bearer <API token>", "error": "unauthorized"}, 401,
                             headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    secret = secret.strip()
    wait = limiter(request.app).check("api", "token", svc.digest(secret)[:16])
    if wait:
        return _too_many(request, wait)
    user = svc.token_user(_store(request), secret)
    if user is None:
        return json_response({"detail": "invalid or revoked API token", "error": "unauthorized"}, 401,
                             headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})  # fmt: skip
    return user


def _me(user: User) -> dict:
    return {"id": user.pk, "email": user.email, "name": user.name, "emailVerified": user.verified,
            "isAdmin": user.is_admin, "createdAt": user.created_at.isoformat()}  # fmt: skip


async def _json_body(request: Request) -> dict | Response:
    try:
        body = await request.json()
    except Exception:  # noqa: BLE001
        return error_response(400, "the body must be a JSON object")
    return body if isinstance(body, dict) else error_response(400, "the body must be a JSON object")


def _coll_json(c) -> dict:
    return {"id": c.pk, "name": c.name, "description": c.description, "public": c.is_public, "size": c.size,
            "createdAt": c.created_at.isoformat()}  # fmt: skip


@api_router.get("")
def api_me(request: Request):
    user = api_user(request)
    return user if isinstance(user, Response) else json_response(_me(user))


@api_router.get("/votes")
def api_votes(request: Request):
    user = api_user(request)
    return user if isinstance(user, Response) else json_response({"papers": svc.db.user_votes(_store(request), user.pk)})


@api_router.put("/votes/{paper_id:path}")
@api_router.delete("/votes/{paper_id:path}")
def api_vote(request: Request, paper_id: str):
    user = api_user(request)
    if isinstance(user, Response):
        return user
    wait = limiter(request.app).check("vote", "user", str(user.pk))
    if wait:
        return _too_many(request, wait)
    try:
        state = community.vote(_store(request), user, paper_id, request.method == "PUT")
    except community.NotFound as err:
        return error_response(404, str(err))
    return json_response({"paper": state.paper_id, "voted": state.voted, "upvotes": state.total,
                          "importedUpvotes": state.imported, "userUpvotes": state.user_votes})  # fmt: skip


@api_router.get("/ratings")
def api_ratings(request: Request):
    user = api_user(request)
    return user if isinstance(user, Response) else json_response({"ratings": community.my_ratings(_store(request), user)})


@api_router.put("/ratings/{paper_id:path}")
async def api_rate(request: Request, paper_id: str):
    user = api_user(request)
    if isinstance(user, Response):
        return user
    body = await _json_body(request)
    if isinstance(body, Response):
        return body
    value = body.get("value")
    if not isinstance(value, int) or isinstance(value, bool):
        return error_response(400, "value must be 1, -1 or 0")
    try:
        community.rate(_store(request), user, paper_id, value)
    except community.NotFound as err:
        return error_response(404, str(err))
    except AccountError as err:
        return error_response(400, err.message)
    return json_response({"paper": paper_id, "value": value})


@api_router.get("/collections")
def api_collections(request: Request):
    user = api_user(request)
    if isinstance(user, Response):
        return user
    return json_response({"collections": [_coll_json(c) for c in svc.db.user_collections(_store(request), user.pk)]})


@api_router.post("/collections")
async def api_new_collection(request: Request):
    user = api_user(request)
    if isinstance(user, Response):
        return user
    body = await _json_body(request)
    if isinstance(body, Response):
        return body
    try:
        coll = coll_svc.create(_store(request), user, str(body.get("name") or ""), body.get("description")
                               if isinstance(body.get("description"), str) else None, body.get("public") is True)  # fmt: skip
    except AccountError as err:
        return error_response(400, err.message)
    return json_response(_coll_json(coll), 201)


@api_router.get("/collections/{pk}")
def api_collection(request: Request, pk: str):
    user = api_user(request)
    if isinstance(user, Response):
        return user
    coll = coll_svc.owned(_store(request), user, int(pk)) if pk.isdigit() and len(pk) < 12 else None
    if coll is None:
        return error_response(404, "no such collection")
    return json_response({**_coll_json(coll), **coll_svc.export_json(_store(request), coll)})


@api_router.put("/collections/{pk}/papers/{paper_id:path}")
@api_router.delete("/collections/{pk}/papers/{paper_id:path}")
def api_collection_item(request: Request, pk: str, paper_id: str):
    user = api_user(request)
    if isinstance(user, Response):
        return user
    store = _store(request)
    coll = coll_svc.owned(store, user, int(pk)) if pk.isdigit() and len(pk) < 12 else None
    if coll is None:
        return error_response(404, "no such collection")
    try:
        (coll_svc.add_paper if request.method == "PUT" else coll_svc.remove_paper)(store, coll, paper_id[:200])
    except LookupError:
        return error_response(404, f"no paper with id {paper_id[:100]}")
    return json_response({"collection": coll.pk, "paper": paper_id, "in": request.method == "PUT"})


@api_router.get("/follows")
def api_follows(request: Request):
    user = api_user(request)
    return user if isinstance(user, Response) else json_response({"follows": community.follows(_store(request), user)})


@api_router.put("/follows")
@api_router.delete("/follows")
async def api_follow(request: Request):
    user = api_user(request)
    if isinstance(user, Response):
        return user
    body = await _json_body(request)
    if isinstance(body, Response):
        return body
    try:
        target = community.follow(_store(request), user, str(body.get("kind") or ""), str(body.get("target") or ""),
                                  request.method == "PUT")  # fmt: skip
    except AccountError as err:
        return error_response(400, err.message)
    return json_response({"kind": body.get("kind"), "target": target, "following": request.method == "PUT"})


router.include_router(api_router)
for _route in router.routes:
    if not getattr(_route, "path", "").startswith("/api/"):
        _route.include_in_schema = False

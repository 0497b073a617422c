"""The HTTP kit of the signed-in site: sessions, CSRF, rendering a page, the FastAPI dependencies
that give a route its user and its checked form, and the app's one handler for
:class:`~paperwire.api.errors.Refusal` (:func:`answer_refusal`, registered by ``create_app``).

Security, in one place:
- **Sessions**: the ``pw_session`` cookie holds an itsdangerous-signed random token whose SHA-256 is a
  row of ``user_sessions``; HttpOnly, SameSite=Lax, Secure when the site is served over https. Log-out
  deletes the row; a password change deletes every row of the user.
- **CSRF**: every POST form carries ``csrf`` (or htmx/JS sends ``X-CSRF-Token``): an itsdangerous
  signature of the session's token digest, or, before log-in, of the random ``pw_csrf`` cookie. A
  post without a valid token is refused with 403, as is one whose ``Origin`` is another site.
  (starlette-csrf was considered: it checks a header only, so plain HTML forms without JavaScript
  could not post; this signed double-submit token works with and without JavaScript.)
- **Rate limits** (``api.deps.throttle``, ``services.ratelimit``): 429 with ``Retry-After``.
- **API tokens**: ``api.deps.ApiUser`` (``Authorization: Bearer pw_...``).
- Templates autoescape everything; comments are Markdown rendered then cleaned by nh3.

Dependencies raise instead of returning an error: :data:`Viewer` (a logged-in user, else
:class:`~paperwire.api.errors.NotSignedIn`), :data:`Form` (the CSRF-checked form, else 400/403)
and :data:`SignedIn` (both). :func:`answer_refusal` answers a refusal with a page when
:func:`~paperwire.api.errors.wants_html` (the log-in redirect, the "Slow down" page or
``error.html``), else with the one JSON error body.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, Signer, URLSafeSerializer
from starlette.concurrency import run_in_threadpool

from paperwire.api.deps import store_of
from paperwire.api.errors import NotSignedIn, Refusal, TooMany, wants_html
from paperwire.api.inputs import MAX_TEXT, takes_file, text_problem
from paperwire.services import accounts as svc
from paperwire.services.collections import MAX_IMPORT_BYTES
from paperwire.store.accounts import User
from paperwire.web.pages import templates

log = logging.getLogger(__name__)

SESSION_COOKIE = "pw_session"
CSRF_COOKIE = "pw_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
ERROR_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
                413: "Too large", 415: "Unsupported form"}
_NO_USER = object()


# -- request state -------------------------------------------------------------------------------------------
def settings_of(request: Request):
    return request.app.state.settings


def _secret(request: Request) -> str:
    return settings_of(request).secret_key.get_secret_value()


def session_token(request: Request) -> str | None:
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
        found = svc.session_user(store_of(request), session_token(request))
        request.state.pw_user = found
    return found


# -- CSRF ----------------------------------------------------------------------------------------------------
def _csrf_binding(request: Request) -> str | None:
    token = session_token(request) if current_user(request) else None
    if token:
        return "s:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    anon = getattr(request.state, "pw_new_csrf", None) or request.cookies.get(CSRF_COOKIE)
    return "a:" + anon if anon and len(anon) <= 100 else None


def csrf_token(request: Request) -> str:
    """The token forms of this request carry (a new ``pw_csrf`` cookie is set by :func:`page` when needed)."""
    binding = _csrf_binding(request)
    if binding is None:
        request.state.pw_new_csrf = secrets.token_urlsafe(24)
        binding = _csrf_binding(request)
    return URLSafeSerializer(_secret(request), salt="csrf").dumps(binding)


def _csrf_ok(request: Request, sent: str | None) -> bool:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        allowed = {urlsplit(settings_of(request).base_url).netloc, request.headers.get("host", "")}
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


# -- the session cookie --------------------------------------------------------------------------------------
def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or settings_of(request).base_url.startswith("https://")


def set_session(request: Request, response: Response, token: str) -> None:
    value = Signer(_secret(request), salt="session").sign(token).decode()
    response.set_cookie(SESSION_COOKIE, value, max_age=svc.SESSION_DAYS * 86400, httponly=True, samesite="lax",
                        secure=_secure(request), path="/")  # fmt: skip


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))


# -- answers -------------------------------------------------------------------------------------------------
def page(request: Request, name: str, context: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A page of the signed-in site: ``me`` and ``csrf`` in its context, never cached."""
    context.setdefault("me", current_user(request))
    context["csrf"] = csrf_token(request)
    response = templates.TemplateResponse(request, name, context, status_code=status, headers=headers)
    new = getattr(request.state, "pw_new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


def local(url: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after a form (no open redirects)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > 500:
        return default
    return url


def back(request: Request, form: dict, default: str = "/") -> Response:
    """Back to the form's ``next``, else the page the form was on, else ``default``."""
    return RedirectResponse(local(form.get("next") or urlsplit(request.headers.get("referer", "")).path, default),
                            status_code=303)  # fmt: skip


def safe_form(form: dict) -> dict:
    """A form to show again: never the passwords."""
    return {k: v for k, v in form.items() if "password" not in k and k != CSRF_FIELD}


async def run(fn, *args):
    """Blocking work (password hashing, mail, network) off the event loop."""
    return await run_in_threadpool(fn, *args)


_ACTION_REASONS = (("/vote", "vote"), ("/rate", "rate"), ("/collect", "save"), ("/collections", "save"),
                   ("/follow", "follow"), ("/comments", "comment"), ("/submit", "submit"))  # fmt: skip


def came_from(request: Request) -> str | None:
    """The same-site page (path and query) the person was on: htmx's current URL, else the Referer,
    when it names this host; None otherwise."""
    for target in (request.headers.get("hx-current-url"), request.headers.get("referer")):
        if not target:
            continue
        parts = urlsplit(target)
        if parts.netloc and parts.netloc != request.headers.get("host", ""):
            continue
        path = local(parts.path + ("?" + parts.query if parts.query else ""), "")
        if path and not path.startswith("/account/"):
            return path
    return None


def login_url(request: Request) -> str:
    """The log-in page for a signed-out person whose request needs an account: a one-line reason, and
    ``next=`` the page to come back to (where the action was, or the page asked for)."""
    path = request.url.path
    reason = next((r for prefix, r in _ACTION_REASONS if path == prefix or path.startswith(prefix + "/")), None)
    if request.method in ("GET", "HEAD"):
        target = local(path + ("?" + request.url.query if request.url.query else ""), "/")
    else:
        target = came_from(request) or "/"
    return "/account/login?" + urlencode({"next": target, "reason": reason or "account"})


def _login_redirect(request: Request) -> Response:
    url = login_url(request)
    if "hx-request" in request.headers:  # htmx follows this header with a full page load
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def answer_refusal(request: Request, exc: Refusal) -> Response:
    """The app's handler of :class:`Refusal`: a page when :func:`wants_html`, else the JSON error body."""
    if not wants_html(request):
        return exc.json()
    if isinstance(exc, NotSignedIn):
        return _login_redirect(request)
    if isinstance(exc, TooMany):
        return page(request, "account_message.html", {"title": "Slow down", "message": exc.message},
                    status=exc.status_code, headers=exc.headers)  # fmt: skip
    context = {"status": exc.status_code, "title": ERROR_TITLES.get(exc.status_code, "Error"), "message": exc.message}
    return templates.TemplateResponse(request, "error.html", context, status_code=exc.status_code)


# -- dependencies --------------------------------------------------------------------------------------------
def signed_in(request: Request) -> User:
    """A dependency: the logged-in user, else :class:`NotSignedIn` (the log-in page, or a 401)."""
    user = current_user(request)
    if user is None:
        raise NotSignedIn()
    return user


async def posted_form(request: Request) -> dict[str, str]:
    """A dependency: the posted form's text fields (an uploaded file: its text) after the CSRF check."""
    try:
        form = await request.form(max_files=1, max_fields=100, max_part_size=MAX_IMPORT_BYTES + 1)
    except Exception:  # noqa: BLE001 - a malformed body is the client's fault
        raise Refusal(400, "the form could not be read") from None
    sent = form.get(CSRF_FIELD)
    if not _csrf_ok(request, sent if isinstance(sent, str) else request.headers.get(CSRF_HEADER)):
        log.info("refused a %s to %s without a valid CSRF token", request.method, request.url.path)
        raise Refusal(403, "the form expired or came from another site: reload the page and try again")
    out = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):  # an uploaded file (web.guard lets one reach the file routes only): its text
            value = (await value.read(MAX_IMPORT_BYTES + 1)).decode("utf-8", "replace")
        problem = text_problem(value, MAX_IMPORT_BYTES + 1 if takes_file(request.url.path) else MAX_TEXT)
        if problem:  # web.guard checked urlencoded forms already; this is for the parts of a multipart one
            raise Refusal(400, f"field {key[:40]} {problem}")
        out.setdefault(key, value)
    return out


async def signed_in_form(request: Request) -> tuple[User, dict[str, str]]:
    """A dependency: the CSRF-checked form (checked first), then the logged-in user."""
    form = await posted_form(request)
    return signed_in(request), form


Viewer = Annotated[User, Depends(signed_in)]
Form = Annotated[dict[str, str], Depends(posted_form)]
SignedIn = Annotated[tuple[User, dict[str, str]], Depends(signed_in_form)]

"""Account pages: sign-up, log-in/out, email verification, password reset and the settings page
(profile, password, API tokens, deletion). Sessions, CSRF and the dependencies these routes use
are in ``web.http``; the token holders' JSON API is ``api.me``.
"""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.api.deps import client, limiter, throttle
from paperwire.api.errors import Refusal, TooMany
from paperwire.services import accounts as svc
from paperwire.services.accounts import AccountError
from paperwire.services.mail import MailError
from paperwire.store.accounts import User
from paperwire.web.http import (Form, SignedIn, Viewer, clear_session, current_user, local, page, run, safe_form,
                                session_token, set_session, settings_of, store_of)  # fmt: skip

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


# -- sign-up, log-in, log-out ---------------------------------------------------------------------------------
@router.get("/account/signup", response_class=HTMLResponse)
def signup_form(request: Request):
    if current_user(request):
        return RedirectResponse("/account", status_code=303)
    return page(request, "account_signup.html", {"form": {}})


@router.post("/account/signup", response_class=HTMLResponse)
async def signup(request: Request, form: Form):
    rl = limiter(request.app)
    wait = rl.blocked("signup", client(request))  # accounts made (or emails tried) per IP; typos are free
    if wait:
        raise TooMany(wait)
    store, settings = store_of(request), settings_of(request)
    try:
        if form.get("password") != form.get("password2", form.get("password")):
            raise AccountError("the two passwords differ", "password2")
        user = await run(svc.sign_up, store, form.get("email", ""), form.get("password", ""), form.get("display_name"))
        rl.check("signup", client(request))
    except AccountError as err:
        if "exists" in err.message:
            rl.check("signup", client(request))
        return page(request, "account_signup.html", {"form": safe_form(form), "error": err.message,
                                                     "field": err.field}, status=400)  # fmt: skip
    sent = await run(_send_verification, store, settings, user)
    start = "/for-you/start?welcome=1" + ("" if sent else "&mail=failed")  # a new reader starts with their interests
    response = RedirectResponse(local(form.get("next"), start), status_code=303)
    set_session(request, response, svc.start_session(store, user))
    return response


def _send_verification(store, settings, user) -> bool:
    try:
        svc.send_verification(store, settings, user)
        return True
    except MailError:
        return False


@router.get("/account/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None):
    if current_user(request):
        return RedirectResponse(local(next, "/"), status_code=303)
    return page(request, "account_login.html", {"form": {}, "next": local(next, "")})


@router.post("/account/login", response_class=HTMLResponse)
async def login(request: Request, form: Form):
    rl = limiter(request.app)
    email = (form.get("email") or "").strip().lower()[:320]
    wait = rl.check("login", client(request)) or rl.blocked("login_failed", email)
    if wait:
        raise TooMany(wait)
    store = store_of(request)
    user = await run(svc.authenticate, store, email, form.get("password", ""))
    if user is None:
        rl.check("login_failed", email)
        log.info("failed log-in from %s", client(request))
        return page(request, "account_login.html", {"form": safe_form(form), "next": local(form.get("next"), ""),
                                                    "error": "wrong email or password"}, status=400)  # fmt: skip
    svc.end_session(store, session_token(request))
    response = RedirectResponse(local(form.get("next"), "/"), status_code=303)
    set_session(request, response, svc.start_session(store, user))
    return response


@router.post("/account/logout")
async def logout(request: Request, form: Form):
    svc.end_session(store_of(request), session_token(request))
    response = RedirectResponse("/", status_code=303)
    clear_session(request, response)
    return response


# -- email verification and password reset --------------------------------------------------------------------
@router.get("/account/verify", response_class=HTMLResponse)
def verify(request: Request, token: str = ""):
    try:
        svc.verify_email(store_of(request), settings_of(request), token[:1000])
    except AccountError as err:
        return page(request, "account_message.html", {"title": "Email not confirmed", "message": err.message}, 400)
    return page(request, "account_message.html", {"title": "Email confirmed",
                                                   "message": "Thank you: your email address is confirmed."})  # fmt: skip


@router.post("/account/verify/resend")
async def resend_verification(request: Request, got: SignedIn):
    user, _form = got
    throttle(request, "email", "user", str(user.pk))
    sent = await run(_send_verification, store_of(request), settings_of(request), user)
    return RedirectResponse("/account?" + ("sent=1" if sent else "mail=failed"), status_code=303)


@router.get("/account/forgot", response_class=HTMLResponse)
def forgot_form(request: Request):
    return page(request, "account_forgot.html", {})


@router.post("/account/forgot", response_class=HTMLResponse)
async def forgot(request: Request, form: Form):
    email = (form.get("email") or "").strip().lower()[:320]
    rl = limiter(request.app)
    wait = rl.check("email", "ip", client(request)) or rl.check("email", "to", email)
    if wait:
        raise TooMany(wait)
    try:
        await run(svc.send_reset, store_of(request), settings_of(request), email)
    except MailError:
        return page(request, "account_forgot.html", {"error": "the email could not be sent: try again later"}, 503)
    return page(request, "account_message.html", {"title": "Check your email", "message":
                "If an account uses this address, an email with a link to choose a new password is on its way."})


@router.get("/account/reset", response_class=HTMLResponse)
def reset_form(request: Request, token: str = ""):
    return page(request, "account_reset.html", {"token": token[:1000]})


@router.post("/account/reset", response_class=HTMLResponse)
async def reset(request: Request, form: Form):
    try:
        if form.get("password") != form.get("password2", form.get("password")):
            raise AccountError("the two passwords differ", "password2")
        await run(svc.reset_password, store_of(request), settings_of(request), form.get("token", "")[:1000],
                  form.get("password", ""))  # fmt: skip
    except AccountError as err:
        return page(request, "account_reset.html", {"token": form.get("token", "")[:1000], "error": err.message}, 400)
    response = page(request, "account_message.html", {"title": "Password changed", "me": None,
                    "message": "Your password is changed and every session has ended: log in with the new one."})
    clear_session(request, response)
    return response


# -- the settings page ------------------------------------------------------------------------------------
def settings_page(request: Request, user: User, status: int = 200, **extra) -> Response:
    """The settings page of ``user`` (``extra``: a form's error or the new token to show once)."""
    store = store_of(request)
    context = {
        "me": user,
        "tokens": svc.db.user_tokens(store, user.pk),
        "welcome": request.query_params.get("welcome"),
        "mail_failed": request.query_params.get("mail") == "failed",
        "sent": request.query_params.get("sent"),
        **_digest_context(request, user),
        **extra,
    }
    return page(request, "account_settings.html", context, status)


def _digest_context(request: Request, user: User) -> dict:
    """The settings page's digest box: the account's subscription and its preferences link."""
    from paperwire.digest.render import links
    from paperwire.services import digest as digest_svc

    subscriber = digest_svc.account_subscription(store_of(request), user)
    return {"digest": subscriber, "digest_links": links(settings_of(request), subscriber) if subscriber else None,
            "digest_changed": request.query_params.get("digest")}  # fmt: skip


@router.get("/account", response_class=HTMLResponse)
def show_settings(request: Request, user: Viewer):
    return settings_page(request, user)


@router.post("/account/profile")
async def profile(request: Request, got: SignedIn):
    user, form = got
    svc.update_profile(store_of(request), user, form.get("display_name"))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password", response_class=HTMLResponse)
async def password(request: Request, got: SignedIn):
    user, form = got
    store = store_of(request)
    wait = limiter(request.app).blocked("login_failed", user.email)
    if wait:
        raise TooMany(wait)
    try:
        if form.get("new_password") != form.get("new_password2", form.get("new_password")):
            raise AccountError("the two new passwords differ", "new_password2")
        await run(svc.change_password, store, user, form.get("current_password", ""), form.get("new_password", ""))
    except AccountError as err:
        if err.field == "current_password":
            limiter(request.app).check("login_failed", user.email)
        return settings_page(request, user, 400, password_error=err.message)
    response = RedirectResponse("/account?password=changed", status_code=303)
    set_session(request, response, svc.start_session(store, user))  # every other session has ended
    return response


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(request: Request, got: SignedIn):
    user, form = got
    try:
        new = svc.create_token(store_of(request), user, form.get("name", ""))
    except AccountError as err:
        return settings_page(request, user, 400, token_error=err.message)
    return settings_page(request, user, new_token=new)


@router.post("/account/tokens/{token_pk}/revoke")
async def revoke_token(request: Request, token_pk: int, got: SignedIn):
    user, _form = got
    if not svc.revoke_token(store_of(request), user, token_pk):
        raise Refusal(404, "no such token")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/delete", response_class=HTMLResponse)
async def delete_account(request: Request, got: SignedIn):
    user, form = got
    try:
        await run(svc.delete_account, request.app.state.pw, user, form.get("password", ""))
    except AccountError as err:
        return settings_page(request, user, 400, delete_error=err.message)
    response = page(request, "account_message.html", {"title": "Account deleted", "me": None,
                    "message": "Your account and everything it held are deleted."})  # fmt: skip
    clear_session(request, response)
    return response

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
from paperwire.api.inputs import Id
from paperwire.services import accounts as svc
from paperwire.services.accounts import AccountError
from paperwire.services.mail import NO_MAIL_NOTE, MailError, mail_configured, send_soon
from paperwire.store.accounts import User
from paperwire.web.http import (Form, SignedIn, Viewer, came_from, clear_session, current_user, local, page, run,
                                safe_form, session_token, set_session, settings_of, store_of)  # fmt: skip

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


# -- sign-up, log-in, log-out ---------------------------------------------------------------------------------
LANDING = "/for-you/start?welcome=1"  # where a new account starts when it came from no page of its own


def _mail_on(request: Request) -> bool:
    return mail_configured(settings_of(request))


def _no_mail_note(request: Request) -> str | None:
    return None if _mail_on(request) else NO_MAIL_NOTE


@router.get("/account/signup", response_class=HTMLResponse)
def signup_form(request: Request, next: str | None = None):
    if current_user(request):
        return RedirectResponse(local(next, "/account"), status_code=303)
    return page(request, "account_signup.html", {"form": {}, "next": local(next, ""),
                                                 "no_mail": _no_mail_note(request)})  # fmt: skip


@router.post("/account/signup", response_class=HTMLResponse)
async def signup(request: Request, form: Form):
    """Without email, the account is usable at once (confirmed, signed in, back to ``next``). With email,
    the answer is the same whether or not the address has an account ("check your inbox"): a new
    account's confirmation link signs it in; the owner of an existing one gets a note instead."""
    rl = limiter(request.app)
    wait = rl.blocked("signup", client(request))  # accounts made (or emails tried) per IP; typos are free
    if wait:
        raise TooMany(wait)
    store = store_of(request)
    next_path = local(form.get("next"), "")
    context = {"form": safe_form(form), "next": next_path, "no_mail": _no_mail_note(request)}
    try:
        if form.get("password") != form.get("password2", form.get("password")):
            raise AccountError("the two passwords differ", "password2")
        if _mail_on(request):
            svc.normalize_email(form.get("email", ""))  # input errors first: they count for nothing
            svc.check_new_password(form.get("password", ""), svc.normalize_email(form.get("email", "")))
            rl.check("signup", client(request))
            await run(lambda: svc.register(request.app.state.pw, form.get("email", ""), form.get("password", ""),
                                           form.get("display_name"), next_path=next_path or None))  # fmt: skip
            return RedirectResponse("/account/signup/sent", status_code=303)
        user = await run(lambda: svc.sign_up(store, form.get("email", ""), form.get("password", ""),
                                             form.get("display_name"), verified=True))  # fmt: skip
        rl.check("signup", client(request))
    except AccountError as err:
        if "exists" in err.message:
            rl.check("signup", client(request))
        return page(request, "account_signup.html", {**context, "error": err.message, "field": err.field}, status=400)
    response = RedirectResponse(next_path or LANDING, status_code=303)
    set_session(request, response, svc.start_session(store, user))
    return response


@router.get("/account/signup/sent", response_class=HTMLResponse)
def signup_sent(request: Request):
    return page(request, "account_message.html", {"title": "Check your inbox", "message":
                "We sent an email to the address you gave. Open its link to confirm the address and start using "
                "your account (if the address already has an account, the email says how to log in)."})  # fmt: skip


def _send_verification(store, settings, user, next_path=None) -> bool:
    try:
        svc.send_verification(store, settings, user, next_path)
        return True
    except MailError:
        return False


@router.get("/account/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, reason: str | None = None):
    if current_user(request):
        return RedirectResponse(local(next, "/"), status_code=303)
    back_to = local(next, "") or (came_from(request) if reason else "") or ""  # a card's link: the page it was on
    return page(request, "account_login.html", {"form": {}, "next": back_to, "reason": REASONS.get(reason or "")})


REASONS = {  # the one line a signed-out person sees when an action sent them to log in
    "vote": "Log in to vote for papers.",
    "rate": "Log in to rate papers for your recommendations.",
    "save": "Log in to save papers to your collections.",
    "follow": "Log in to follow authors, organisations and categories.",
    "comment": "Log in to comment.",
    "submit": "Log in to submit a paper.",
    "account": "Log in to see this page.",
}


@router.post("/account/login", response_class=HTMLResponse)
async def login(request: Request, form: Form):
    """Throttled per client (every attempt, and wrong passwords) and per (client, account) for wrong
    passwords, never per account alone: nobody elsewhere can lock a user out. The per-account count
    is keyed by the current password too, so a password reset clears it."""
    rl = limiter(request.app)
    store = store_of(request)
    who = client(request)
    key = await run(svc.throttle_key, store, (form.get("email") or "")[:400])
    wait = rl.check("login", who) or rl.blocked("login_failed_client", who) or rl.blocked("login_failed", who, key)
    if wait:
        raise TooMany(wait)
    user = await run(svc.authenticate, store, form.get("email", ""), form.get("password", ""))
    if user is None:
        rl.check("login_failed", who, key)
        rl.check("login_failed_client", who)
        log.info("failed log-in from %s", who)
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
    store, settings = store_of(request), settings_of(request)
    token = token[:1000]
    try:
        user, first = svc.verify_email(store, settings, token)
    except AccountError as err:
        return page(request, "account_message.html", {"title": "Email not confirmed", "message": err.message}, 400)
    me = current_user(request)
    if first and (me is None or me.pk == user.pk):  # the link reached the inbox: that is the sign-in
        response = RedirectResponse(local(svc.verification_next(settings, token), LANDING), status_code=303)
        if me is None:
            set_session(request, response, svc.start_session(store, user))
        return response
    return page(request, "account_message.html", {"title": "Email confirmed",
                                                   "message": "Thank you: your email address is confirmed."})  # fmt: skip


@router.post("/account/verify/resend")
async def resend_verification(request: Request, got: SignedIn):
    user, _form = got
    if not _mail_on(request):
        return RedirectResponse("/account?mail=off", status_code=303)
    throttle(request, "email", "user", str(user.pk))
    store, settings = store_of(request), settings_of(request)
    send_soon(request.app.state.pw, lambda: svc.send_verification(store, settings, user))
    return RedirectResponse("/account?sent=1", status_code=303)


@router.get("/account/forgot", response_class=HTMLResponse)
def forgot_form(request: Request):
    return page(request, "account_forgot.html", {"no_mail": _no_mail_note(request)})


@router.post("/account/forgot", response_class=HTMLResponse)
async def forgot(request: Request, form: Form):
    """The same answer, at once, whether or not the address has an account: the look-up and the email
    happen after the request answered. Rate-limited per client and per address."""
    if not _mail_on(request):
        return page(request, "account_forgot.html", {"no_mail": NO_MAIL_NOTE,
                    "error": "This instance cannot email a reset link: ask its operator to run "
                    "`paperwire user set-password EMAIL`."}, 503)  # fmt: skip
    try:
        email = svc.normalize_email(form.get("email", ""))
    except AccountError as err:
        return page(request, "account_forgot.html", {"error": err.message}, 400)
    rl = limiter(request.app)
    wait = rl.check("email", "ip", client(request)) or rl.check("email", "to", email)
    if wait:
        raise TooMany(wait)
    store, settings = store_of(request), settings_of(request)
    send_soon(request.app.state.pw, lambda: svc.send_reset(store, settings, email))
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
        "no_mail": _no_mail_note(request),
        "tokens_revoked": request.query_params.get("tokens") == "revoked",
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
    rl, who = limiter(request.app), client(request)
    key = await run(svc.throttle_key, store, user.email)
    wait = rl.blocked("login_failed", who, key)
    if wait:
        raise TooMany(wait)
    try:
        if form.get("new_password") != form.get("new_password2", form.get("new_password")):
            raise AccountError("the two new passwords differ", "new_password2")
        revoked = await run(lambda: svc.change_password(store, user, form.get("current_password", ""),
                                                        form.get("new_password", ""),
                                                        revoke_tokens=form.get("revoke_tokens") == "1"))  # fmt: skip
    except AccountError as err:
        if err.field == "current_password":
            rl.check("login_failed", who, key)
        return settings_page(request, user, 400, password_error=err.message)
    response = RedirectResponse("/account?password=changed" + ("&tokens=revoked" if revoked else ""), status_code=303)
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
async def revoke_token(request: Request, token_pk: Id, got: SignedIn):
    user, _form = got
    if not svc.revoke_token(store_of(request), user, token_pk):
        raise Refusal(404, "no such token")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens/revoke-all")
async def revoke_all_tokens(request: Request, got: SignedIn):
    user, _form = got
    svc.revoke_all_tokens(store_of(request), user)
    return RedirectResponse("/account?tokens=revoked#tokens-title", status_code=303)


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

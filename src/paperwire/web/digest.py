"""Digest pages: subscribe (double opt-in), confirm, unsubscribe (RFC 8058 one-click POST, plus a page
that offers weekly instead), preferences and a preview of the next digest.

State changes only on POST: a link scanner opening a confirmation or unsubscribe link changes
nothing. The unsubscribe URL accepts a POST with no log-in and no CSRF token, as RFC 8058 requires:
the signed token in the path is the authority. Forms are plain ``application/x-www-form-urlencoded``.
"""
from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from paperwire.api.inputs import parse_day
from paperwire.services import digest as svc
from paperwire.web.pages import templates

router = APIRouter(include_in_schema=False)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
COMMON_ZONES = ("UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
                "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo",
                "Asia/Singapore", "Australia/Sydney")  # fmt: skip
MAX_FORM = 16_384


async def _form(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > MAX_FORM or "multipart/" in request.headers.get("content-type", ""):
        return {}  # RFC 8058 allows a multipart one-click body; we need nothing from it
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def _prefs_from_form(form: dict[str, list[str]]) -> dict:
    one = {k: v[-1] for k, v in form.items()}
    data = {k: one.get(k) for k in ("frequency", "weekday", "send_hour", "timezone", "trending_n", "empty_day")}
    data["categories"] = one.get("categories", "")
    sections = form.get("sections")
    data["sections"] = sections if sections is not None else None
    if "sections_present" in form and sections is None:
        data["sections"] = []
    return data


def _page(request: Request, name: str, status: int = 200, **context) -> Response:
    base = {"weekdays": WEEKDAYS, "zones": COMMON_ZONES, "hours": range(24), "nav": "digest"}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def _message(request: Request, title: str, text: str, status: int = 200, **context) -> Response:
    return _page(request, "digest_message.html", status, title=title, text=text, **context)


def _bad_link(request: Request, err: Exception) -> Response:
    return _message(request, "This link does not work", str(err), 400)


def _store(request: Request):
    return request.app.state.store


def _settings(request: Request):
    return request.app.state.settings


def _no_mail(request: Request) -> str | None:
    from paperwire.services.mail import NO_MAIL_NOTE, mail_configured

    return None if mail_configured(_settings(request)) else NO_MAIL_NOTE


@router.get("/digest", response_class=HTMLResponse)
def subscribe_page(request: Request):
    """The subscribe form; for a signed-in reader pre-filled with their email and, when their account is
    subscribed, their current preferences."""
    from paperwire.web.http import current_user

    user = current_user(request)
    current = svc.account_subscription(_store(request), user) if user else None
    current = current if current is not None and current.status == svc.ACTIVE else None
    return _page(request, "digest_subscribe.html", prefs=current.prefs if current else svc.Preferences(),
                 form={"email": user.email} if user else {}, subscriber=current,
                 no_mail=_no_mail(request))  # fmt: skip


@router.post("/digest", response_class=HTMLResponse)
async def subscribe(request: Request):
    """The same answer, at once, for a new, pending, active or unsubscribed address: the address and
    preferences are checked here, the rest (recording it, the confirmation email) happens after the
    answer. Limited per client and per address, so the form cannot be used to mail-bomb anyone."""
    from paperwire.api.deps import client, limiter
    from paperwire.api.errors import TooMany
    from paperwire.services.mail import send_soon

    form = await _form(request)
    email = (form.get("email") or [""])[-1]
    if _no_mail(request):
        return _message(request, "Email is not set up here", "This paperwire cannot send email yet "
                        "(PAPERWIRE_SMTP_URL is not set), so it cannot confirm subscriptions.", 503)  # fmt: skip
    try:
        address = svc.check_address(email)
        prefs = svc.parse_preferences(_prefs_from_form(form))
    except svc.DigestError as err:
        return _page(request, "digest_subscribe.html", 400, error=str(err), prefs=svc.Preferences(),
                     form={k: v[-1] for k, v in form.items()})  # fmt: skip
    rl = limiter(request.app)
    wait = rl.check("email", "ip", client(request)) or rl.check("email", "to", address)
    if wait:
        raise TooMany(wait)
    store, settings = _store(request), _settings(request)
    send_soon(request.app.state.pw, lambda: svc.subscribe(store, settings, address, prefs))
    return _message(request, "Check your inbox",
                    f"If {address} is not subscribed yet, a confirmation link is on its way to it. "
                    "The digest starts once you open it and press Confirm.")  # fmt: skip


@router.get("/digest/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str):
    return _page(request, "digest_confirm.html", token=token)


@router.post("/digest/confirm/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str):
    try:
        subscriber = svc.confirm(_store(request), _settings(request), token)
    except svc.BadToken as err:
        return _bad_link(request, err)
    from paperwire.digest.render import links

    return _message(request, "You are subscribed",
                    f"The {subscriber.prefs.frequency} digest will come to {subscriber.email} at "
                    f"{subscriber.prefs.send_hour}:00 ({subscriber.prefs.timezone}).",
                    links=links(_settings(request), subscriber))  # fmt: skip


@router.get("/digest/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str):
    try:
        subscriber = svc.subscriber_for_token(_store(request), _settings(request), token)
    except svc.BadToken as err:
        return _bad_link(request, err)
    return _page(request, "digest_unsubscribe.html", token=token, subscriber=subscriber)


@router.post("/digest/unsubscribe/{token}")
async def unsubscribe(request: Request, token: str):
    """RFC 8058 one-click (body ``List-Unsubscribe=One-Click``) and the page's buttons."""
    form = await _form(request)
    action = (form.get("action") or ["unsubscribe"])[-1]
    try:
        if action == "weekly":
            subscriber = svc.switch_to_weekly(_store(request), _settings(request), token)
            return _message(request, "Weekly it is", f"{subscriber.email} now gets one digest a week, on "
                            f"{WEEKDAYS[subscriber.prefs.weekday]}s.")  # fmt: skip
        subscriber = svc.unsubscribe(_store(request), _settings(request), token)
    except svc.BadToken as err:
        return _bad_link(request, err)
    return _message(request, "You are unsubscribed", f"No more digests will be sent to {subscriber.email}.",
                    resubscribe=True)  # fmt: skip


@router.get("/digest/preferences/{token}", response_class=HTMLResponse)
def preferences_page(request: Request, token: str):
    try:
        subscriber = svc.subscriber_for_token(_store(request), _settings(request), token)
    except svc.BadToken as err:
        return _bad_link(request, err)
    return _page(request, "digest_preferences.html", token=token, subscriber=subscriber, prefs=subscriber.prefs)


@router.post("/digest/preferences/{token}", response_class=HTMLResponse)
async def save_preferences(request: Request, token: str):
    form = await _form(request)
    try:
        subscriber = svc.subscriber_for_token(_store(request), _settings(request), token)
        subscriber = svc.update_preferences(_store(request), _settings(request), token, _prefs_from_form(form))
    except svc.BadToken as err:
        return _bad_link(request, err)
    except svc.DigestError as err:
        return _page(request, "digest_preferences.html", 400, token=token, subscriber=subscriber,
                     prefs=subscriber.prefs, error=str(err))  # fmt: skip
    return _page(request, "digest_preferences.html", token=token, subscriber=subscriber, prefs=subscriber.prefs,
                 saved=True)  # fmt: skip


@router.get("/digest/preview", response_class=HTMLResponse)
def preview_page(request: Request, token: str | None = None):
    subscriber = None
    if token:
        try:
            subscriber = svc.subscriber_for_token(_store(request), _settings(request), token)
        except svc.BadToken as err:
            return _bad_link(request, err)
    day = None
    text = request.query_params.get("date")
    if text:
        try:
            day = parse_day(text)  # api.inputs: a date the digest can compute with
        except ValueError as err:
            return _message(request, "Bad date", str(err), 400)
    preview = svc.preview(request.app.state.pw, subscriber=subscriber, digest_date=day)
    return _page(request, "digest_preview.html", preview=preview, token=token, sample=subscriber is None)


@router.post("/account/digest", response_class=HTMLResponse)
async def account_digest(request: Request):
    """One click from the account page: subscribe (a verified email needs no second confirmation) or
    unsubscribe the signed-in user. A plain form with the account CSRF token."""
    from fastapi.responses import RedirectResponse

    from paperwire.web.accounts import settings_page
    from paperwire.web.http import signed_in_form

    user, form = await signed_in_form(request)  # not signed in, or a bad form: raises a Refusal
    if form.get("action") == "unsubscribe":
        svc.unsubscribe_account(_store(request), user)
        return RedirectResponse("/account?digest=unsubscribed#digest-title", status_code=303)
    try:
        svc.subscribe_account(_store(request), user)
    except svc.DigestError as err:
        return settings_page(request, user, 400, digest_error=str(err))
    return RedirectResponse("/account?digest=subscribed#digest-title", status_code=303)

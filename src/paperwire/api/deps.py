"""FastAPI dependencies shared by the JSON API and the web pages: the app's rate limiter
(:func:`throttle` raises :class:`~paperwire.api.errors.TooMany`), the user of an API token
(:data:`ApiUser`, ``Authorization: Bearer pw_...``, declared once here) and a JSON object body
(:data:`JsonBody`). They raise a :class:`~paperwire.api.errors.Refusal` instead of returning an
error, so a route runs only with what it asked for.
"""
from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request

from paperwire.api.errors import Refusal, TooMany
from paperwire.services import accounts as svc
from paperwire.services.ratelimit import RateLimiter
from paperwire.store.accounts import User


def store_of(request: Request):
    return request.app.state.store


def client(request: Request) -> str:
    """The client's address (the proxy's X-Forwarded-For when ``trusted_proxies`` names it)."""
    return request.client.host if request.client else "unknown"


def limiter(app) -> RateLimiter:
    """The app's rate limiter (``services.ratelimit``), made on first use."""
    found = getattr(app.state, "rate_limiter", None)
    if found is None:
        found = app.state.rate_limiter = RateLimiter(storage_url=app.state.settings.redis_url)
    return found


def throttle(request: Request, rule: str, *key: str) -> None:
    """Count a hit of ``rule`` for ``key``; raise :class:`TooMany` (429) once the limit is reached."""
    wait = limiter(request.app).check(rule, *key)
    if wait:
        raise TooMany(wait)


async def off_loop(fn, *args, **kwargs):
    """CPU work (model fitting, scoring) off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def api_user(request: Request) -> User:
    """The user of ``Authorization: Bearer <token>``; else a 401 (or a 429 for a token used too often)."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Refusal(401, "send Authorization: Bearer <API token>", error="unauthorized",
                      headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    secret = secret.strip()
    throttle(request, "api", "token", svc.digest(secret)[:16])
    user = svc.token_user(store_of(request), secret)
    if user is None:
        raise Refusal(401, "invalid or revoked API token", error="unauthorized",
                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})  # fmt: skip
    return user


async def json_body(request: Request) -> dict:
    """The request's JSON object body; else a 400."""
    try:
        body = await request.json()
    except Exception:  # noqa: BLE001 - a malformed body is the client's fault
        body = None
    if not isinstance(body, dict):
        raise Refusal(400, "the body must be a JSON object")
    return body


ApiUser = Annotated[User, Depends(api_user)]
JsonBody = Annotated[dict, Depends(json_body)]

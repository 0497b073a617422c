"""Signed tokens for digest links (itsdangerous, keyed by PAPERWIRE_SECRET_KEY).

- confirm: the address being confirmed, the preferences asked for with it and when the link was made,
  valid for 7 days. Confirming applies those preferences (only the mailbox's owner can), and a link
  made before the address last unsubscribed no longer subscribes it.
- manage: (subscriber pk, address), no expiry; used by the unsubscribe links (List-Unsubscribe and
  the page) and the preferences page. It stops working when the address is removed, or re-added
  under a new pk.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

CONFIRM_MAX_AGE = 7 * 24 * 3600


class BadToken(ValueError):
    """The link is broken, forged or expired."""


def _secret(settings) -> str:
    key = settings.secret_key
    return key.get_secret_value() if hasattr(key, "get_secret_value") else str(key)


@dataclass(frozen=True)
class ConfirmRequest:
    email: str
    prefs: dict | None  # the preferences asked for with the subscription (None: a link without any)
    issued: datetime  # naive UTC


def confirm_token(settings, email: str, prefs: dict | None = None, issued: datetime | None = None) -> str:
    issued = issued or datetime.now(timezone.utc).replace(tzinfo=None)
    data = {"e": email, "t": issued.isoformat()}
    if prefs is not None:
        data["p"] = prefs
    return URLSafeTimedSerializer(_secret(settings), salt="paperwire.digest.confirm").dumps(data)


def read_confirm_token(settings, token: str, max_age: int = CONFIRM_MAX_AGE) -> ConfirmRequest:
    try:
        data, signed = URLSafeTimedSerializer(_secret(settings), salt="paperwire.digest.confirm").loads(
            token, max_age=max_age, return_timestamp=True)  # fmt: skip
    except SignatureExpired:
        raise BadToken("this confirmation link has expired; subscribe again to get a new one") from None
    except BadSignature:
        raise BadToken("this confirmation link is not valid") from None
    issued = signed.astimezone(timezone.utc).replace(tzinfo=None)
    if isinstance(data, str):  # a link from before preferences travelled with it
        return ConfirmRequest(data, None, issued)
    try:
        prefs = data.get("p")
        return ConfirmRequest(str(data["e"]), prefs if isinstance(prefs, dict) else None,
                              datetime.fromisoformat(data["t"]))  # fmt: skip
    except (AttributeError, KeyError, TypeError, ValueError):
        raise BadToken("this confirmation link is not valid") from None


def manage_token(settings, subscriber_pk: int, email: str) -> str:
    return URLSafeSerializer(_secret(settings), salt="paperwire.digest.manage").dumps([subscriber_pk, email])


def read_manage_token(settings, token: str) -> tuple[int, str]:
    try:
        pk, email = URLSafeSerializer(_secret(settings), salt="paperwire.digest.manage").loads(token)
        return int(pk), str(email)
    except (BadSignature, ValueError, TypeError):
        raise BadToken("this link is not valid") from None

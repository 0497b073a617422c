"""Signed tokens for digest links (itsdangerous, keyed by PAPERWIRE_SECRET_KEY).

- confirm: the address being confirmed, valid for 7 days.
- manage: (subscriber pk, address), no expiry; used by the unsubscribe links (List-Unsubscribe and
  the page) and the preferences page. It stops working when the address is removed, or re-added
  under a new pk.
"""
from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

CONFIRM_MAX_AGE = 7 * 24 * 3600


class BadToken(ValueError):
    """The link is broken, forged or expired."""


def _secret(settings) -> str:
    key = settings.secret_key
    return key.get_secret_value() if hasattr(key, "get_secret_value") else str(key)


def confirm_token(settings, email: str) -> str:
    return URLSafeTimedSerializer(_secret(settings), salt="paperwire.digest.confirm").dumps(email)


def read_confirm_token(settings, token: str, max_age: int = CONFIRM_MAX_AGE) -> str:
    try:
        return URLSafeTimedSerializer(_secret(settings), salt="paperwire.digest.confirm").loads(token, max_age=max_age)
    except SignatureExpired:
        raise BadToken("this confirmation link has expired; subscribe again to get a new one") from None
    except BadSignature:
        raise BadToken("this confirmation link is not valid") from None


def manage_token(settings, subscriber_pk: int, email: str) -> str:
    return URLSafeSerializer(_secret(settings), salt="paperwire.digest.manage").dumps([subscriber_pk, email])


def read_manage_token(settings, token: str) -> tuple[int, str]:
    try:
        pk, email = URLSafeSerializer(_secret(settings), salt="paperwire.digest.manage").loads(token)
        return int(pk), str(email)
    except (BadSignature, ValueError, TypeError):
        raise BadToken("this link is not valid") from None

"""Accounts use cases: sign-up, log-in, sessions, email verification, password reset and change, API
tokens, account deletion. Shared by the web pages, the API and the CLI (``paperwire user ...``).

Secrets: passwords are argon2id hashes (argon2-cffi); session and API tokens are random
(``secrets.token_urlsafe``) and stored as SHA-256 digests; emailed links carry itsdangerous-signed,
time-limited tokens (a reset token also binds the current password hash, so it works once). Nothing
secret is ever logged: log lines name the user by pk only.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from paperwire.context import Paperwire
from paperwire.digest.address import BadAddress, normalize_address
from paperwire.services.errors import AccountError
from paperwire.services.recommend import forget_user
from paperwire.settings import Settings
from paperwire.store import Store
from paperwire.store import accounts as db
from paperwire.store.accounts import ApiToken, User
from paperwire.store.store import utcnow

log = logging.getLogger(__name__)

SESSION_DAYS = 30
VERIFY_MAX_AGE = 3 * 24 * 3600  # seconds an emailed verification link works
RESET_MAX_AGE = 3600  # seconds a password-reset link works
MIN_PASSWORD, MAX_PASSWORD = 8, 1024  # the upper bound keeps argon2 from being a denial-of-service lever
TOKEN_PREFIX = "pw_"
_hasher = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory defaults
_DUMMY_HASH = _hasher.hash("a password nobody has")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(user: User | None, password: str) -> bool:
    try:
        ok = _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and user.password_hash is not None


def normalize_email(email: str) -> str:
    """One mailbox, normalised (``digest.address``); else an AccountError that says what is wrong."""
    try:
        return normalize_address(email)
    except BadAddress as err:
        raise AccountError(str(err), "email") from None


def throttle_key(store: Store, email: str) -> str:
    """What the per-(client, account) log-in throttle counts under for ``email``: the address and a
    fingerprint of the account's current password, so a password reset starts the count afresh."""
    try:
        email = normalize_email(email)
    except AccountError:
        return (email or "")[:320]
    user = db.user_by_email(store, email)
    return email + ":" + digest(user.password_hash or "")[:12] if user is not None else email


def check_new_password(password: str, email: str = "") -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters", "password")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password can have at most {MAX_PASSWORD} characters", "password")
    if email and password.strip().lower() == email:
        raise AccountError("the password cannot be your email address", "password")


def _display_name(name: str | None) -> str | None:
    name = " ".join((name or "").split())[:100]
    return name or None


# -- sign-up and log-in ---------------------------------------------------------------------------------
def sign_up(store: Store, email: str, password: str, display_name: str | None = None, *,
            is_admin: bool = False, verified: bool = False) -> User:  # fmt: skip
    email = normalize_email(email)
    check_new_password(password, email)
    user = db.create_user(store, email, hash_password(password), display_name=_display_name(display_name),
                          is_admin=is_admin, verified=verified)  # fmt: skip
    if user is None:
        raise AccountError("an account with this email already exists", "email")
    log.info("user %s signed up%s", user.pk, " (admin)" if is_admin else "")
    return user


def authenticate(store: Store, email: str, password: str) -> User | None:
    """The user whose email and password these are, or None (same work either way, so timing tells nothing)."""
    try:
        email = normalize_email(email)
    except AccountError:
        email = ""
    user = db.user_by_email(store, email) if email else None
    if not _check_password(user, password or "") or user is None or user.is_disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        db.update_user(store, user.pk, password_hash=hash_password(password))
    return user


# -- sessions -----------------------------------------------------------------------------------------------
def start_session(store: Store, user: User) -> str:
    """A new session; returns the token for the cookie (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    db.add_session(store, user.pk, digest(token), utcnow() + timedelta(days=SESSION_DAYS))
    return token


def session_user(store: Store, token: str | None) -> User | None:
    if not token:
        return None
    user = db.user_by_session(store, digest(token), utcnow())
    return None if user is None or user.is_disabled else user


def end_session(store: Store, token: str | None) -> None:
    if token:
        db.delete_session(store, digest(token))


# -- emailed tokens -----------------------------------------------------------------------------------------
def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=salt)


def verification_token(settings: Settings, user: User, next_path: str | None = None) -> str:
    data = {"u": user.pk, "e": user.email}
    if next_path:
        data["n"] = next_path[:500]
    return _serializer(settings, "verify-email").dumps(data)


def verification_next(settings: Settings, token: str) -> str | None:
    """The page the signing-up person was on, as carried by a verification link (unchecked: the caller
    keeps it to same-site paths)."""
    try:
        data = _load(settings, "verify-email", token, VERIFY_MAX_AGE)
    except AccountError:
        return None
    value = data.get("n")
    return value if isinstance(value, str) else None


def reset_token(settings: Settings, user: User) -> str:
    return _serializer(settings, "reset-password").dumps({"u": user.pk, "h": digest(user.password_hash or "")[:16]})


def _load(settings: Settings, salt: str, token: str, max_age: int) -> dict:
    try:
        data = _serializer(settings, salt).loads(token or "", max_age=max_age)
    except SignatureExpired:
        raise AccountError("this link has expired: ask for a new one") from None
    except BadSignature:
        raise AccountError("this link is not valid") from None
    if not isinstance(data, dict):
        raise AccountError("this link is not valid")
    return data


def verify_email(store: Store, settings: Settings, token: str) -> tuple[User, bool]:
    """The user the link confirms, and whether this was the first confirmation (then the caller may
    sign them in: the link reached their inbox once; later uses of it only say it is confirmed)."""
    data = _load(settings, "verify-email", token, VERIFY_MAX_AGE)
    user = db.get_user(store, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or user.email != data.get("e") or user.is_disabled:
        raise AccountError("this link is not valid")
    first = not user.verified
    if first:
        db.update_user(store, user.pk, email_verified_at=utcnow())
        log.info("user %s verified their email", user.pk)
    return db.get_user(store, user.pk), first


def reset_password(store: Store, settings: Settings, token: str, new_password: str) -> User:
    data = _load(settings, "reset-password", token, RESET_MAX_AGE)
    user = db.get_user(store, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or user.is_disabled or digest(user.password_hash or "")[:16] != data.get("h"):
        raise AccountError("this link is not valid (was it used already?)")
    check_new_password(new_password, user.email)
    db.set_password(store, user.pk, hash_password(new_password))  # ends every session
    revoked = db.delete_tokens(store, user.pk)  # whoever took the account over loses its API tokens too
    if not user.verified:  # the link reached the inbox: the address works
        db.update_user(store, user.pk, email_verified_at=utcnow())
    log.info("user %s reset their password (%d API tokens revoked)", user.pk, revoked)
    return db.get_user(store, user.pk)


def change_password(store: Store, user: User, current: str, new_password: str, *, revoke_tokens: bool = False) -> int:
    """Change the password; every session of the user ends (the caller starts a fresh one), and with
    ``revoke_tokens`` every API token too. Returns the number of tokens revoked."""
    if not _check_password(user, current or ""):
        raise AccountError("the current password is not right", "current_password")
    check_new_password(new_password, user.email)
    db.set_password(store, user.pk, hash_password(new_password))
    revoked = db.delete_tokens(store, user.pk) if revoke_tokens else 0
    log.info("user %s changed their password (%d API tokens revoked)", user.pk, revoked)
    return revoked


def set_password(store: Store, email: str, new_password: str) -> User:
    """The operator's ``paperwire user set-password``: a new password, every session and API token ended."""
    user = db.user_by_email(store, normalize_email(email))
    if user is None:
        raise AccountError(f"no user with email {email!r}", "email")
    check_new_password(new_password, user.email)
    db.set_password(store, user.pk, hash_password(new_password))
    db.delete_tokens(store, user.pk)
    log.info("the operator set a new password for user %s", user.pk)
    return db.get_user(store, user.pk)


def mark_verified(store: Store, email: str) -> User:
    """The operator's ``paperwire user verify``: the address counts as confirmed."""
    user = db.user_by_email(store, normalize_email(email))
    if user is None:
        raise AccountError(f"no user with email {email!r}", "email")
    if not user.verified:
        db.update_user(store, user.pk, email_verified_at=utcnow())
        log.info("the operator confirmed the email of user %s", user.pk)
    return db.get_user(store, user.pk)


def _base(settings: Settings, base_url: str | None) -> str:
    return (base_url or settings.base_url).rstrip("/")


def send_verification(store: Store, settings: Settings, user: User, next_path: str | None = None,
                      base_url: str | None = None) -> None:  # fmt: skip
    from paperwire.services.mail import send_email

    link = f"{_base(settings, base_url)}/account/verify?token={verification_token(settings, user, next_path)}"
    send_email(settings, user.email, "Confirm your email for paperwire",
               f"Welcome to paperwire.\n\nConfirm your email address by opening this link:\n\n{link}\n\n"
               "If you did not sign up, ignore this message.\n")  # fmt: skip


def register(pw: Paperwire, email: str, password: str, display_name: str | None = None, *,
             next_path: str | None = None, base_url: str | None = None) -> None:  # fmt: skip
    """Sign-up on an instance that sends email, answering the same whether or not the address has an
    account: a new account gets its confirmation link, an existing one a note that someone tried to
    sign up with it (both sent after the request answered). Raises AccountError only for input that
    is wrong whoever owns the address (a bad address or password)."""
    from paperwire.services.mail import send_email, send_soon

    email = normalize_email(email)
    check_new_password(password, email)
    user = db.create_user(pw.store, email, hash_password(password), display_name=_display_name(display_name))
    settings = pw.settings
    if user is not None:
        log.info("user %s signed up", user.pk)
        send_soon(pw, lambda: send_verification(pw.store, settings, user, next_path, base_url))
        return
    base = _base(settings, base_url)
    send_soon(pw, lambda: send_email(settings, email, "Your paperwire account",
              "Someone (perhaps you) tried to create a paperwire account with this address, which already has one."
              f"\n\nLog in here:\n\n{base}/account/login\n\nForgot the password? Choose a new one here:\n\n"
              f"{base}/account/forgot\n\nIf it was not you, ignore this message: nothing has changed.\n"))  # fmt: skip


def send_reset(store: Store, settings: Settings, email: str, base_url: str | None = None) -> bool:
    """Email a reset link when the account exists (the caller answers the same either way)."""
    from paperwire.services.mail import send_email

    try:
        user = db.user_by_email(store, normalize_email(email))
    except AccountError:
        return False
    if user is None or user.is_disabled:
        return False
    link = f"{_base(settings, base_url)}/account/reset?token={reset_token(settings, user)}"
    send_email(settings, user.email, "Reset your paperwire password",
               f"Someone asked to reset the password of your paperwire account.\n\nChoose a new password here "
               f"(the link works once, for one hour):\n\n{link}\n\nIf it was not you, ignore this message.\n")  # fmt: skip
    return True


# -- profile, deletion, admin -------------------------------------------------------------------------------
def update_profile(store: Store, user: User, display_name: str | None) -> None:
    db.update_user(store, user.pk, display_name=_display_name(display_name))


def delete_account(pw: Paperwire, user: User, password: str) -> None:
    """Delete the user and everything they own, and forget what the context cached about them (their
    model and their part of the co-saves)."""
    if not _check_password(user, password or ""):
        raise AccountError("the password is not right", "password")
    db.delete_user(pw.store, user.pk)
    forget_user(pw, user.pk)
    log.info("user %s deleted their account", user.pk)


def set_disabled(store: Store, email: str, disabled: bool = True) -> User:
    user = db.user_by_email(store, normalize_email(email))
    if user is None:
        raise AccountError(f"no user with email {email!r}", "email")
    db.update_user(store, user.pk, is_disabled=disabled)
    if disabled:
        db.delete_sessions(store, user.pk)
    return db.get_user(store, user.pk)


# -- API tokens ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once


def create_token(store: Store, user: User, name: str) -> NewToken:
    name = " ".join((name or "").split())[:100]
    if not name:
        raise AccountError("give the token a name", "name")
    if len(db.user_tokens(store, user.pk)) >= 50:
        raise AccountError("at most 50 tokens per account: revoke one first", "name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = db.add_token(store, user.pk, name, digest(secret), secret[:10])
    log.info("user %s created API token %s", user.pk, token.pk)
    return NewToken(token, secret)


def token_user(store: Store, secret: str | None) -> User | None:
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    user = db.user_by_token(store, digest(secret))
    return None if user is None or user.is_disabled else user


def revoke_token(store: Store, user: User, token_pk: int) -> bool:
    return db.delete_token(store, user.pk, token_pk)


def revoke_all_tokens(store: Store, user: User) -> int:
    revoked = db.delete_tokens(store, user.pk)
    log.info("user %s revoked all %d API tokens", user.pk, revoked)
    return revoked


def now() -> datetime:
    return utcnow()

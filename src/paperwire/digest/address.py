"""Email addresses: one mailbox in RFC 5322 address syntax, checked by ``email-validator`` (syntax only;
deliverability checks are off, so nothing here touches the network), and normalised (the domain in
its canonical form, the whole address lower-cased, which is how accounts and subscribers store it).

Refused with a message that names the problem: lists of addresses (commas, semicolons), display-name
syntax (angle brackets), quoted local parts, control characters (NUL) and invisible characters
(zero-width spaces and joiners), which would otherwise reach other mailboxes or make look-alike accounts.
"""
from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 320
_FORBIDDEN = {
    ",": "one address only (no commas)",
    ";": "one address only (no semicolons)",
    "<": "the address alone, without angle brackets",
    ">": "the address alone, without angle brackets",
    '"': "an address without quotation marks",
}


class BadAddress(ValueError):
    """Not one valid mailbox; the message says why, for the person who typed it."""


def normalize_address(text: str | None) -> str:
    """The normalised address, or :class:`BadAddress`."""
    text = (text or "").strip()
    if not text:
        raise BadAddress("enter your email address")
    if len(text) > MAX_LENGTH:
        raise BadAddress(f"an email address has at most {MAX_LENGTH} characters")
    for char in text:
        if char in _FORBIDDEN:
            raise BadAddress(f"enter {_FORBIDDEN[char]}")
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp") or (category == "Zs"):
            raise BadAddress("the email address contains an invisible or control character (or a space)")
    try:
        checked = validate_email(text, check_deliverability=False, allow_quoted_local=False,
                                 allow_domain_literal=False, allow_display_name=False)  # fmt: skip
    except EmailNotValidError as err:
        raise BadAddress(f"this is not a valid email address: {err}") from None
    return checked.normalized.lower()


def valid_address(text: str | None) -> str | None:
    """The normalised address, or None."""
    try:
        return normalize_address(text)
    except BadAddress:
        return None

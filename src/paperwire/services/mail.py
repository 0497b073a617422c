"""The mail layer: one ``send_email`` over smtplib, configured by ``settings.smtp_url``.

    smtp://user:pass@host:port?starttls=1&from=paperwire@example.org    (plain SMTP, optional STARTTLS)
    smtps://user:pass@host:465                                            (SMTP over TLS)

Used by the accounts emails (verification, password reset) and available to the digest. Nothing
about a message's body or the SMTP password is logged; only the recipient's domain and the subject.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from paperwire.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_FROM = "paperwire@localhost"
TIMEOUT = 20


class MailError(RuntimeError):
    """No SMTP server configured, or it refused the message."""


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in {"1", "true", "yes", "on"}


def build_message(sender: str, to: str, subject: str, text: str, html: str | None = None,
                  headers: dict[str, str] | None = None) -> EmailMessage:  # fmt: skip
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def send_email(settings: Settings, to: str, subject: str, text: str, html: str | None = None,
               headers: dict[str, str] | None = None) -> None:  # fmt: skip
    """Send one message through ``settings.smtp_url``; raises :class:`MailError` when it cannot."""
    if not settings.smtp_url:
        raise MailError("no SMTP server configured (PAPERWIRE_SMTP_URL)")
    url = urlsplit(settings.smtp_url)
    if url.scheme not in ("smtp", "smtps"):
        raise MailError(f"PAPERWIRE_SMTP_URL must start with smtp:// or smtps://, not {url.scheme}://")
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    sender = query.get("from") or (formataddr(("paperwire", DEFAULT_FROM)))
    msg = build_message(sender, to, subject, text, html, headers)
    host, port = url.hostname or "localhost", url.port or (465 if url.scheme == "smtps" else 25)
    try:
        if url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=TIMEOUT)
        with client:
            if url.scheme == "smtp" and _truthy(query.get("starttls")):
                client.starttls(context=ssl.create_default_context())
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(msg)
    except (OSError, smtplib.SMTPException) as err:
        log.warning("mail to @%s (%s) failed: %s", to.rpartition("@")[2], subject, type(err).__name__)
        raise MailError(f"could not send the email: {type(err).__name__}") from None
    log.info("mail sent to @%s: %s", to.rpartition("@")[2], subject)

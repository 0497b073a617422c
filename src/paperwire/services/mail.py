"""The mail layer: one ``send_email``, configured by ``settings.smtp_url``.

    smtp://user:pass@host:port?starttls=1&from=paperwire@example.org    (plain SMTP, optional STARTTLS)
    smtps://user:pass@host:465                                            (SMTP over TLS)
    console://                                  (no server: each email to the log and <data dir>/mail/*.eml)

Used by the accounts emails (verification, password reset) and the digest's confirmations. A request
never waits for mail: :func:`send_soon` hands the sending to the context's mail threads. Nothing
about a message's body or the SMTP password is logged by the SMTP transport; only the recipient's
domain and the subject.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, urlsplit

from paperwire.digest.smtp import (PermanentFailure, SmtpConfigError, TemporaryFailure, mail_configured,
                                   open_sender)  # fmt: skip
from paperwire.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_FROM = "paperwire@localhost"
NO_MAIL_NOTE = ("This instance sends no email: the operator sets PAPERWIRE_SMTP_URL "
                "(an SMTP server, or console:// to write emails to the log) to enable it.")  # fmt: skip

__all__ = ["MailError", "NO_MAIL_NOTE", "build_message", "mail_configured", "send_email", "send_soon"]


class MailError(RuntimeError):
    """No SMTP server configured, or it refused the message."""


def build_message(sender: str, to: str, subject: str, text: str, html: str | None = None,
                  headers: dict[str, str] | None = None) -> EmailMessage:  # fmt: skip
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or "localhost")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def send_email(settings: Settings, to: str, subject: str, text: str, html: str | None = None,
               headers: dict[str, str] | None = None) -> None:  # fmt: skip
    """Send one message through ``settings.smtp_url`` (the digest's transport, so both parse the URL
    and treat STARTTLS, auth and failures alike); raises :class:`MailError` when it cannot."""
    try:
        sender_transport = open_sender(settings)
    except SmtpConfigError as err:
        raise MailError(str(err)) from None
    query = {k: v[-1] for k, v in parse_qs(urlsplit(settings.smtp_url or "").query).items()}
    sender = query.get("from") or formataddr(("paperwire", DEFAULT_FROM))
    try:
        with sender_transport as smtp:
            smtp.send(build_message(sender, to, subject, text, html, headers))
    except (TemporaryFailure, PermanentFailure) as err:
        log.warning("mail to @%s (%s) failed: %s", to.rpartition("@")[2], subject, type(err).__name__)
        raise MailError(f"could not send the email: {type(err).__name__}") from None
    log.info("mail sent to @%s: %s", to.rpartition("@")[2], subject)


def send_soon(pw, job: Callable[[], None]) -> None:
    """Run ``job`` (which sends mail) after the request answered, on the context's mail threads; a
    failure is logged there (the answer never depends on it, so it tells nothing about the address)."""

    def run() -> None:
        try:
            job()
        except (MailError, SmtpConfigError, TemporaryFailure, PermanentFailure) as err:
            log.warning("background mail failed: %s", err)

    pw.send_soon(run)

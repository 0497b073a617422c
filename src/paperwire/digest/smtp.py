"""SMTP sending for the digest: ``PAPERWIRE_SMTP_URL`` parsing, one reused connection per sender,
STARTTLS / implicit TLS and AUTH, a send-rate limit, and failures classified as temporary (retry
with backoff) or permanent (recorded, never retried).

URL forms: ``smtp://host:25`` (plain), ``smtp://user:pass@host:587?starttls=1`` (STARTTLS; also the
default on port 587), ``smtps://user:pass@host:465`` (implicit TLS); ``timeout=`` seconds.
``console://`` sends nothing: every message is written to the log and as an ``.eml`` file under
``<data dir>/mail`` (:class:`ConsoleSender`), so a developer can open the links.
The accounts' emails (``services.mail``) go out through the same client.
"""
from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)
TRUE = {"1", "true", "yes", "on"}


class SmtpConfigError(ValueError):
    """PAPERWIRE_SMTP_URL is missing or malformed."""


class TemporaryFailure(Exception):
    """The server or the network failed in a way that may pass: try again later."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): record it, never retry."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    security: str = "none"  # none, starttls, ssl
    timeout: float = 30.0

    def __repr__(self) -> str:  # never print the password
        return f"SmtpConfig({self.security}://{self.username + '@' if self.username else ''}{self.host}:{self.port})"


CONSOLE = "console"


def parse_smtp_url(url: str | None) -> SmtpConfig:
    if not url:
        raise SmtpConfigError("no SMTP server configured: set PAPERWIRE_SMTP_URL, e.g. smtp://user:pass@host:587")
    parts = urlsplit(url)
    if parts.scheme == CONSOLE:
        return SmtpConfig(host=CONSOLE, port=0, security=CONSOLE)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpConfigError("PAPERWIRE_SMTP_URL must look like smtp://[user:pass@]host[:port], smtps://... "
                              "or console://")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        port = parts.port
    except ValueError as err:
        raise SmtpConfigError(f"PAPERWIRE_SMTP_URL has a bad port: {err}") from None
    if parts.scheme == "smtps":
        security, port = "ssl", port or 465
    else:
        port = port or 25
        wanted = query.get("starttls")
        security = "starttls" if (wanted.lower() in TRUE if wanted is not None else port == 587) else "none"
    try:
        timeout = float(query.get("timeout", 30))
    except ValueError:
        raise SmtpConfigError("PAPERWIRE_SMTP_URL: timeout must be a number of seconds") from None
    return SmtpConfig(
        host=parts.hostname, port=port, username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None, security=security, timeout=timeout,
    )  # fmt: skip


def classify(err: BaseException) -> Exception:
    """A TemporaryFailure or PermanentFailure for an smtplib / socket error."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in err.recipients.values()]
        text = "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                         for rcpt, (code, msg) in err.recipients.items())  # fmt: skip
        return (PermanentFailure if codes and all(c >= 500 for c in codes) else TemporaryFailure)(f"recipient refused: {text}")
    if isinstance(err, smtplib.SMTPAuthenticationError):  # a configuration problem an admin can fix: keep trying
        return TemporaryFailure(f"authentication failed: {err.smtp_code}")
    if isinstance(err, smtplib.SMTPResponseException):
        msg = err.smtp_error.decode(errors="replace") if isinstance(err.smtp_error, bytes) else str(err.smtp_error)
        kind = PermanentFailure if 500 <= err.smtp_code < 600 else TemporaryFailure
        return kind(f"{err.smtp_code} {msg}".strip())
    if isinstance(err, (smtplib.SMTPException, OSError, socket.timeout)):
        return TemporaryFailure(f"{type(err).__name__}: {err}".rstrip(": "))
    return TemporaryFailure(repr(err))


class RateLimiter:
    """At most ``rate`` calls per second (per process), spaced evenly; None or 0 = unlimited."""

    def __init__(self, rate: float | None):
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next)
            self._next = at + self.interval
        if at > now:
            time.sleep(at - now)


class SmtpSender:
    """One SMTP connection, opened on first use and reused; a connection idle for a while is checked
    with NOOP before use. Not thread-safe: one per thread."""

    IDLE_CHECK = 10.0  # seconds

    def __init__(self, config: SmtpConfig, limiter: RateLimiter | None = None):
        self.config = config
        self.limiter = limiter or RateLimiter(None)
        self._smtp: smtplib.SMTP | None = None
        self._used = 0.0

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security == "ssl":
            smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            if c.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        if c.username:
            smtp.login(c.username, c.password or "")
        return smtp

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and time.monotonic() - self._used > self.IDLE_CHECK:
            try:
                if self._smtp.noop()[0] != 250:
                    raise smtplib.SMTPServerDisconnected("noop refused")
            except (smtplib.SMTPException, OSError):
                self.close()
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def send(self, message) -> None:
        """Send one message; raises TemporaryFailure or PermanentFailure."""
        self.limiter.wait()
        try:
            smtp = self._connection()
            if isinstance(message, EmailMessage):
                smtp.send_message(message)
            else:  # render.Outgoing: envelope and ready MIME bytes
                smtp.sendmail(message.sender, [message.recipient], message.as_bytes())
        except Exception as err:  # noqa: BLE001 - every failure is classified, and the connection dropped
            self.close()
            raise classify(err) from err
        self._used = time.monotonic()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                try:
                    self._smtp.close()
                except OSError:
                    pass
            self._smtp = None

    def __enter__(self) -> "SmtpSender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ConsoleSender:
    """The ``console://`` transport: each message goes to the log (headers and text) and to an ``.eml``
    file in ``directory``; nothing leaves the machine. Same interface as :class:`SmtpSender`."""

    def __init__(self, directory, limiter: RateLimiter | None = None):
        from pathlib import Path

        self.directory = Path(directory)

    def send(self, message) -> None:
        from email import message_from_bytes, policy

        data = message.as_bytes()
        parsed = message if isinstance(message, EmailMessage) else message_from_bytes(data, policy=policy.default)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
            path = self.directory / f"{stamp}-{time.monotonic_ns() % 10**9:09d}.eml"
            path.write_bytes(data)
        except OSError as err:
            raise TemporaryFailure(f"could not write the email: {err}") from err
        body = parsed.get_body(("plain",)) if hasattr(parsed, "get_body") else None
        text = body.get_content() if body is not None else ""
        log.info("console mail to %s: %s (%s)\n%s", parsed["To"], parsed["Subject"], path, text)

    def close(self) -> None:
        pass

    def __enter__(self) -> "ConsoleSender":
        return self

    def __exit__(self, *exc) -> None:
        pass


def open_sender(settings, limiter: RateLimiter | None = None) -> "SmtpSender | ConsoleSender":
    """The transport ``settings.smtp_url`` names (raises SmtpConfigError when it names none)."""
    config = parse_smtp_url(settings.smtp_url)
    if config.security == CONSOLE:
        return ConsoleSender(settings.data_dir / "mail", limiter)
    return SmtpSender(config, limiter)


def mail_configured(settings) -> bool:
    """Whether this instance can send email (an SMTP server or the console transport is set)."""
    try:
        parse_smtp_url(settings.smtp_url)
    except SmtpConfigError:
        return False
    return True

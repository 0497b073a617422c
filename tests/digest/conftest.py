"""Digest test fixtures: a real SMTP server (aiosmtpd, in-process, on a free loopback port), Redis with a
key namespace of its own per test, settings pointing at both, and papers loaded through ingest."""
from __future__ import annotations

import email
import email.policy
import threading
import time
from collections import Counter
from datetime import date

import pytest

from tests.conftest import free_port, require




class Mailbox:
    """What the SMTP server accepted; ``rcpt_delay`` slows every RCPT (to widen crash windows)."""

    def __init__(self):
        self.messages: list = []
        self.lock = threading.Lock()
        self.rcpt_delay = 0.0
        self.refuse: dict[str, str] = {}  # address -> SMTP reply for RCPT
        self.in_rcpt = threading.Event()  # set while a RCPT is being delayed

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        import asyncio

        if self.rcpt_delay:
            self.in_rcpt.set()
            await asyncio.sleep(self.rcpt_delay)
            self.in_rcpt.clear()
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]

    def counts(self) -> Counter:
        with self.lock:
            return Counter(r for rcpts, _ in self.messages for r in rcpts)

    def wait_for(self, n: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return
            time.sleep(0.02)
        raise AssertionError(f"expected {n} messages, got {len(self.messages)}")


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down():
    """An SMTP server that is not running yet (connections are refused until ``.start()``)."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def settings_for(db_url):
    from paperwire.settings import load_settings

    def make(smtp: SmtpServer | None = None, **overrides):
        return load_settings(database_url=db_url, smtp_url=smtp.url if smtp else None,
                             base_url="http://paperwire.test", secret_key="test-secret", **overrides)  # fmt: skip

    return make


@pytest.fixture
def settings(settings_for, smtp_server):
    return settings_for(smtp_server)


D = date.fromisoformat


@pytest.fixture
def pw(store, settings):
    """The application context of the digest tests: their settings (SMTP server, base URL) on ``store``."""
    from paperwire.context import Paperwire

    context = Paperwire(settings, store)
    yield context
    context.close()

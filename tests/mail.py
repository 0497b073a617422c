"""A real SMTP server for tests: aiosmtpd in this process on a free loopback port, keeping every
message it accepts."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy

from tests.conftest import free_port


class Inbox:
    """The messages the server accepted, in order (an aiosmtpd handler)."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@contextmanager
def smtp_server(inbox: Inbox) -> Iterator[str]:
    """An SMTP server delivering to ``inbox`` while the block runs; yields its ``smtp://`` URL."""
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()

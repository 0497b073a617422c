"""Fixtures for the API tests: the app on a real socket (uvicorn in a thread) and a guard that lets
the test process connect to loopback addresses only, so no test can reach the internet."""
from __future__ import annotations

import ipaddress
import socket
import threading
import time

import pytest
import uvicorn
from fastapi.testclient import TestClient

from paperwire.settings import Settings
from paperwire.web.app import create_app
from tests.conftest import free_port

BASE_URL = "https://papers.example.org"


def _is_loopback(address) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback_only(monkeypatch):
    """Refuse (and record) any Python-level connection to a non-loopback address."""
    refused: list = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded(method):
        def wrapper(self, address):
            if not _is_loopback(address):
                refused.append(address)
                raise ConnectionRefusedError(f"test tried to reach {address!r}; only loopback is allowed")
            return method(self, address)

        return wrapper

    monkeypatch.setattr(socket.socket, "connect", guarded(connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(connect_ex))
    yield refused
    assert not refused, f"connections outside loopback were attempted: {refused}"



@pytest.fixture
def pw_settings() -> dict:
    return {"base_url": BASE_URL}


@pytest.fixture
def app(pw):
    return create_app(pw=pw)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture
def served(app, loopback_only):
    """The app served by uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="paperwire-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "the server thread died while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)

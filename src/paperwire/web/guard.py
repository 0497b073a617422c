"""``Guard``: the ASGI middleware in front of every route (added by ``create_app``). Before a route
runs it

- refuses a body larger than the route's cap with **413**: from ``Content-Length`` before reading
  anything, or while reading a chunked body, so nothing larger than the cap is ever held in memory
  (:data:`MAX_BODY` for every route, :data:`MAX_FILE_BODY` for the routes that take a file);
- refuses ``multipart/form-data`` with **415** on the routes that take no file (:data:`paperwire.api.inputs.FILE_ROUTES`
  lists those that do), before parsing it, so nothing is spooled to disk for them;
- refuses with **400** text that no route can use (``api.inputs.text_problem``: a NUL, a lone
  surrogate, an over-long value) in the path, the query, an urlencoded form or a JSON body;

and it adds the security headers to every answer (pages, JSON, static files and errors alike):
``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, a ``Referrer-Policy`` and a
``Content-Security-Policy`` that lets pages load scripts, styles, fonts and images from the site
only and be framed by no one (:data:`CSP`; ``/docs`` too: its Swagger UI is local, started by a file).

Refusals are answered like any other :class:`~paperwire.api.errors.Refusal`
(``web.http.answer_refusal``): a page for browsers, the one JSON error body otherwise.
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire.api.inputs import MAX_PARAM, MAX_TEXT, json_problem, takes_file, text_problem
from paperwire.services.collections import MAX_IMPORT_BYTES

MAX_BODY = 256 * 1024  # bytes of any request body (forms, JSON)
MAX_FILE_BODY = MAX_IMPORT_BYTES + 64 * 1024  # bytes of a body that carries a file, multipart framing included
MAX_FIELDS = 1000  # fields of an urlencoded form (or parameters of a query)
MAX_QUERY = 5 * MAX_PARAM  # characters of a whole query string, percent-escapes included
# RFC 8058: a mail client may post its one-click unsubscribe as multipart; the route reads the (capped)
# body as bytes and never parses a multipart one, so nothing is spooled
ONE_CLICK_ROUTES = (re.compile(r"/digest/unsubscribe/[^/]+"),)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")  # fmt: skip
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin")]  # fmt: skip


def target_problem(scope: Scope) -> str | None:
    """What is wrong with the request's path or query text (None when nothing is)."""
    problem = text_problem(scope.get("path", ""), MAX_PARAM)
    if problem:
        return f"the path {problem}"
    query = scope.get("query_string", b"").decode("latin-1")
    if len(query) > MAX_QUERY:
        return f"the query is too long (at most {MAX_QUERY:,} characters)"
    try:
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace",
                          max_num_fields=MAX_FIELDS)  # fmt: skip
    except ValueError:
        return "the query has too many parameters"
    for name, value in pairs:
        problem = text_problem(name, MAX_PARAM) or text_problem(value, MAX_PARAM)
        if problem:
            return f"query parameter {name[:40]} {problem}"
    return None


def body_problem(content_type: str, body: bytes, field_limit: int) -> str | None:
    """What is wrong with the text of an urlencoded or JSON body (None when nothing is, or when it is
    neither: the route then says what it expected)."""
    if not body.strip():
        return None
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace",
                              max_num_fields=MAX_FIELDS)  # fmt: skip
        except ValueError:
            return "the form has too many fields"
        for name, value in pairs:
            problem = text_problem(name, MAX_PARAM) or text_problem(value, field_limit)
            if problem:
                return f"field {name[:40]} {problem}"
        return None
    if content_type.startswith("multipart/") or body.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON after all: the route refuses it in its own words
    return json_problem(value, "body", field_limit)


class Guard:
    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY, max_file_body: int = MAX_FILE_BODY):
        self.app, self.max_body, self.max_file_body = app, max_body, max_file_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(scope, send)
        problem = target_problem(scope)
        if problem:
            await self._refuse(scope, receive, send, 400, problem)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").lower()
        file_route = takes_file(scope["path"])
        one_click = any(rule.fullmatch(scope["path"]) for rule in ONE_CLICK_ROUTES)
        if content_type.startswith("multipart/") and not file_route and not one_click:
            await self._refuse(scope, receive, send, 415, "this address takes no file: send the form urlencoded")
            return
        limit = self.max_file_body if file_route else self.max_body
        length = headers.get("content-length")
        if length is not None:
            if not length.isascii() or not length.isdigit() or len(length) > 18:
                await self._refuse(scope, receive, send, 400, "the Content-Length header is invalid")
                return
            if int(length) > limit:
                await self._refuse(scope, receive, send, 413, f"the body is too large (at most {limit:,} bytes)")
                return
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if not chunked and not (length and int(length) > 0):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await self._refuse(scope, receive, send, 413, f"the body is too large (at most {limit:,} bytes)")
                return
            if not message.get("more_body", False):
                break
        problem = body_problem(content_type, bytes(body), MAX_IMPORT_BYTES if file_route else MAX_TEXT)
        if problem:
            await self._refuse(scope, receive, send, 400, problem)
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    @staticmethod
    def _with_headers(scope: Scope, send: Send) -> Send:

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return sending

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        from paperwire.api.errors import Refusal
        from paperwire.web.http import answer_refusal

        request = Request(scope, receive)
        response = await answer_refusal(request, Refusal(status, message))
        if status in (413, 415):
            response.headers["Connection"] = "close"  # the unread body is not waited for
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that gives the buffered body first, then whatever the client sends next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

"""``HEAD`` wherever ``GET`` works: pages, the API, feeds and static files.

FastAPI routes answer only the methods they name, so a ``HEAD`` (link checkers, feed readers, ``curl
-I``) got 405 where ``GET`` gave 200. :class:`HeadAsGet`, the outermost middleware, runs a ``HEAD``
request as the ``GET`` it stands for and sends that answer's status and headers (``Content-Length``
included, as RFC 9110 allows) without its body. The OpenAPI document is unchanged (no route gains a
method), and a path that refuses ``GET`` refuses ``HEAD`` the same way (404, 405 with ``Allow``).
"""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the body is dropped; only its end is passed on
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(dict(scope, method="GET"), receive, headers_only)

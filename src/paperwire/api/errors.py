"""JSON responses and errors shared by the API routers, the feeds and the web pages.

Error bodies are ``{"detail": message, "error": message}`` (:func:`error_response`, the one shape
of the project): ``detail`` is FastAPI's and this project's convention, ``error`` is the Hugging
Face Hub's, which ``huggingface_hub`` shows in the exception it raises. A bad query or path
parameter is a 400 whose message names the parameter (:class:`ParamErrorRoute` turns FastAPI's
validation errors into that), an unknown paper a 404.

:func:`wants_html` is the one answer to "HTML page or JSON?" for errors anywhere in the app, and
:class:`Refusal` the exception a route or dependency raises to answer early with an error; the
app's one handler for it (``web.http.answer_refusal``) renders a page or this JSON body.
"""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel


class ErrorBody(BaseModel):
    detail: str
    error: str


ERRORS_400 = {400: {"model": ErrorBody, "description": "A parameter is invalid; the message names it."}}
ERRORS_404 = {404: {"model": ErrorBody, "description": "No paper with this id."}}


def json_response(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """orjson-encoded JSON (FastAPI's ORJSONResponse is deprecated; this is the same thing)."""
    try:
        body = orjson.dumps(content)
    except TypeError:  # a lone surrogate in some text: replace it rather than fail
        body = orjson.dumps(_scrub(content))
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def error_response(status_code: int, message: str, *, error: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """The error body: ``error`` repeats ``message`` unless given (``"unauthorized"`` for a bad API token)."""
    return json_response({"detail": message, "error": message if error is None else error}, status_code, headers)


def wants_html(request: Request) -> bool:
    """Whether an error should be an HTML page (a browser or htmx asking outside ``/api/``) rather than JSON."""
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


class Refusal(HTTPException):
    """Raised (by a route or a dependency) to answer with an error instead of running on: a page for
    :func:`wants_html` requests, else :func:`error_response`. Subclasses say how the page differs."""

    def __init__(self, status_code: int, message: str, *, error: str | None = None,
                 headers: dict[str, str] | None = None):  # fmt: skip
        super().__init__(status_code, message, headers)
        self.message = message
        self.error = error

    def json(self) -> Response:
        return error_response(self.status_code, self.message, error=self.error, headers=self.headers)


class NotSignedIn(Refusal):
    """No logged-in user: pages redirect to the log-in page, JSON is a 401."""

    def __init__(self):
        super().__init__(401, "log in first")


class TooMany(Refusal):
    """A rate limit is reached: 429 with ``Retry-After``."""

    def __init__(self, wait: int):
        message = f"too many requests: try again in {wait} second{'s' if wait != 1 else ''}"
        super().__init__(429, message, headers={"Retry-After": str(wait)})


class ParamError(Exception):
    """A request parameter that cannot be used; ``param`` names it."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x not in ("query", "path", "header", "cookie", "body")]
        name = ".".join(loc) or "request"
        value = err.get("input")
        shown = f" {str(value)[:40]!r}" if isinstance(value, (str, int, float)) and err.get("type") != "missing" else ""
        parts.append(f"invalid {name}{shown}: {err.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


class ParamErrorRoute(APIRoute):
    """Routes whose validation errors and :class:`ParamError` become a 400 naming the parameter."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return error_response(400, _describe(exc))
            except ParamError as exc:
                return error_response(400, exc.message)

        return route_handler

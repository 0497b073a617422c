"""The HTTP contract of the whole app, installed by ``create_app`` (:func:`install_contract`):

- every error is the one body of ``api.errors`` (``{"detail", "error"}``) or, for a browser, a page:
  a parameter FastAPI cannot validate is a **400** naming it (as ``ParamErrorRoute`` does), an
  unknown address a **404**, a known address asked with another method a **405** whose ``Allow``
  lists every method the address answers (all of its routes, not only the first);
- the OpenAPI document lists, for every operation, the statuses it can answer beside its own:
  400 (a parameter or body refused), 404, 405, 413 (a body over the cap, ``web.guard``), 415 (a
  multipart body where no file is taken), 429 (a rate limit, with ``Retry-After``), and 401 for the
  routes behind ``Authorization: Bearer`` (``api.deps.ApiUser``), each with the one error schema.
  FastAPI's 422 ``HTTPValidationError`` is never sent, so it is not documented.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from paperwire.api.errors import ErrorBody, Refusal, _describe

REASONS = {404: "not found", 405: "method not allowed"}
COMMON = {
    "400": "A parameter, field or body is invalid; the message names it.",
    "404": "No such address or item.",
    "405": "The address does not answer this method; `Allow` lists those it answers.",
    "413": "The body is larger than this route accepts.",
    "415": "A multipart body sent to a route that takes no file.",
    "429": "Too many requests: wait the seconds `Retry-After` says.",
}
BEARER = {"401": "No API token, or an invalid or revoked one (`Authorization: Bearer pw_...`)."}
HEADERS = {
    "405": {"Allow": {"description": "The methods this address answers.", "schema": {"type": "string"}}},
    "429": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    "401": {"WWW-Authenticate": {"description": "Bearer.", "schema": {"type": "string"}}},
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def flat_routes(app: FastAPI) -> list:
    """Every route of ``app`` with its full path, those of included routers too (FastAPI keeps an
    included router as one entry of ``app.routes``)."""
    try:
        from fastapi.routing import _iter_included_route_candidates
    except ImportError:  # FastAPI before included routers were kept whole: app.routes is flat
        return list(app.routes)
    return list(_iter_included_route_candidates(app.routes))


def allowed_methods(app: FastAPI, scope) -> list[str]:
    """Every method some route of ``app`` answers at this request's path (HEAD wherever GET:
    ``web.head.HeadAsGet`` answers it)."""
    methods: set[str] = set()
    for route in flat_routes(app):
        match, _ = route.matches({**scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        if match != Match.NONE and route_methods:
            methods |= set(route_methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def as_refusal(request: Request, exc: Exception) -> Refusal:
    """FastAPI's validation error (a 400 naming the field) or Starlette's own 404 and 405 (and any other
    HTTPException) as a :class:`Refusal`, answered like every other one."""
    if isinstance(exc, Refusal):
        return exc
    if isinstance(exc, RequestValidationError):
        return Refusal(400, _describe(exc))
    headers = dict(getattr(exc, "headers", None) or {})
    status = getattr(exc, "status_code", 500)
    if status == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
    detail = getattr(exc, "detail", None)
    detail = detail if isinstance(detail, str) else REASONS.get(status, "error")
    return Refusal(status, detail.lower() if detail else "error", headers=headers or None)


def document_errors(schema: dict, bearer_paths: set[tuple[str, str]]) -> dict:
    """Add the common error statuses (and 401 where a Bearer token is needed) to every operation of an
    OpenAPI ``schema``, each with the one error body; drop FastAPI's never-sent 422."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer",
                                                          "description": "An API token (pw_...) from the account page."}}
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            wanted = dict(COMMON)
            if (path, method.upper()) in bearer_paths:
                wanted.update(BEARER)
                op["security"] = [{"bearer": []}]
            for status, description in wanted.items():
                entry = responses.setdefault(status, {"description": description})
                entry["content"] = {"application/json": {"schema": ERROR_REF}}
                if status in HEADERS:
                    entry.setdefault("headers", HEADERS[status])
    return schema


def _needs_bearer(route) -> bool:
    from paperwire.api.deps import api_user

    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        if dep.call is api_user:
            return True
        stack.extend(dep.dependencies)
    return False


def install_contract(app: FastAPI, answer: Callable[[Request, Refusal], Awaitable[Response]]) -> None:
    """The error handlers and the OpenAPI document of :mod:`this module <paperwire.api.contract>`;
    ``answer`` is the front end's one way of answering a :class:`Refusal` (a page or the JSON body)."""

    async def answer_framework_error(request: Request, exc: Exception) -> Response:
        return await answer(request, as_refusal(request, exc))

    app.add_exception_handler(RequestValidationError, answer_framework_error)
    app.add_exception_handler(StarletteHTTPException, answer_framework_error)

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                                 description=app.description)  # fmt: skip
            bearer = {(route.path_format, method) for route in flat_routes(app) if getattr(route, "include_in_schema", False)
                      and hasattr(route, "dependant") and _needs_bearer(route) for method in route.methods}  # fmt: skip
            app.openapi_schema = document_errors(schema, bearer)
        return app.openapi_schema

    app.openapi = openapi

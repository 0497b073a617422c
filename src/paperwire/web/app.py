"""The web application: ``create_app(settings)`` is shared by `paperwire serve`, the tests and the
benchmarks. Front ends are thin: they call services and render templates or JSON.

Routers, in the order they are included (the first match wins):

- ``api.search`` — ``/api/papers/search``, similar and batch lookups (JSON);
- ``api.hf`` — the Hugging Face–compatible papers API (JSON);
- ``api.me`` — ``/api/me/...``: an API-token holder's account, votes, ratings, collections, follows,
  recommendations and interests (JSON, ``Authorization: Bearer``);
- ``web.feeds`` — RSS/Atom feeds;
- ``web.accounts`` — sign-up, log-in/out, email verification, password reset, the settings page;
- ``web.library`` — votes, ratings, collections, follows and the following feed, comments, submit;
- ``web.recommend`` — the "For you" pages;
- ``web.digest`` — the email digest's pages;
- ``web.status`` — ``/status`` and ``/api/status``: the daily loop's state;
- ``web.docs`` — ``/docs``: Swagger UI over ``/openapi.json``, served locally;
- ``web.pages`` — the HTML pages (feed, trending, search, paper, author, ...): last, for its catch-alls.

Errors: a route or dependency raises ``api.errors.Refusal``; the one handler, ``web.http.answer_refusal``,
answers a page (``api.errors.wants_html``) or the JSON body ``{"detail": ..., "error": ...}`` with the
4xx status, never a traceback; FastAPI's own validation errors, 404s and 405s (``Allow`` naming every
method of the address) take the same way (``api.contract``), which also lists every status in the
OpenAPI document. In front of every route, ``web.guard.Guard`` caps bodies (413), keeps multipart to
the file routes (415), refuses unusable text (``api.inputs``) and adds the security headers. The
templates get their filters and globals from ``web.templating``.
"""
from __future__ import annotations

import logging
import re
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import unquote_plus

import orjson
from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles

from paperwire import __version__
from paperwire.context import Paperwire
from paperwire.settings import Settings, load_settings
from paperwire.store import Store
from paperwire.web.process import REQUEST_THREADS, tune_server_process, worker_count  # noqa: F401 - serve's helpers

HERE = Path(__file__).parent
SECRET_PARAMS = {"token", "key", "secret", "password", "api_key", "access_token"}  # query values never logged
SECRET_PATH = re.compile(r"(/digest/(?:confirm|unsubscribe|preferences)/)[^/]+")  # the digest's links: a token


def redact(target: str) -> str:
    """A request target (path and query) with its secrets replaced by ``***``: the values of the query
    parameters in ``SECRET_PARAMS`` (the email-verification and password-reset links) and the token
    path segment of the digest's links (``SECRET_PATH``)."""
    path, sep, query = target.partition("?")
    path = SECRET_PATH.sub(r"\1***", path)
    if sep:
        parts = []
        for part in query.split("&"):
            name, eq, _value = part.partition("=")
            parts.append(f"{name}=***" if eq and unquote_plus(name).strip().lower() in SECRET_PARAMS else part)
        query = "&".join(parts)
    return path + sep + query


class RedactSecrets(logging.Filter):
    """On ``uvicorn.access``: the request line of each record goes through :func:`redact`, so links that
    carry a token (verification, password reset, digest) never reach the access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) and "/" in a else a for a in record.args)
        return True


def redact_access_log() -> None:
    """Install :class:`RedactSecrets` on uvicorn's access logger (once per process)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())


def schedule_lock(settings: Settings):
    """An exclusive lock of this machine's workers serving ``settings``' database (a file lock, released
    when its process ends), or None when another worker holds it: the holder runs the schedules."""
    import fcntl
    import hashlib
    import tempfile

    tag = hashlib.blake2b(settings.resolved_database_url.encode(), digest_size=8).hexdigest()
    handle = open(Path(tempfile.gettempdir()) / f"paperwire-schedules-{tag}.lock", "a+")  # noqa: SIM115
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def create_app(settings: Settings | None = None, *, store: Store | None = None, pw: Paperwire | None = None,
               scheduler: bool = False, one_scheduler: bool = False) -> FastAPI:  # fmt: skip
    """Build the app around one :class:`~paperwire.context.Paperwire` context (``pw``, or one opened
    from ``settings`` on ``store`` or the settings' database, migrated at start-up: the start-up gate
    of the architecture). With ``scheduler`` the harvest schedule and the daily digest schedule run
    in-process (APScheduler; several servers harvest and send once between them); with
    ``one_scheduler`` (the workers of `paperwire serve`) only in the worker holding :func:`schedule_lock`."""
    from paperwire.api.contract import install_contract
    from paperwire.api.errors import Refusal
    from paperwire.api.hf import router as hf_api
    from paperwire.api.me import router as me_api
    from paperwire.api.search import router as search_api
    from paperwire.web.accounts import router as accounts
    from paperwire.web.digest import router as digest
    from paperwire.web.docs import router as api_docs
    from paperwire.web.feeds import router as feeds
    from paperwire.web.guard import Guard
    from paperwire.web.http import answer_refusal
    from paperwire.web.library import router as library
    from paperwire.web.pages import router as pages
    from paperwire.web.recommend import router as recommend
    from paperwire.web.status import router as status_pages
    from paperwire.web.templating import install_templates

    if pw is None:
        pw = Paperwire.open(settings or load_settings(), store=store, upgrade=True)
    settings, store = pw.settings, pw.store

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        stops = []
        lock = schedule_lock(settings) if scheduler and one_scheduler else None
        if lock is not None:
            stops.append(lock.close)
        if scheduler and settings.redis_url and pw.dispatcher is None:  # embedding fans out to `paperwire worker`s
            from paperwire.jobs.queue import open_queue

            pw.dispatcher = open_queue(settings)
            stops.append(pw.dispatcher.close)
        if scheduler and (lock is not None or not one_scheduler):
            from paperwire.jobs.harvest import start_harvest_schedule
            from paperwire.jobs.scheduler import start_scheduler

            _app.state.digest_scheduler = start_scheduler(pw)
            _app.state.harvest_scheduler = start_harvest_schedule(pw)  # None when no sources are set
            stops += [_app.state.digest_scheduler, _app.state.harvest_scheduler]
        if scheduler:  # a server: load the model and indexes now, not on the first search of each worker
            pw.run_soon("warm-up", pw.warm_up)
            import anyio.to_thread

            # requests run on at most this many threads per worker: more only queue for the GIL and each
            # holds its request's rows, results and page in memory at once (anyio's default is 40)
            anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        try:
            yield
        finally:
            for stop in reversed(stops):
                if stop is not None:
                    stop()

    app = FastAPI(title="paperwire", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  lifespan=lifespan)  # fmt: skip
    app.state.pw = pw
    app.state.settings = settings
    app.state.store = store
    redact_access_log()
    if not settings.base_url_configured:
        logging.getLogger("paperwire").warning(
            "PAPERWIRE_BASE_URL is not set: pages, feeds and the API link to the address each request came in on, "
            "but emails (confirmation, password reset, digest) have no request and link to %s; set "
            "PAPERWIRE_BASE_URL to the site's public URL", settings.base_url)  # fmt: skip
    if settings.trusted_proxies:  # X-Forwarded-For/-Proto from these peers only (PAPERWIRE_TRUSTED_PROXIES)
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(Guard)  # body caps, multipart only where a file is taken, text checks, security headers
    app.add_exception_handler(Refusal, answer_refusal)
    install_contract(app, answer_refusal)  # the one error body for FastAPI's own errors; every status in the OpenAPI document
    install_templates()

    health = orjson.dumps({"ok": True, "version": __version__})

    @app.get("/healthz", include_in_schema=False)
    async def healthz():  # on the event loop (no worker-thread hop) and pre-encoded (no serialisation pass)
        return Response(health, media_type="application/json")

    app.include_router(search_api)  # before hf_api: /api/papers/{id}/similar must win over its catch-all
    app.include_router(hf_api)
    app.include_router(me_api)
    app.include_router(feeds)
    app.include_router(accounts)
    app.include_router(library)
    app.include_router(recommend)
    app.include_router(digest)
    app.include_router(status_pages)
    app.include_router(api_docs)  # /docs: Swagger UI from static/vendor (web.docs)
    app.include_router(pages)  # last: its catch-all routes must not shadow the API
    from paperwire.web.head import HeadAsGet

    app.add_middleware(HeadAsGet)  # added last, so outermost: HEAD is answered wherever GET is
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (each of several worker processes builds its own app; one of
    them, the holder of the schedule lock, runs the harvest and digest schedules)."""
    tune_server_process()
    return create_app(load_settings(), scheduler=True, one_scheduler=True)

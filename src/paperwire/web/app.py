"""The web application: ``create_app(settings)`` is shared by `paperwire serve`, the tests and the
benchmarks. Front ends are thin: they call services and render templates or JSON.

Routers: ``web.pages`` (HTML pages), ``web.feeds`` (RSS/Atom), ``api.hf`` (the Hugging Face–compatible
JSON API). Errors are JSON ``{"detail": ...}`` with a 4xx status for API routes, never a traceback.
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from paperwire import __version__
from paperwire.settings import Settings, load_settings
from paperwire.store import Store

HERE = Path(__file__).parent


def create_app(settings: Settings | None = None, *, store: Store | None = None, scheduler: bool = False) -> FastAPI:
    """Build the app. The database is migrated at start-up (the start-up gate of the architecture).
    With ``scheduler`` the daily digest schedule runs in-process (APScheduler; with Redis configured
    only one of several servers fires each tick)."""
    from paperwire.api.hf import router as hf_api
    from paperwire.api.search import router as search_api
    from paperwire.web.accounts import router as accounts
    from paperwire.web.digest import router as digest
    from paperwire.web.feeds import router as feeds
    from paperwire.web.pages import router as pages

    settings = settings or load_settings()
    store = store or Store.open(settings.resolved_database_url, upgrade=True)
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        stop = None
        if scheduler:
            from paperwire.jobs.scheduler import start_scheduler

            stop = start_scheduler(settings, store)
        try:
            yield
        finally:
            if stop is not None:
                stop()

    app = FastAPI(title="paperwire", version=__version__, docs_url="/docs", openapi_url="/openapi.json",
                  lifespan=lifespan)  # fmt: skip
    app.state.settings = settings
    app.state.store = store
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"ok": True, "version": __version__}

    app.include_router(search_api)  # before hf_api: /api/papers/{id}/similar must win over its catch-all
    app.include_router(hf_api)
    app.include_router(feeds)
    app.include_router(accounts)
    app.include_router(digest)
    app.include_router(pages)  # last: its catch-all routes must not shadow the API
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (several worker processes)."""
    return create_app(load_settings(), scheduler=True)

"""The web application: ``create_app(settings)`` is shared by `paperwire serve`, the tests and
benchmarks. Pages are thin: they call services and render templates."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from paperwire import __version__
from paperwire.services import papers as paper_service
from paperwire.settings import Settings, load_settings
from paperwire.store import Store

HERE = Path(__file__).parent


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """Build the app. The database is migrated at start-up (the start-up gate of the architecture)."""
    settings = settings or load_settings()
    store = store or Store.open(settings.resolved_database_url, upgrade=True)
    app = FastAPI(title="paperwire", version=__version__, docs_url="/docs", openapi_url="/openapi.json")
    app.state.settings = settings
    app.state.store = store
    templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request):
        papers = paper_service.latest_papers(store, limit=50)
        return templates.TemplateResponse(request, "home.html", {"papers": papers, "stats": store.stats()})

    @app.get("/papers/{paper_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def paper_page(request: Request, paper_id: str):
        paper = paper_service.get_paper(store, paper_id)
        if paper is None:
            raise HTTPException(404, f"no paper with id {paper_id}")
        return templates.TemplateResponse(request, "paper.html", {"paper": paper})

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return {"ok": True, "version": __version__}

    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (several worker processes)."""
    return create_app(load_settings())

"""``/status`` (a page) and ``/api/status`` (JSON): what the daily loop did and will do — per source
the last successful harvest, the next one, the papers it added and its last error; the newest listing
days, the embedding backlog, and whether only the bundled sample corpus is shown. The same report as
``paperwire status``; it holds nothing private (no accounts, no settings beyond the schedule)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from paperwire.services.harvest import status
from paperwire.web.pages import templates

router = APIRouter()
SOURCE_NAMES = {"arxiv": "arXiv (OAI-PMH)", "hf": "Hugging Face daily papers"}


@router.get("/api/status", summary="Harvest and index status", tags=["paperwire"])
def status_json(request: Request) -> JSONResponse:
    """Per source: last success and attempt, papers added, last error, consecutive failures, next run;
    the newest listing days and the embedding backlog."""
    return JSONResponse(status(request.app.state.pw))


@router.get("/status", response_class=HTMLResponse, include_in_schema=False)
def status_page(request: Request):
    return templates.TemplateResponse(request, "status.html", {"report": status(request.app.state.pw),
                                                               "names": SOURCE_NAMES})  # fmt: skip

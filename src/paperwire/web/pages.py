"""HTML pages (Jinja2). Pages call services; they hold no business logic."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from paperwire.services import papers as paper_service

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request):
    store = request.app.state.store
    papers = paper_service.latest_papers(store, limit=50)
    return templates.TemplateResponse(request, "home.html", {"papers": papers, "stats": store.stats()})


@router.get("/papers/{paper_id:path}", response_class=HTMLResponse, include_in_schema=False)
def paper_page(request: Request, paper_id: str):
    paper = paper_service.get_paper(request.app.state.store, paper_id)
    if paper is None:
        raise HTTPException(404, f"no paper with id {paper_id}")
    return templates.TemplateResponse(request, "paper.html", {"paper": paper})

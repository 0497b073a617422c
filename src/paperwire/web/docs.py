"""``/docs``: the API documentation, Swagger UI over ``/openapi.json``, served entirely from this site
(``static/vendor/swagger-ui``, vendored from npm by ``make assets``; no CDN), so it works offline. The
page has no inline script: ``static/docs.js`` starts Swagger UI."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request):
    from paperwire.web.pages import templates

    return templates.TemplateResponse(request, "api_docs.html", {"openapi_url": request.app.openapi_url})

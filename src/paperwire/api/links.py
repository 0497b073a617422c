"""The site's own address for absolute links (Atom/RSS feeds, the API's ``url`` fields, Markdown pages).

With ``PAPERWIRE_BASE_URL`` set, that. Without it, the address the request came in on: its scheme, host
and port (``Host`` header; behind a reverse proxy listed in ``PAPERWIRE_TRUSTED_PROXIES`` the scheme is
its ``X-Forwarded-Proto``, as uvicorn's proxy-headers middleware sets it), so ``PORT=8100 make run``
links to port 8100. Emails have no request: they always use the base URL, and start-up warns when it is
unset (``web.app``).
"""
from __future__ import annotations

from fastapi import Request


def site_url(request: Request) -> str:
    """``https://example.org`` (no trailing slash): the base URL when configured, else the request's."""
    settings = request.app.state.settings
    if settings.base_url_configured:
        return settings.base_url.rstrip("/")
    return str(request.base_url).rstrip("/")

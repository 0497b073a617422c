"""Driving the app as a browser does: the Accept header it sends, CSRF tokens read from forms, and
signing up or logging in through the account pages, and the paper cards a page shows."""
from __future__ import annotations

import re

from tests.factories import PASSWORD

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what a browser sends


def csrf(client, path: str = "/account/login") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text[:2000]
    return match.group(1)


def post(client, path: str, data: dict | None = None, *, from_page: str | None = None, **kwargs):
    token = csrf(client, from_page or ("/account" if "pw_session" in client.cookies else "/account/login"))
    return client.post(path, data={"csrf": token, **(data or {})}, follow_redirects=False, **kwargs)


def signup(client, email: str, password: str = PASSWORD, **extra):
    """Sign up and be signed in: at once on an instance without email; with email (where the answer
    is "check your inbox" whoever owns the address) by logging in, which an unconfirmed account may."""
    response = post(client, "/account/signup", {"email": email, "password": password, "password2": password, **extra},
                    from_page="/account/signup")  # fmt: skip
    assert response.status_code == 303, response.text
    if response.headers["location"] == "/account/signup/sent":
        logged_in = login(client, email, password)
        assert logged_in.status_code == 303, logged_in.text
    return response


def login(client, email: str, password: str = PASSWORD):
    return post(client, "/account/login", {"email": email, "password": password})


def titles(html: str) -> list[str]:
    """The titles of a page's paper cards, in page order."""
    return re.findall(r'<h2 class="title"><a class="math" href="[^"]*">([^<]*)</a>', html)

"""Follow buttons on author, organisation and category pages (signed-in readers only)."""
from __future__ import annotations

import pytest

from tests.browsing import signup
from tests.factories import load, make_record


@pytest.mark.parametrize("path, kind, target", [("/authors/ada-lovelace", "author", "ada lovelace"),
                                                ("/orgs/acme", "org", "acme"),
                                                ("/categories/cs.CL", "category", "cs.CL")])  # fmt: skip
def test_a_signed_in_reader_follows_from_the_page(client, store, path, kind, target):
    load(store, make_record(authors=["Ada Lovelace"], categories=["cs.CL"], organization={"name": "acme", "fullname": "ACME"}))
    assert 'action="/follow"' not in client.get(path).text  # anonymous: no button
    signup(client, "follower@example.org")
    page = client.get(path).text
    assert 'action="/follow"' in page and f'name="kind" value="{kind}"' in page
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    response = client.post("/follow", data={"csrf": token, "kind": kind, "target": page.split('name="target" value="', 1)[1].split('"', 1)[0], "next": path},
                           headers={"origin": "http://testserver"}, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert target in client.get("/following").text

"""'Follow this search' on the search page: the shared follow button with the query as a saved search."""
from __future__ import annotations

import re

from tests.browsing import signup
from tests.factories import load, make_record


def test_a_signed_in_reader_follows_a_search_from_the_search_page(client, store):
    load(store, make_record(title="Speculative decoding for fast inference"))
    assert 'action="/follow"' not in client.get("/search", params={"q": "speculative decoding"}).text
    signup(client, "searcher@example.org")
    page = client.get("/search", params={"q": "speculative decoding"}).text
    form = re.search(r'<form method="post" action="/follow".*?</form>', page, re.S)
    assert form and 'name="kind" value="query"' in form.group(0) and 'name="target" value="speculative decoding"' in form.group(0)
    token = re.search(r'name="csrf" value="([^"]+)"', form.group(0)).group(1)
    response = client.post("/follow", data={"csrf": token, "kind": "query", "target": "speculative decoding", "next": "/search"},
                           headers={"origin": "http://testserver"}, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert "speculative decoding" in client.get("/following").text

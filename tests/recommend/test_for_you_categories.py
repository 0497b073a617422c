"""For you's category filter is a picker of this instance's categories in the period shown, each with
its paper count, not free text (SQLite and PostgreSQL)."""
from __future__ import annotations

import re

from paperwire.store import accounts as db
from tests.browsing import signup
from tests.recommend.conftest import ids_of, rate


def test_the_category_filter_offers_the_instances_categories_with_counts(client, corpus):
    signup(client, "picker@example.org")
    rate(corpus, db.user_by_email(corpus, "picker@example.org"), ids_of("speech", range(0, 5)))
    page = client.get("/for-you?days=30&category=cs.RO").text
    picker = re.search(r'<select id="fy-cat" name="category">(.*?)</select>', page, re.S)
    assert picker and '<input id="fy-cat"' not in page
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', picker.group(1)))
    assert set(options) == {"", "cs.CV", "cs.SD", "cs.LG", "cs.RO"}
    assert options["cs.SD"].endswith("(24)")
    assert re.search(r'<option value="cs.RO" selected>', picker.group(1))

"""The For-you list is kept per reader (``services.cached.recommendations``) until the data changes."""
from __future__ import annotations

from paperwire.services import cached
from tests.recommend.conftest import ids_of, rate


def test_a_new_rating_gives_a_new_list_without_the_rated_paper(corpus, make_user, pw):
    user = make_user()
    rate(corpus, user, ids_of("speech", range(0, 6)))
    first = cached.recommendations(pw, user, days=10, limit=10)
    top = first.items[0].paper.id
    rate(corpus, user, [top], -1)
    again = cached.recommendations(pw, user, days=10, limit=10)
    assert top not in {r.paper.id for r in again.items}


def test_the_list_is_computed_once_while_nothing_changes(corpus, make_user, pw, db_url):
    user = make_user()
    rate(corpus, user, ids_of("graphs", range(0, 6)))
    first = cached.recommendations(pw, user, days=10, limit=10)
    if db_url.startswith("sqlite"):  # PostgreSQL's token is the server's WAL position: any write anywhere moves it
        assert cached.recommendations(pw, user, days=10, limit=10) is first
    assert cached.recommendations(pw, user, days=10, limit=5) is not first  # other parameters: another entry

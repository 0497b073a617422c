"""Reads that are the same until the data changes, kept in the context's version memo (``pw.memo``:
bounded, emptied by any commit of any process — a new rating, save or vote, new papers — and aged out
after a minute). The use cases themselves stay uncached; front ends call these wrappers."""
from __future__ import annotations

from paperwire.context import Paperwire
from paperwire.services import recommend as rec
from paperwire.store.accounts import User


def recommendations(pw: Paperwire, user: User, **params) -> rec.Recommendations:
    """A reader's For-you list (:func:`services.recommend.recommend` with ``params``), computed once until
    their signals or the papers change."""
    key = ("recommend", user.pk, tuple(sorted(params.items())))
    return pw.memo.get(key, lambda: rec.recommend(pw, user, **params))

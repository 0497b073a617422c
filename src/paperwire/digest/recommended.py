"""The digest's "recommended for you" section: the subscriber's personal recommendations among the
papers of the digest window (``services.recommend``), each paper sent once (the send log and the
papers of earlier sections are left out). Only subscribers linked to an account get it; a user
active in the last ``recommend_active_days`` days gets a freshly fitted model, an inactive one the
cheap centroid model, so a digest run never refits thousands of idle models."""
from __future__ import annotations

from paperwire.digest.build import SectionRequest, register_section
from paperwire.rank.digest import Section

RECOMMENDED_N = 10


def recommended_section(request: SectionRequest) -> Section | None:
    user_pk = request.subscriber.user_pk
    if user_pk is None:
        return None
    from paperwire.services import recommend
    from paperwire.settings import load_settings

    from paperwire.context import Paperwire

    found = recommend.recommend(Paperwire(load_settings(), request.store), user_pk, since=request.start, until=request.end, limit=RECOMMENDED_N,
                                exclude=request.sent | request.exclude,
                                active_days=load_settings().recommend_active_days)  # fmt: skip
    if not found.items:
        return None
    return Section("recommendations", "Recommended for you", tuple(r.paper for r in found.items),
                   more_url=f"{request.base_url}/for-you", reasons=tuple(r.reason for r in found.items))  # fmt: skip


register_section("recommendations", recommended_section)

"""The digest's "following" section: new papers of the digest window from the authors, organisations,
categories and saved searches the subscriber's account follows (the Following feed's query, one batch
per subscriber). Only subscribers linked to an account (``user_pk``) get it; the send log and the
papers of earlier sections are left out, and an empty section is not shown."""
from __future__ import annotations

from paperwire.digest.build import SectionRequest, register_section
from paperwire.rank.digest import Section

FOLLOWING_N = 20  # papers per digest from follows
FOLLOWING_POOL = 1000  # candidates read per subscriber (newest first; papers after the window are dropped)


def following_section(request: SectionRequest) -> Section | None:
    user_pk = request.subscriber.user_pk
    if user_pk is None:  # an email-only subscriber follows nothing
        return None
    from paperwire.services.community import following_papers

    papers = following_papers(request.store, user_pk, since=request.start, until=request.end, limit=FOLLOWING_POOL)
    skip = request.sent | request.exclude
    fresh = [p for p in papers if p.id not in skip]
    if not fresh:
        return None
    return Section("following", "New from what you follow", tuple(fresh[:FOLLOWING_N]),
                   more=max(0, len(fresh) - FOLLOWING_N), more_url=f"{request.base_url}/following")  # fmt: skip


register_section("following", following_section)

"""The one place the Jinja environment of the site (``web.pages.templates``) gets its filters and
globals: :func:`install_templates`, called by ``create_app`` (no module registers them as a side
effect of being imported).

Filters: the URL, date and text helpers of ``web.pages``. Globals: ``static_url``, ``version``,
``category_names``, ``listing_labels``, and the per-request helpers of the shared templates:
``viewer(request)`` (the logged-in user), ``card_state(request, papers)`` (votes, ratings,
collections of the cards),
``paper_extras(request, paper)`` (the paper page's vote breakdown and comments) and
``csrf_for(request)`` and ``following(request, kind, target)`` (a follow button's state).
"""
from __future__ import annotations

from paperwire import __version__
from paperwire.api.links import site_url
from paperwire.services import browse, community
from paperwire.store.accounts import User
from paperwire.web import pages
from paperwire.web.http import csrf_token, current_user, store_of
from paperwire.web.latex_text import latex_text, snippet_text


def viewer(request) -> User | None:
    return current_user(request) if request is not None else None


def card_state(request, papers) -> community.CardState | None:
    if request is None:
        return None
    papers = list(papers or [])
    user = current_user(request)
    return community.card_state(store_of(request), user, papers, csrf_token(request) if user else "")


def card_mains(request, papers, show_date, st) -> dict:
    """The reader-independent part of each paper's card (``card_main`` in _macros.html) by paper pk,
    rendered once per paper and data version and kept in the context's bounded fragment memo; the
    reader's own marks (votes, ratings, saves) are rendered around it per request."""
    if request is None:
        return {}
    memo = request.app.state.pw.fragments
    token = memo.version()
    macro = pages.templates.env.get_template("_macros.html").module.card_main
    show = bool(show_date)
    def key(p):  # the comment count is in the card's meta line: a new comment renders it again
        return ("card", p.pk, show, st.num_comments(p) if st else p.num_comments)

    return {p.pk: memo.get(key(p), lambda p=p: macro(p, show, None, st), token=token)
            for p in papers or () if p.pk is not None}  # fmt: skip


def paper_extras(request, paper) -> dict:
    """The paper page's vote breakdown and comment thread."""
    store, user = store_of(request), current_user(request)
    state = community.card_state(store, user, [paper], csrf_token(request) if user else "")
    found = community.comments(store, paper.id, user)
    return {"st": state, "comments": [(c, community.render_markdown(c.body)) for c in found], "me": user}


def following(request, kind: str, target: str) -> bool:
    """Whether the signed-in reader follows ``target`` (the follow buttons' state; their follows are
    read once per request). Pages that show it are per-reader: never from a shared page cache."""
    user = current_user(request) if request is not None else None
    if user is None:
        return False
    mine = getattr(request.state, "pw_follows", None)
    if mine is None:
        mine = request.state.pw_follows = community.following_set(store_of(request), user)
    return community.follow_key(kind, target) in mine


def install_templates() -> None:
    """Register the filters and globals on ``web.pages.templates`` (idempotent)."""
    env = pages.templates.env
    env.auto_reload = False  # packaged templates do not change while serving: no stat() per template use
    env.filters.update(
        paper_url=pages.paper_url, author_url=pages.author_url, author_feed_url=pages.author_feed_url,
        org_url=pages.org_url, category_url=pages.category_url, period_url=pages.period_url,
        step_label=pages.step_label, safe_href=pages.safe_href, short_date=pages.short_date,
        long_date=pages.long_date, authors_with_keys=pages.authors_with_keys, long_date_text=pages.long_date_text,
        timestamp_text=pages.timestamp_text, linkify=pages.linkify, stars=pages.stars,
        latex_text=latex_text, snippet_text=snippet_text,
    )
    env.globals.update(
        static_url=pages.static_url, version=__version__, category_names=browse.CATEGORY_NAMES,
        listing_labels=pages.LISTING_LABELS,
        viewer=viewer, card_state=card_state, card_mains=card_mains, paper_extras=paper_extras, csrf_for=csrf_token,
        following=following, site_url=site_url,
    )

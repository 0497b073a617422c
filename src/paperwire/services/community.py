"""Votes, ratings, follows and comments: the use cases behind the vote / thumbs buttons on every
card, the Following feed and the comment threads.

Upvotes: ``papers.upvotes`` keeps the count imported from Hugging Face; user votes are rows of their
own (one per user and paper, by primary key), and a paper's shown count is the sum of both.
Ratings (thumbs up/down) are private to their user and feed recommendations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import nh3
from markdown_it import MarkdownIt

from paperwire.context import Paperwire
from paperwire.keys import name_key
from paperwire.services.counts import Counts, counts
from paperwire.services.errors import AccountError
from paperwire.services.search import search
from paperwire.store import Paper, Store
from paperwire.store import accounts as db
from paperwire.store.accounts import Collection, Comment, User
from paperwire.store.ids import pk_of

FOLLOW_KINDS = {"author": "Author", "org": "Organisation", "category": "Category", "query": "Search"}
MAX_FOLLOWS = 500
MAX_COMMENT = 10_000
_CATEGORY = re.compile(r"[A-Za-z-]{1,20}(\.[A-Za-z-]{1,20})?")


class NotFound(LookupError):
    pass


def _pk(store: Store, paper_id: str) -> int:
    pk = pk_of(store, paper_id) if paper_id and len(paper_id) <= 200 and paper_id.isprintable() else None
    if pk is None:
        raise NotFound(f"no paper with id {paper_id[:100]}")
    return pk


# -- votes and ratings --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VoteState:
    paper_id: str
    imported: int
    user_votes: int
    voted: bool

    @property
    def total(self) -> int:
        return self.imported + self.user_votes


def vote(store: Store, user: User, paper_id: str, on: bool) -> VoteState:
    paper = store.get_paper(paper_id) if paper_id and len(paper_id) <= 200 and paper_id.isprintable() else None
    if paper is None:
        raise NotFound(f"no paper with id {paper_id[:100]}")
    count = db.set_vote(store, user.pk, paper.pk, on)
    return VoteState(paper.id, paper.upvotes, count, on)


def rate(store: Store, user: User, paper_id: str, value: int) -> int:
    if value not in (-1, 0, 1):
        raise AccountError("a rating is 1 (thumbs up), -1 (thumbs down) or 0 (none)", "value")
    db.set_rating(store, user.pk, _pk(store, paper_id), value)
    return value


def my_ratings(store: Store, user: User) -> list[dict]:
    return [{"paper_id": pid, "value": value} for pid, value in db.user_ratings(store, user.pk)]


@dataclass(slots=True)
class CardState:
    """Per-page state for paper cards: user-vote counts for everyone, and the viewer's own marks."""

    user: User | None = None
    csrf: str = ""
    counts: dict[int, int] = field(default_factory=dict)  # paper pk -> user votes
    comment_counts: dict[int, int] = field(default_factory=dict)  # paper pk -> visible local comments
    mine: set[int] = field(default_factory=set)
    ratings: dict[int, int] = field(default_factory=dict)
    collections: list[Collection] = field(default_factory=list)
    holding: dict[int, set[int]] = field(default_factory=dict)

    def total(self, paper: Paper) -> int:
        return Counts(self.counts, self.comment_counts).upvotes(paper)

    def num_comments(self, paper: Paper) -> int:
        return Counts(self.counts, self.comment_counts).num_comments(paper)

    def voted(self, paper: Paper) -> bool:
        return paper.pk in self.mine

    def rating(self, paper: Paper) -> int:
        return self.ratings.get(paper.pk, 0)

    def in_collection(self, paper: Paper, coll: Collection) -> bool:
        return coll.pk in self.holding.get(paper.pk, ())

    def in_reading_list(self, paper: Paper) -> bool:
        from paperwire.services.collections import find_reading_list

        found = find_reading_list(self.collections)
        return found is not None and self.in_collection(paper, found)


def card_state(store: Store, user: User | None, papers: list[Paper], csrf: str = "") -> CardState:
    """Everything the cards of one page need, in at most four queries (never one per card)."""
    pks = [p.pk for p in papers if p.pk is not None]
    local = counts(store, papers)
    state = CardState(user=user, csrf=csrf, counts=local.votes, comment_counts=local.comments)
    if user is not None:
        state.mine = db.voted(store, user.pk, pks)
        state.ratings = db.ratings_for(store, user.pk, pks)
        state.collections = db.user_collections(store, user.pk)
        if state.collections:
            state.holding = db.collections_holding(store, user.pk, pks)
    return state


# -- follows ------------------------------------------------------------------------------------------------
def normalize_target(kind: str, target: str) -> str:
    target = " ".join((target or "").split())
    if kind not in FOLLOW_KINDS:
        raise AccountError(f"kind must be one of {', '.join(FOLLOW_KINDS)}", "kind")
    if kind == "author":
        target = name_key(target.replace("-", " "))[:300]
    elif kind == "org":
        target = target.lower()[:200]
    elif kind == "category":
        if not _CATEGORY.fullmatch(target):
            raise AccountError("a category looks like cs.CL", "target")
    else:
        target = target[:200]
    if not target:
        raise AccountError("say what to follow", "target")
    return target


def follow(store: Store, user: User, kind: str, target: str, on: bool = True) -> str:
    target = normalize_target(kind, target)
    if on and len(db.user_follows(store, user.pk)) >= MAX_FOLLOWS:
        raise AccountError(f"at most {MAX_FOLLOWS} follows per account", "target")
    db.set_follow(store, user.pk, kind, target, on)
    return target


def follows(store: Store, user: User) -> list[dict]:
    return [{"kind": k, "target": t} for k, t in db.user_follows(store, user.pk)]


def following_set(store: Store, user: User) -> set[tuple[str, str]]:
    """The user's follows as (kind, normalised target) pairs (one query; for the follow buttons' state)."""
    return set(db.user_follows(store, user.pk))


def follow_key(kind: str, target: str) -> tuple[str, str] | None:
    """(kind, normalised target) as a follow stores it, or None when it cannot be followed."""
    try:
        return kind, normalize_target(kind, target)
    except AccountError:
        return None


@dataclass(frozen=True, slots=True)
class Followed:
    """One follow as the Following page lists it: ``name`` as people write it (the author's name on
    their papers, the organisation's name, the category with its arXiv name, the search as typed)."""

    kind: str
    target: str  # the stored key: what the follow buttons post and the pages' URLs use
    name: str
    note: str | None = None  # a category's arXiv name


def followed(store: Store, user: User) -> list[Followed]:
    """The user's follows with their names as written, by kind (authors, organisations, categories,
    searches) then name; two queries besides the follows themselves, however many there are."""
    from paperwire.services.browse import CATEGORY_NAMES
    from paperwire.store import queries

    pairs = db.user_follows(store, user.pk)
    authors = queries.author_names(store, [t for k, t in pairs if k == "author"])
    orgs = queries.organization_names(store, [t for k, t in pairs if k == "org"])
    out = []
    for kind, target in pairs:
        if kind == "author":  # an author with no paper here yet: the key's words capitalised
            out.append(Followed(kind, target, authors.get(target) or " ".join(w[:1].upper() + w[1:] for w in target.split())))
        elif kind == "org":
            out.append(Followed(kind, target, orgs.get(target) or target))
        elif kind == "category":
            out.append(Followed(kind, target, target, CATEGORY_NAMES.get(target)))
        else:
            out.append(Followed(kind, target, target))
    order = list(FOLLOW_KINDS)
    out.sort(key=lambda f: (order.index(f.kind) if f.kind in order else len(order), f.name.casefold()))
    return out


def following_feed(pw: Paperwire, user: User, *, page: int = 0, limit: int = 30,
                   since: datetime | None = None) -> tuple[list[Paper], bool]:  # fmt: skip
    """New papers from followed authors, organisations, categories and saved searches, newest first;
    returns (papers, has_next)."""
    want = (page + 1) * limit + 1
    found = following_papers(pw, user.pk, since=since, limit=want)
    chunk = found[page * limit : (page + 1) * limit + 1]
    return chunk[:limit], len(chunk) > limit


def following_papers(pw: Paperwire, user_pk: int, *, since: datetime | None = None, until: datetime | None = None,
                     limit: int = 30) -> list[Paper]:  # fmt: skip
    """The Following feed's query: papers by the user's followed authors, organisations and categories
    or matching their saved searches, published in [since, until), newest first. A fixed number of
    queries per user (one search per saved search), never one per paper; also used by the digest.

    A saved search runs the search page's search (:func:`paperwire.services.search.search`: the same
    parsing, filters typed in the query, ranking and mode), its best ``limit`` results taken."""
    store = pw.store
    found = {p.id: p for p in store.papers_by_ids(db.following_paper_ids(store, user_pk, since, limit))}
    for kind, query in db.user_follows(store, user_pk):
        if kind == "query":
            for paper in search(pw, query, limit=limit, with_snippets=False).papers:
                found.setdefault(paper.id, paper)
    found = list(found.values())
    if since is not None:
        found = [p for p in found if p.published >= since]
    if until is not None:
        found = [p for p in found if p.published < until]
    found.sort(key=lambda p: (p.published, p.id), reverse=True)
    return found


# -- comments -----------------------------------------------------------------------------------------------
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "hr"}


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to insert: raw HTML is not passed through by the parser, and nh3
    keeps only a small set of tags, http(s)/mailto links, and marks links rel="nofollow noopener"."""
    html = _md.render(text)
    html = re.sub(r"<(/?)h[12]>", r"<\1h3>", html)
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener ugc")  # fmt: skip


def _body(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise AccountError("write something first", "body")
    if len(text) > MAX_COMMENT:
        raise AccountError(f"a comment can have at most {MAX_COMMENT:,} characters", "body")
    return text


def add_comment(store: Store, user: User, paper_id: str, body: str) -> Comment:
    pk = db.add_comment(store, _pk(store, paper_id), user.pk, _body(body))
    return db.get_comment(store, pk)


def comments(store: Store, paper_id: str, viewer: User | None = None) -> list[Comment]:
    pk = _pk(store, paper_id)
    return db.paper_comments(store, pk, include_hidden=bool(viewer and viewer.is_admin))


def _own(store: Store, user: User, comment_pk: int) -> Comment:
    found = db.get_comment(store, comment_pk)
    if found is None or found.user_pk != user.pk:
        raise NotFound("no such comment")
    return found


def edit_comment(store: Store, user: User, comment_pk: int, body: str) -> Comment:
    _own(store, user, comment_pk)
    db.update_comment(store, comment_pk, body=_body(body), updated_at=db.utcnow())
    return db.get_comment(store, comment_pk)


def delete_comment(store: Store, user: User, comment_pk: int) -> None:
    found = db.get_comment(store, comment_pk)
    if found is None or (found.user_pk != user.pk and not user.is_admin):
        raise NotFound("no such comment")
    db.delete_comment(store, comment_pk)


def hide_comment(store: Store, admin: User, comment_pk: int, hidden: bool = True) -> None:
    if not admin.is_admin or db.get_comment(store, comment_pk) is None:
        raise NotFound("no such comment")
    db.update_comment(store, comment_pk, is_hidden=hidden)

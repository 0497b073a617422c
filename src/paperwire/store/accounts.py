"""Accounts data access (SQLAlchemy Core; SQLite and PostgreSQL): users, sessions, votes, ratings,
collections, follows, API tokens and comments. Plain functions over a :class:`Store`; no business rules
here (those live in ``services.accounts``), only queries that are exact under concurrency: votes and
items use the primary key and ``ON CONFLICT DO NOTHING``, so counts are ``COUNT(*)`` of real rows."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, cast, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paperwire.store import schema as t
from paperwire.store.schema_accounts import (
    api_tokens,
    collection_items,
    collections,
    comments,
    follows,
    ratings,
    user_sessions,
    users,
    votes,
)
from paperwire.store.store import Store, utcnow

CHUNK = 500
HANDLE_PREFIX = "reader-"


def new_slug() -> str:
    """A collection's public id: random, so never reused (and never all digits, which name a pk)."""
    return "c" + secrets.token_urlsafe(12)


def anonymous_handle(pk: int) -> str:
    """The public name of a user who chose none."""
    return f"{HANDLE_PREFIX}{pk}"


@dataclass(frozen=True, slots=True)
class User:
    pk: int
    email: str
    password_hash: str | None
    display_name: str | None
    is_admin: bool
    is_disabled: bool
    email_verified_at: datetime | None
    created_at: datetime

    @property
    def name(self) -> str:
        """The name shown to others: the chosen display name, else an anonymous handle (never any part
        of the email address)."""
        return self.display_name or anonymous_handle(self.pk)

    @property
    def verified(self) -> bool:
        return self.email_verified_at is not None


@dataclass(frozen=True, slots=True)
class Collection:
    pk: int
    user_pk: int
    name: str
    description: str | None
    is_public: bool
    created_at: datetime
    slug: str | None = None  # the public link's id (``/collections/<slug>``), never reused
    size: int = 0


@dataclass(frozen=True, slots=True)
class ApiToken:
    pk: int
    user_pk: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class Comment:
    pk: int
    paper_pk: int
    user_pk: int
    author: str
    body: str
    is_hidden: bool
    created_at: datetime
    updated_at: datetime | None


def _insert(store: Store, table):
    return (postgresql.insert if store.dialect == "postgresql" else sqlite.insert)(table)


def _user(row) -> User | None:
    return User(**row._mapping) if row is not None else None


# -- users ----------------------------------------------------------------------------------------------
def create_user(store: Store, email: str, password_hash: str | None, *, display_name: str | None = None,
                is_admin: bool = False, verified: bool = False) -> User | None:  # fmt: skip
    """The new user, or None when the email is taken (checked by the unique index, so races are safe)."""
    now = utcnow()
    stmt = _insert(store, users).values(
        email=email, password_hash=password_hash, display_name=display_name, is_admin=is_admin,
        is_disabled=False, email_verified_at=now if verified else None, created_at=now,
    ).on_conflict_do_nothing(index_elements=["email"]).returning(*users.c)  # fmt: skip
    with store.transaction() as conn:
        return _user(conn.execute(stmt).first())


def get_user(store: Store, pk: int) -> User | None:
    with store.connect() as conn:
        return _user(conn.execute(select(users).where(users.c.pk == pk)).first())


def user_by_email(store: Store, email: str) -> User | None:
    with store.connect() as conn:
        return _user(conn.execute(select(users).where(users.c.email == email)).first())


def update_user(store: Store, pk: int, **values) -> None:
    with store.transaction() as conn:
        conn.execute(update(users).where(users.c.pk == pk).values(**values))


def set_password(store: Store, pk: int, password_hash: str) -> None:
    """New password hash; every session of the user ends in the same transaction."""
    with store.transaction() as conn:
        conn.execute(update(users).where(users.c.pk == pk).values(password_hash=password_hash))
        conn.execute(delete(user_sessions).where(user_sessions.c.user_pk == pk))


def delete_user(store: Store, pk: int) -> bool:
    """Remove the user and everything they own (explicitly, not only by cascade)."""
    with store.transaction() as conn:
        mine = select(collections.c.pk).where(collections.c.user_pk == pk).scalar_subquery()
        conn.execute(delete(collection_items).where(collection_items.c.collection_pk.in_(mine)))
        from paperwire.store.schema_recommend import user_interests

        for table in (collections, votes, ratings, follows, api_tokens, comments, user_sessions, user_interests):
            conn.execute(delete(table).where(table.c.user_pk == pk))
        return conn.execute(delete(users).where(users.c.pk == pk)).rowcount > 0


# -- sessions ---------------------------------------------------------------------------------------------
def add_session(store: Store, user_pk: int, token_hash: str, expires_at: datetime) -> None:
    with store.transaction() as conn:
        conn.execute(insert(user_sessions).values(token_hash=token_hash, user_pk=user_pk, created_at=utcnow(),
                                                  expires_at=expires_at))  # fmt: skip


def user_by_session(store: Store, token_hash: str, now: datetime) -> User | None:
    query = (
        select(users).join(user_sessions, user_sessions.c.user_pk == users.c.pk)
        .where(user_sessions.c.token_hash == token_hash, user_sessions.c.expires_at > now)
    )  # fmt: skip
    with store.connect() as conn:
        return _user(conn.execute(query).first())


def delete_session(store: Store, token_hash: str) -> None:
    with store.transaction() as conn:
        conn.execute(delete(user_sessions).where(user_sessions.c.token_hash == token_hash))


def delete_sessions(store: Store, user_pk: int, *, keep: str | None = None) -> None:
    query = delete(user_sessions).where(user_sessions.c.user_pk == user_pk)
    if keep:
        query = query.where(user_sessions.c.token_hash != keep)
    with store.transaction() as conn:
        conn.execute(query)


def claim_submission(store: Store, paper_pk: int, submitter: str) -> bool:
    """Record who submitted a paper and when, unless someone already did (one conditional UPDATE, so
    two concurrent submissions cannot both win)."""
    p = t.papers.c
    with store.transaction() as conn:
        done = conn.execute(update(t.papers).where(p.pk == paper_pk, p.submitted_by.is_(None))
                            .values(submitted_by=submitter, submitted_at=utcnow()))  # fmt: skip
        return done.rowcount == 1


# -- votes ------------------------------------------------------------------------------------------------
def set_vote(store: Store, user_pk: int, paper_pk: int, on: bool) -> int:
    """Vote (or withdraw the vote); returns the number of user votes the paper has now."""
    with store.transaction() as conn:
        if on:
            conn.execute(_insert(store, votes).values(user_pk=user_pk, paper_pk=paper_pk, created_at=utcnow())
                         .on_conflict_do_nothing())  # fmt: skip
        else:
            conn.execute(delete(votes).where(votes.c.user_pk == user_pk, votes.c.paper_pk == paper_pk))
        return conn.execute(select(func.count()).where(votes.c.paper_pk == paper_pk)).scalar_one()


def vote_counts(store: Store, pks: Sequence[int]) -> dict[int, int]:
    """User votes per paper pk (papers without votes are left out); one query per 500 papers."""
    pks = sorted({pk for pk in pks if pk is not None})
    out: dict[int, int] = {}
    if not pks:
        return out
    with store.connect() as conn:
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start : start + CHUNK]
            query = select(votes.c.paper_pk, func.count()).where(votes.c.paper_pk.in_(chunk)).group_by(votes.c.paper_pk)
            out.update(conn.execute(query).all())
    return out


def voted(store: Store, user_pk: int, pks: Sequence[int]) -> set[int]:
    pks = sorted({pk for pk in pks if pk is not None})
    if not pks:
        return set()
    with store.connect() as conn:
        return set(conn.execute(select(votes.c.paper_pk).where(votes.c.user_pk == user_pk,
                                                               votes.c.paper_pk.in_(pks))).scalars())  # fmt: skip


def user_votes(store: Store, user_pk: int) -> list[str]:
    query = (select(t.papers.c.id).join(votes, votes.c.paper_pk == t.papers.c.pk)
             .where(votes.c.user_pk == user_pk).order_by(votes.c.created_at.desc()))  # fmt: skip
    with store.connect() as conn:
        return list(conn.execute(query).scalars())


# -- ratings ----------------------------------------------------------------------------------------------
def set_rating(store: Store, user_pk: int, paper_pk: int, value: int) -> None:
    """+1 / -1, or 0 to clear."""
    with store.transaction() as conn:
        if value == 0:
            conn.execute(delete(ratings).where(ratings.c.user_pk == user_pk, ratings.c.paper_pk == paper_pk))
            return
        stmt = _insert(store, ratings).values(user_pk=user_pk, paper_pk=paper_pk, value=value, updated_at=utcnow())
        conn.execute(stmt.on_conflict_do_update(index_elements=["user_pk", "paper_pk"],
                                                set_={"value": value, "updated_at": utcnow()}))  # fmt: skip


def ratings_for(store: Store, user_pk: int, pks: Sequence[int] | None = None) -> dict[int, int]:
    query = select(ratings.c.paper_pk, ratings.c.value).where(ratings.c.user_pk == user_pk)
    if pks is not None:
        pks = sorted({pk for pk in pks if pk is not None})
        if not pks:
            return {}
        query = query.where(ratings.c.paper_pk.in_(pks))
    with store.connect() as conn:
        return dict(conn.execute(query).all())


def user_ratings(store: Store, user_pk: int) -> list[tuple[str, int]]:
    query = (select(t.papers.c.id, ratings.c.value).join(ratings, ratings.c.paper_pk == t.papers.c.pk)
             .where(ratings.c.user_pk == user_pk).order_by(ratings.c.updated_at.desc()))  # fmt: skip
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


# -- collections ------------------------------------------------------------------------------------------
def _collection_query():
    size = select(func.count()).where(collection_items.c.collection_pk == collections.c.pk).scalar_subquery()
    return select(*collections.c, size.label("size"))


def create_collection(store: Store, user_pk: int, name: str, description: str | None, is_public: bool) -> Collection:
    with store.transaction() as conn:
        pk = conn.execute(insert(collections).values(user_pk=user_pk, name=name, description=description,
                                                     is_public=is_public, created_at=utcnow(), slug=new_slug())
                          .returning(collections.c.pk)).scalar_one()  # fmt: skip
        return Collection(**conn.execute(_collection_query().where(collections.c.pk == pk)).one()._mapping)


def get_collection(store: Store, pk: int) -> Collection | None:
    with store.connect() as conn:
        row = conn.execute(_collection_query().where(collections.c.pk == pk)).first()
    return Collection(**row._mapping) if row else None


def collection_by_slug(store: Store, slug: str) -> Collection | None:
    with store.connect() as conn:
        row = conn.execute(_collection_query().where(collections.c.slug == slug)).first()
    return Collection(**row._mapping) if row else None


def user_collections(store: Store, user_pk: int) -> list[Collection]:
    with store.connect() as conn:
        rows = conn.execute(_collection_query().where(collections.c.user_pk == user_pk)
                            .order_by(collections.c.name, collections.c.pk)).all()  # fmt: skip
    return [Collection(**r._mapping) for r in rows]


def update_collection(store: Store, pk: int, **values) -> None:
    with store.transaction() as conn:
        conn.execute(update(collections).where(collections.c.pk == pk).values(**values))


def delete_collection(store: Store, pk: int) -> None:
    with store.transaction() as conn:
        conn.execute(delete(collection_items).where(collection_items.c.collection_pk == pk))
        conn.execute(delete(collections).where(collections.c.pk == pk))


def add_items(store: Store, collection_pk: int, pks: Sequence[int]) -> int:
    """Add papers (already present ones are left alone); returns how many were new."""
    if not pks:
        return 0
    now = utcnow()
    with store.transaction() as conn:
        before = conn.execute(select(func.count()).where(collection_items.c.collection_pk == collection_pk)).scalar_one()
        conn.execute(_insert(store, collection_items).on_conflict_do_nothing(),
                     [{"collection_pk": collection_pk, "paper_pk": pk, "added_at": now} for pk in dict.fromkeys(pks)])
        after = conn.execute(select(func.count()).where(collection_items.c.collection_pk == collection_pk)).scalar_one()
    return after - before


def remove_item(store: Store, collection_pk: int, paper_pk: int) -> None:
    with store.transaction() as conn:
        conn.execute(delete(collection_items).where(collection_items.c.collection_pk == collection_pk,
                                                    collection_items.c.paper_pk == paper_pk))  # fmt: skip


def collection_paper_ids(store: Store, collection_pk: int) -> list[str]:
    query = (select(t.papers.c.id).join(collection_items, collection_items.c.paper_pk == t.papers.c.pk)
             .where(collection_items.c.collection_pk == collection_pk)
             .order_by(collection_items.c.added_at.desc(), t.papers.c.id))  # fmt: skip
    with store.connect() as conn:
        return list(conn.execute(query).scalars())


def collections_holding(store: Store, user_pk: int, pks: Sequence[int]) -> dict[int, set[int]]:
    """paper pk -> the user's collection pks that hold it."""
    pks = sorted({pk for pk in pks if pk is not None})
    if not pks:
        return {}
    query = (select(collection_items.c.paper_pk, collection_items.c.collection_pk)
             .join(collections, collections.c.pk == collection_items.c.collection_pk)
             .where(collections.c.user_pk == user_pk, collection_items.c.paper_pk.in_(pks)))  # fmt: skip
    out: dict[int, set[int]] = {}
    with store.connect() as conn:
        for paper, coll in conn.execute(query):
            out.setdefault(paper, set()).add(coll)
    return out


# -- follows ----------------------------------------------------------------------------------------------
def set_follow(store: Store, user_pk: int, kind: str, target: str, on: bool) -> None:
    with store.transaction() as conn:
        if on:
            conn.execute(_insert(store, follows).values(user_pk=user_pk, kind=kind, target=target, created_at=utcnow())
                         .on_conflict_do_nothing())  # fmt: skip
        else:
            conn.execute(delete(follows).where(follows.c.user_pk == user_pk, follows.c.kind == kind,
                                               follows.c.target == target))  # fmt: skip


def user_follows(store: Store, user_pk: int) -> list[tuple[str, str]]:
    query = select(follows.c.kind, follows.c.target).where(follows.c.user_pk == user_pk).order_by(follows.c.kind,
                                                                                                  follows.c.target)
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def following_paper_ids(store: Store, user_pk: int, since: datetime | None, limit: int, offset: int = 0) -> list[str]:
    """Ids of papers by followed authors, organisations or in followed categories, newest first."""
    p, pa, a, pc, o = t.papers, t.paper_authors, t.authors, t.paper_categories, t.organizations
    f = follows.c
    by_author = (select(pa.c.paper_pk).join(a, a.c.pk == pa.c.author_pk)
                 .join(follows, and_(f.kind == "author", f.target == a.c.key)).where(f.user_pk == user_pk))  # fmt: skip
    by_org = (select(p.c.pk).join(o, o.c.pk == p.c.organization_pk)
              .join(follows, and_(f.kind == "org", f.target == o.c.key)).where(f.user_pk == user_pk))  # fmt: skip
    by_cat = (select(pc.c.paper_pk).join(follows, and_(f.kind == "category", f.target == pc.c.category))
              .where(f.user_pk == user_pk))  # fmt: skip
    query = select(p.c.id).where(p.c.pk.in_(by_author.union(by_org, by_cat)))
    if since is not None:
        query = query.where(p.c.published >= since)
    query = query.order_by(p.c.published.desc(), p.c.id.desc()).limit(limit).offset(offset)
    with store.connect() as conn:
        return list(conn.execute(query).scalars())


# -- API tokens -------------------------------------------------------------------------------------------
def add_token(store: Store, user_pk: int, name: str, token_hash: str, prefix: str) -> ApiToken:
    with store.transaction() as conn:
        row = conn.execute(insert(api_tokens).values(user_pk=user_pk, name=name, token_hash=token_hash, prefix=prefix,
                                                     created_at=utcnow())
                           .returning(*(c for c in api_tokens.c if c.name != "token_hash"))).one()  # fmt: skip
    return ApiToken(**row._mapping)


def user_tokens(store: Store, user_pk: int) -> list[ApiToken]:
    cols = [c for c in api_tokens.c if c.name != "token_hash"]
    with store.connect() as conn:
        rows = conn.execute(select(*cols).where(api_tokens.c.user_pk == user_pk).order_by(api_tokens.c.pk)).all()
    return [ApiToken(**r._mapping) for r in rows]


def delete_token(store: Store, user_pk: int, token_pk: int) -> bool:
    with store.transaction() as conn:
        return conn.execute(delete(api_tokens).where(api_tokens.c.pk == token_pk,
                                                     api_tokens.c.user_pk == user_pk)).rowcount > 0  # fmt: skip


def delete_tokens(store: Store, user_pk: int) -> int:
    """Revoke every API token of the user; returns how many there were."""
    with store.transaction() as conn:
        return conn.execute(delete(api_tokens).where(api_tokens.c.user_pk == user_pk)).rowcount


def user_by_token(store: Store, token_hash: str) -> User | None:
    with store.transaction() as conn:
        row = conn.execute(select(users, api_tokens.c.pk.label("token_pk"))
                           .join(api_tokens, api_tokens.c.user_pk == users.c.pk)
                           .where(api_tokens.c.token_hash == token_hash)).first()  # fmt: skip
        if row is None:
            return None
        conn.execute(update(api_tokens).where(api_tokens.c.pk == row.token_pk).values(last_used_at=utcnow()))
        return User(**{k: v for k, v in row._mapping.items() if k != "token_pk"})


# -- comments ---------------------------------------------------------------------------------------------
def _comment_query():
    name = func.coalesce(users.c.display_name, literal(HANDLE_PREFIX) + cast(users.c.pk, String))
    return select(comments, name.label("author")).join(users, users.c.pk == comments.c.user_pk)


def add_comment(store: Store, paper_pk: int, user_pk: int, body: str) -> int:
    with store.transaction() as conn:
        return conn.execute(insert(comments).values(paper_pk=paper_pk, user_pk=user_pk, body=body, is_hidden=False,
                                                    created_at=utcnow()).returning(comments.c.pk)).scalar_one()  # fmt: skip


def get_comment(store: Store, pk: int) -> Comment | None:
    with store.connect() as conn:
        row = conn.execute(_comment_query().where(comments.c.pk == pk)).first()
    return Comment(**row._mapping) if row else None


def paper_comments(store: Store, paper_pk: int, *, include_hidden: bool = False) -> list[Comment]:
    query = _comment_query().where(comments.c.paper_pk == paper_pk)
    if not include_hidden:
        query = query.where(comments.c.is_hidden.is_(False))
    with store.connect() as conn:
        rows = conn.execute(query.order_by(comments.c.created_at, comments.c.pk)).all()
    return [Comment(**r._mapping) for r in rows]


def update_comment(store: Store, pk: int, **values) -> None:
    with store.transaction() as conn:
        conn.execute(update(comments).where(comments.c.pk == pk).values(**values))


def delete_comment(store: Store, pk: int) -> None:
    with store.transaction() as conn:
        conn.execute(delete(comments).where(comments.c.pk == pk))


def comment_counts(store: Store, pks: Sequence[int]) -> dict[int, int]:
    """Visible (not hidden) comments per paper pk (papers without any are left out); one query per
    500 papers."""
    pks = sorted({pk for pk in pks if pk is not None})
    out: dict[int, int] = {}
    with store.connect() as conn:
        for start in range(0, len(pks), CHUNK):
            query = (select(comments.c.paper_pk, func.count())
                     .where(comments.c.paper_pk.in_(pks[start : start + CHUNK]), comments.c.is_hidden.is_(False))
                     .group_by(comments.c.paper_pk))  # fmt: skip
            out.update(conn.execute(query).all())
    return out

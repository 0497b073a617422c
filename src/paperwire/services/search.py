"""Search use case. For now keyword search in the database (FTS5 / tsvector) over title and
abstract; the search issue adds semantic and hybrid ranking, filters and snippets behind this
same function."""
from __future__ import annotations

import re
from dataclasses import dataclass

from paperwire.store import Paper, Store

MAX_QUERY = 500  # characters kept from a query
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class SearchResult:
    query: str
    papers: list[Paper]
    total: int  # number of results returned (capped by limit + offset)


def terms(query: str) -> list[str]:
    """Plain words of a free-text query; every piece of query syntax is dropped, so any text is safe."""
    return _WORD.findall(query[:MAX_QUERY].casefold())[:32]


def search(store: Store, query: str, *, limit: int = 20, offset: int = 0) -> SearchResult:
    words = terms(query)
    if not words:
        return SearchResult(query=query, papers=[], total=0)
    with store.engine.connect() as conn:
        ids = store.keyword_ids(conn, words, limit=limit + offset)
    page = ids[offset : offset + limit]
    return SearchResult(query=query, papers=store.papers_by_ids(page), total=len(ids))

"""Read-side use cases for papers (feed, paper page). The web issue extends these."""
from __future__ import annotations

from paperwire.store import Paper, Store


def latest_papers(store: Store, limit: int = 50) -> list[Paper]:
    """The newest papers, most recent first."""
    return store.latest_papers(limit=max(1, min(limit, 200)))


def get_paper(store: Store, paper_id: str) -> Paper | None:
    return store.get_paper(paper_id.strip())

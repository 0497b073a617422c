"""Read-side use cases for papers (feed, paper page). The web issue extends these."""
from __future__ import annotations

from paperwire.ingest.normalize import paper_id as paper_id_of
from paperwire.store import Paper, Store


def get_paper(store: Store, paper_id: str) -> Paper | None:
    """The paper with this id; arXiv ids may carry a version or an ``arXiv:``/URL wrapping. An id
    that cannot exist (control characters, too long) is simply not found."""
    try:
        normalised = paper_id_of(paper_id)
    except ValueError:
        return None
    return store.get_paper(normalised) if normalised else None

"""One truth for a paper's counts: the upvotes and comments every page and every API object shows.

A paper's upvotes are the count imported from Hugging Face (``papers.upvotes``) plus the votes of this
instance's users; its comments are the count imported from Hugging Face (``papers.num_comments``) plus
the visible (not hidden) comments written here. :func:`counts` reads the local part of both for a page
of papers in two queries; cards, the paper page, the HF-compatible API, search and similar all add
them up through :class:`Counts`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from paperwire.store import Paper, Store
from paperwire.store import accounts as db


@dataclass(frozen=True, slots=True)
class Counts:
    votes: dict[int, int] = field(default_factory=dict)  # paper pk -> votes of this instance's users
    comments: dict[int, int] = field(default_factory=dict)  # paper pk -> visible local comments

    def local_votes(self, paper: Paper) -> int:
        return self.votes.get(paper.pk, 0)

    def local_comments(self, paper: Paper) -> int:
        return self.comments.get(paper.pk, 0)

    def upvotes(self, paper: Paper) -> int:
        """Imported plus local upvotes: the number shown everywhere."""
        return paper.upvotes + self.local_votes(paper)

    def num_comments(self, paper: Paper) -> int:
        """Imported plus visible local comments: the number shown everywhere."""
        return paper.num_comments + self.local_comments(paper)


def counts(store: Store, papers: Iterable[Paper]) -> Counts:
    """The local votes and comments of ``papers`` (two queries, whatever their number)."""
    pks = [p.pk for p in papers if p.pk is not None]
    if not pks:
        return Counts()
    return Counts(db.vote_counts(store, pks), db.comment_counts(store, pks))

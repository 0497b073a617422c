"""How a paper seen again combines with what is stored (pure).

Merging a paper with itself changes nothing, so re-ingesting or resuming after a crash ends in the
same record. Values present win over missing ones (the newer value where both are present), so
arXiv metadata and Hugging Face upvotes/organisation combine into one record in either order; the
earliest publication date and the highest upvote and comment counts are kept; the stored paper
keeps its id and first source.
"""
from __future__ import annotations

from dataclasses import replace

from paperwire.ingest.normalize import title_key
from paperwire.store.models import Paper

_PREFER_NEW = ("title", "summary", "updated", "comment", "doi", "journal_ref", "abs_url", "pdf_url", "code_url",
               "project_url", "organization", "submitted_by")  # fmt: skip


def merge(old: Paper, new: Paper) -> Paper:
    changes = {name: getattr(new, name) for name in _PREFER_NEW if getattr(new, name) not in (None, "")}
    if new.authors:
        changes["authors"], changes["author_keys"] = new.authors, new.author_keys
    if new.categories:
        changes["categories"] = new.categories
    changes["published"] = min(old.published, new.published)
    changes["upvotes"] = max(old.upvotes, new.upvotes)
    changes["num_comments"] = max(old.num_comments, new.num_comments)
    merged = replace(old, **changes)
    return replace(merged, title_key=title_key(merged.title, merged.authors))

"""How a paper seen again combines with what is stored (pure).

Merging a paper with itself changes nothing, so re-ingesting or resuming after a crash ends in the
same record. Values present win over missing ones; where both are present the newer version of the
paper wins (the later ``updated`` time; on a tie, the record seen last), so an old dump ingested
after a fresh harvest does not roll a revised abstract back. arXiv metadata and Hugging Face
upvotes/organisation combine into one record in either order; the earliest publication date and
the highest upvote and comment counts are kept; the stored paper keeps its id and first source.
A Hugging Face record (its daily list, refreshed several times a day) brings counts, links and its
own fields but never rewrites a stored title, abstract or author list: arXiv's text stays.
A paper keeps its first listing (day and kind, so a replacement is not new again) and its first day on
Hugging Face's list; Hugging Face's AI summary, keywords, stars and thumbnail take their latest values.
"""
from __future__ import annotations

from dataclasses import replace

from paperwire.ingest.normalize import title_key
from paperwire.store.models import Paper

_PREFER_NEW = ("title", "summary", "updated", "comment", "doi", "journal_ref", "abs_url", "pdf_url", "code_url",
               "project_url", "organization", "submitted_by")  # fmt: skip
_LATEST = ("ai_summary", "ai_keywords", "github_stars", "thumbnail")  # Hugging Face's current values win
_FIRST = ("listing", "hf_day")  # how and when it was first listed: a replacement is not new again


_TEXT = ("title", "summary")


def merge(old: Paper, new: Paper) -> Paper:
    older = new.updated is not None and old.updated is not None and new.updated < old.updated
    primary, fallback = (old, new) if older else (new, old)  # present values of the newer version win
    text_primary, text_fallback = (old, new) if new.source == "hf" else (primary, fallback)

    def pick(name: str, first: Paper = primary, second: Paper = fallback):
        value = getattr(first, name)
        return value if value not in (None, "", ()) else getattr(second, name)

    authors = text_primary if text_primary.authors else text_fallback
    merged = replace(
        old,
        **{name: pick(name) for name in _PREFER_NEW if name not in _TEXT},
        **{name: pick(name, text_primary, text_fallback) for name in _TEXT},
        authors=authors.authors,
        author_keys=authors.author_keys,
        categories=pick("categories"),
        published=min(old.published, new.published),
        **{name: pick(name, new, old) for name in _LATEST},
        **{name: pick(name, old, new) for name in _FIRST},
        announced_on=min(filter(None, (old.announced_on, new.announced_on)), default=None),
        upvotes=max(old.upvotes, new.upvotes),
        num_comments=max(old.num_comments, new.num_comments),
    )
    return replace(merged, title_key=title_key(merged.title, merged.authors))

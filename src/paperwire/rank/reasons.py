"""The one-line reason shown with each recommended paper (pure), taken from the part of the model
that scored it: the collaborative part ("readers of X also saved this"), the user's own liked papers
("because you liked X and Y") or the terms the content model weighs ("matches: diffusion, video").
A reason never names another user: the collaborative line names only a paper the user liked.
"""
from __future__ import annotations

from dataclasses import dataclass

LIKED_SIMILARITY = 0.55  # cosine above which a liked paper counts as "because you liked"
MAX_TITLE = 70
VERBS = {"rating": "liked", "saved": "saved", "upvote": "upvoted"}  # how the reader marked a paper


@dataclass(frozen=True)
class Evidence:
    content: float  # the content part of the blended score (z-score units)
    collaborative: float  # the collaborative part (0 when there is none)
    collaborative_title: str | None = None  # the user's liked paper whose readers saved this one
    # (title, cosine) or (title, cosine, signal kind: "rating", "saved", "upvote") of the user's most
    # similar liked papers; the line says "liked", "saved" or "upvoted" as the reader marked each one
    liked: tuple[tuple, ...] = ()
    terms: tuple[str, ...] = ()  # the terms the content model weighs most in this paper
    from_interests: bool = False  # the cold-start model (interests text / few ratings)
    interests_first: bool = False  # the interests text's part of the score outweighs the ratings' part
    interest_terms: tuple[str, ...] = ()  # the interests' terms found in this paper


def short(title: str, limit: int = MAX_TITLE) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _verb(entry: tuple) -> str:
    return VERBS.get(entry[2], "liked") if len(entry) > 2 else "liked"


def reason(e: Evidence) -> str:
    """One line, from the strongest evidence."""
    if e.collaborative_title and e.collaborative > 0 and e.collaborative >= e.content:
        return f"Readers of “{short(e.collaborative_title)}” also saved this"
    if e.interests_first and e.interest_terms:
        return f"Matches your interests: {', '.join(e.interest_terms)}"
    close = [entry for entry in e.liked if entry[1] >= LIKED_SIMILARITY]
    if len(close) >= 2:
        first, second = _verb(close[0]), _verb(close[1])
        both = f"{first} “{short(close[0][0], 45)}” and " + ("" if second == first else f"{second} ")
        return f"Because you {both}“{short(close[1][0], 45)}”"
    if close:
        return f"Because you {_verb(close[0])} “{short(close[0][0])}”"
    if e.terms:
        prefix = "Matches your interests" if e.from_interests else "Matches"
        return f"{prefix}: {', '.join(e.terms)}"
    if e.collaborative_title and e.collaborative > 0:
        return f"Readers of “{short(e.collaborative_title)}” also saved this"
    return "Close to papers you rated up" if not e.from_interests else "Close to your interests"

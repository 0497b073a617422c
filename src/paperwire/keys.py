"""Normalised keys of names and titles (pure; no I/O): what ingest stores authors under and what a
search's ``author:`` filter looks up, so both sides compute them the same way."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

NAME_KEY_MAX = 300  # characters of a name key (the length of ``authors.key``)

_NON_WORD = re.compile(r"[\W_]+")


def text_key(text: str, limit: int = NAME_KEY_MAX) -> str:
    """Accents stripped, case folded, punctuation and runs of spaces made one space; at most ``limit``
    characters."""
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())[:limit]


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """Normalised key of a name: accents stripped, case folded, punctuation removed (``José  García-L.``
    -> ``jose garcia l``)."""
    return text_key(name)

"""Normalised keys of names and titles (pure; no I/O): what ingest stores authors under and what a
search's ``author:`` filter looks up, so both sides compute them the same way."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

NAME_KEY_MAX = 300  # characters of a name key (the length of ``authors.key``)
NAME_INPUT_MAX = 4 * NAME_KEY_MAX  # characters of a name read to make its key (the key is shorter anyway)
NAME_CACHE_SIZE = 100_000  # names whose keys are remembered...
NAME_CACHE_CHARS = 100  # ...if they have at most this many characters: at most ~50 MB, whatever is asked

_NON_WORD = re.compile(r"[\W_]+")


def text_key(text: str, limit: int = NAME_KEY_MAX) -> str:
    """Accents stripped, case folded, punctuation and runs of spaces made one space; at most ``limit``
    characters."""
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())[:limit]


def name_key(name: str) -> str:
    """Normalised key of a name: accents stripped, case folded, punctuation removed (``José  García-L.``
    -> ``jose garcia l``). Keys of names up to NAME_CACHE_CHARS long are cached (ingest asks for the
    same authors again and again); longer ones, and only their first NAME_INPUT_MAX characters, are
    computed each time, so no input can grow the cache beyond its bound."""
    if len(name) <= NAME_CACHE_CHARS:
        return _cached_name_key(name)
    return text_key(name[:NAME_INPUT_MAX])


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _cached_name_key(name: str) -> str:
    return text_key(name)

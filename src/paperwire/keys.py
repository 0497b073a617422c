"""Normalised keys of names and titles, and arXiv ids from what people paste (pure; no I/O): what ingest
stores authors under and what a search's ``author:`` filter looks up, so both sides compute them the same way."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

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


_ARXIV_NEW = re.compile(r"(\d{4}\.\d{4,5})(?:v\d+)?")
_ARXIV_OLD = re.compile(r"([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")
_ARXIV_PREFIX = re.compile(r"^(?:arxiv:|https?://(?:export\.|www\.)?arxiv\.org/(?:abs|pdf)/)", re.IGNORECASE)


def arxiv_id(raw: Any) -> str | None:
    """``2401.12345`` from ``arXiv:2401.12345v2``, ``https://arxiv.org/abs/2401.12345v2``, ``.pdf`` links..."""
    if not isinstance(raw, str):
        return None
    text = _ARXIV_PREFIX.sub("", raw.strip())
    if text.endswith(".pdf"):
        text = text[:-4]
    match = _ARXIV_NEW.fullmatch(text) or _ARXIV_OLD.fullmatch(text)
    if not match:
        return None
    found = match.group(1)
    if "/" not in found and not 1 <= int(found[2:4]) <= 12:  # YYMM
        return None
    return found

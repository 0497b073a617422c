"""What the corpus's own words and names are, for reading a search query: the authors' names (to
recognise "Christopher D. Manning", "Manning, Christopher" or "C. D. Manning" typed as free text),
the vocabulary of titles and recent abstracts (symspellpy's dictionary, for "did you mean") and the
categories papers are listed in (the search page's category control).

Both are built from the database in one pass and kept in memory by the context
(``Paperwire.lexicon``); they are rebuilt in the background when papers or authors are added (the
old one serves meanwhile). Names are looked up by hashed name signatures in a sorted array
(``numpy.searchsorted``: microseconds per span, ~16 bytes per signature), never by scanning authors.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from paperwire.keys import text_key
from paperwire.store import Store
from paperwire.store import search_queries as sq

log = logging.getLogger(__name__)

MAX_NAME_WORDS = 5  # a span of more words is not looked up as a name
SPELL_ABSTRACTS = 5_000  # the newest abstracts whose words join the titles' in the spelling dictionary
SPELL_MIN_COUNT = 3  # a word seen fewer times is not a spelling (typos in titles are rare words)
SPELL_MAX_EDIT = 2
SPELL_PREFIX = 7
INLINE_PAPERS = 20_000  # a corpus this small has its first lexicon built within the search that needs it
INLINE_BUILD_S = 0.3  # a lexicon that built faster than this is rebuilt within the request that finds it stale
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)  # words of letters only, 3+ long


def signatures(key: str) -> list[str]:
    """The ways a name key may be typed: in full, first and last name (no middle names), all given
    names as initials, the first initial and the last name. ``christopher d manning`` ->
    [christopher d manning, christopher manning, c d manning, c manning]. Keys of one word: none."""
    words = key.split()
    if len(words) < 2 or len(words) > 8:
        return []
    given, last = words[:-1], words[-1]
    out = [key, f"{given[0]} {last}", " ".join(w[0] for w in given) + " " + last, f"{given[0][0]} {last}"]
    return list(dict.fromkeys(out))


def _hash(text: str) -> int:
    return hash(text)  # per process, as the index is: stable within it


@dataclass
class NameIndex:
    """Author pks by hashed name signature (sorted)."""

    hashes: np.ndarray  # int64, sorted
    pks: np.ndarray  # int64, the author of each hash

    words: frozenset = frozenset()  # every word of every name (not misspellings of a topic)

    @classmethod
    def build(cls, rows) -> "NameIndex":
        hashes: list[int] = []
        pks: list[int] = []
        words: set[str] = set()
        for batch in rows:
            for pk, key in batch:
                words.update(key.split())
                for sig in signatures(key):
                    hashes.append(_hash(sig))
                    pks.append(pk)
        h = np.array(hashes, dtype=np.int64)
        order = np.argsort(h, kind="stable")
        return cls(h[order], np.array(pks, dtype=np.int64)[order], frozenset(words))

    def lookup(self, key: str, limit: int = 50) -> list[int]:
        """Author pks with a signature hashing like ``key`` (to be checked against their keys)."""
        if not len(self.hashes):
            return []
        h = _hash(key)
        lo = int(np.searchsorted(self.hashes, h, "left"))
        hi = int(np.searchsorted(self.hashes, h, "right"))
        return self.pks[lo : min(hi, lo + limit)].tolist()

    def __len__(self) -> int:
        return len(self.hashes)


class Speller:
    """symspellpy over the corpus's words (titles and recent abstracts), with their counts."""

    def __init__(self, counts: Counter, names: frozenset = frozenset()):
        from symspellpy import SymSpell

        self.names = names  # words known as names: never corrected
        self._sym = SymSpell(max_dictionary_edit_distance=SPELL_MAX_EDIT, prefix_length=SPELL_PREFIX)
        self.counts = {w: c for w, c in counts.items() if c >= SPELL_MIN_COUNT}
        for word, count in self.counts.items():
            self._sym.create_dictionary_entry(word, count)

    def known(self, word: str) -> bool:
        return word in self.counts

    def correct(self, word: str) -> str | None:
        """The most frequent corpus word closest to ``word`` (1 edit for words up to 5 letters, else 2);
        None when ``word`` is itself a corpus word or nothing is close."""
        from symspellpy import Verbosity

        if word in self.counts or word in self.names or len(word) < 4 or not word.isalpha():
            return None
        found = self._sym.lookup(word, Verbosity.CLOSEST, max_edit_distance=1 if len(word) <= 5 else 2)
        if not found:
            return None
        best = max(found, key=lambda s: (-s.distance, s.count))
        return best.term if best.term != word else None


@dataclass
class Lexicon:
    names: NameIndex
    speller: Speller
    token: object
    built_s: float
    categories: list[tuple[str, int]]  # the instance's categories with their papers, most first


def build(store: Store, token: object = None) -> Lexicon:
    started = time.monotonic()
    token = sq.corpus_token(store) if token is None else token
    names = NameIndex.build(sq.author_keys(store))
    counts: Counter = Counter()
    for texts in sq.title_texts(store, abstracts=SPELL_ABSTRACTS):
        for text in texts:
            counts.update(_WORD.findall(text_key(text or "", limit=100_000)))
    speller = Speller(counts, names.words)
    categories = sq.category_counts(store)
    return Lexicon(names, speller, token, time.monotonic() - started, categories)


class Lexicons:
    """The context's lexicon of one store, or None while the first one is being built. Built on first
    use: at once for a small corpus (at most INLINE_PAPERS papers), else in the background (75k papers:
    ~5-20 s) while searches go without names and spelling. Rebuilt when papers or authors were added
    (two indexed max() reads per search tell): at once when the last build took under INLINE_BUILD_S,
    else in the background while the previous one serves."""

    def __init__(self, store: Store):
        self.store = store
        self._current: Lexicon | None = None
        self._lock = threading.Lock()
        self._rebuilding = False

    def get(self) -> Lexicon | None:
        current = self._current
        token = sq.corpus_token(self.store)
        if current is not None and token == current.token:
            return current
        small = token[0] <= INLINE_PAPERS if current is None else current.built_s < INLINE_BUILD_S
        if not small:
            self._rebuild(token)
            return current
        with self._lock:
            if self._current is None or self._current.token != token:
                self._current = build(self.store, token)
            return self._current

    def _rebuild(self, token: object) -> None:
        with self._lock:
            if self._rebuilding:
                return
            self._rebuilding = True

        def run() -> None:
            try:
                lexicon = build(self.store, token)
                log.info("lexicon built in %.1f s (%d name signatures, %d words)", lexicon.built_s,
                         len(lexicon.names), len(lexicon.speller.counts))  # fmt: skip
                self._current = lexicon
            except Exception:  # noqa: BLE001 - the previous lexicon keeps serving
                log.exception("building the lexicon failed")
            finally:
                self._rebuilding = False

        threading.Thread(target=run, name="paperwire-lexicon", daemon=True).start()

    def refresh(self) -> Lexicon:
        """Build now (tests, benchmarks, a front end warming up)."""
        with self._lock:
            self._current = build(self.store)
            return self._current

"""Factory helpers for tests (linkding style): build records and papers with sensible defaults."""
from __future__ import annotations

import itertools
from datetime import datetime

from paperwire.ingest.normalize import normalize
from paperwire.sources.records import PaperRecord
from paperwire.store import Paper

_counter = itertools.count(1)


def make_record(**fields) -> PaperRecord:
    n = next(_counter)
    defaults = dict(
        origin=f"test:{n}", source="file", id=f"2601.{n:05d}", title=f"A study of things number {n}",
        summary="We study things.", authors=["Ada Lovelace", "Alan Turing"], categories=["cs.CL", "cs.AI"],
        published="2026-01-15",
    )  # fmt: skip
    defaults.update(fields)
    return PaperRecord(**defaults)


def make_paper(**fields) -> Paper:
    paper = normalize(make_record(**{k: v for k, v in fields.items() if k in PaperRecord.__dataclass_fields__}))
    assert isinstance(paper, Paper), paper
    return paper


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)

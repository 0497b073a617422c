"""The plain record every source yields, and the problem report for unreadable input."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(slots=True)
class PaperRecord:
    """One paper as a source found it: values are raw (strings, lists, dicts).

    ``origin`` says where it came from: ``path:line`` for files, a URL for the network.
    ``source`` is the kind of source: ``file``, ``arxiv``, ``oai``, ``hf``.
    Field values keep the spelling-independent meaning; ingest normalises them.
    """

    origin: str
    source: str
    id: str | None = None                 # arXiv id (any version/URL form) or an id given in the input
    title: Any = None
    summary: Any = None
    authors: Any = None                   # list[str] | list[{"name": ...}] | "A, B and C"
    categories: Any = None                # list[str] | "cs.CL cs.AI" | "cs.CL, cs.AI"
    published: Any = None                 # str (ISO date/datetime, RFC 2822) | date | datetime
    updated: Any = None
    comment: Any = None
    doi: Any = None
    journal_ref: Any = None
    abs_url: Any = None
    pdf_url: Any = None
    code_url: Any = None                  # code repository (GitHub etc.)
    project_url: Any = None               # project page
    upvotes: Any = None
    organization: Any = None              # str | {"name": ..., "fullname": ...}
    submitted_by: Any = None              # str | {"name"/"user": ..., "fullname": ...}
    num_comments: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RecordProblem:
    """Input that could not be turned into a record (or a record that failed validation)."""

    origin: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.origin}: field '{self.field}'" if self.field else self.origin
        return f"{where}: {self.message}"


SourceItem = Union[PaperRecord, RecordProblem]

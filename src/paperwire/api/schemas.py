"""The JSON shapes of the Hugging Face–compatible API, for the OpenAPI schema.

Field names and nesting follow what ``huggingface_hub`` parses (``PaperInfo``, ``PaperAuthor``,
``User``, ``Organization`` in ``hf_api.py``) and what huggingface.co sends. The routes build plain
dicts with these keys (``api.hf_shapes``) and encode them with orjson; these models only document
them. Keys whose value would be null are left out, as the Hub does.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class Author(_Shape):
    name: str
    hidden: bool = False


class HubOrganization(_Shape):
    name: str = Field(description="The organisation's handle (lower case).")
    fullname: str = Field(description="Its display name.")


class HubUser(_Shape):
    user: str = Field(description="Username (what huggingface_hub reads).")
    name: str = Field(description="Username again (what huggingface.co sends at the top level).")
    fullname: str
    type: str = "user"


class PaperFields(_Shape):
    id: str = Field(description="arXiv id without version (2401.12345, hep-th/9901001) or the id given on ingest.")
    title: str
    summary: str = Field(description="The abstract, as plain text (LaTeX kept as written).")
    authors: list[Author]
    publishedAt: str = Field(description="Publication time, UTC, e.g. 2024-01-08T18:47:34.000Z.")
    submittedOnDailyAt: str = Field(description="When the paper appeared in the daily feed: when a user here submitted it, else its publication time.")
    upvotes: int
    numComments: int = 0
    githubRepo: str | None = Field(None, description="Code repository.")
    projectPage: str | None = None
    organization: HubOrganization | None = None
    submittedOnDailyBy: HubUser | None = None


class PaperDetail(PaperFields):
    """``GET /api/papers/{id}``: the paper's fields at the top level, plus paperwire's extras."""

    categories: list[str] = []
    arxivUrl: str | None = None
    pdfUrl: str | None = None
    doi: str | None = None
    url: str = Field(description="The paper's page on this site.")


class DailyPaper(_Shape):
    """One item of ``GET /api/daily_papers`` and ``GET /api/papers/search``."""

    paper: PaperFields
    publishedAt: str = Field(description="When it was listed in the daily feed (huggingface_hub's submitted_at): the submission time, else the publication time.")
    title: str
    summary: str
    upvotes: int
    numComments: int
    githubRepo: str | None = None
    projectPage: str | None = None
    submittedBy: HubUser | None = None
    organization: HubOrganization | None = None

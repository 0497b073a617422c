"""Papers as the Hugging Face Hub shows them: daily-paper items, the paper object and the Markdown
page. Pure functions over :class:`paperwire.store.Paper`; see ``api.schemas`` for the documented
shapes. huggingface_hub's ``PaperInfo`` reads the paper's id, authors, publication time, summary and
upvotes from ``paper`` and everything else (title, numComments, publishedAt = when listed,
submittedBy, organization, githubRepo, projectPage) from the top level, so both levels are filled.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from paperwire.store import Paper


def timestamp(value: datetime) -> str:
    """The Hub's time format (``2024-01-08T18:47:34.000Z``); stored times are naive UTC."""
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def page_url(base_url: str, paper_id: str) -> str:
    return f"{base_url.rstrip('/')}/papers/{quote(paper_id, safe='/')}"


def _user(handle: str) -> dict:
    # huggingface_hub's User reads the username from "user"; huggingface.co's top-level submittedBy
    # carries it as "name". Only the handle is stored, so it is the full name too.
    return {"user": handle, "name": handle, "fullname": handle, "type": "user"}


def _organization(paper: Paper) -> dict | None:
    org = paper.organization
    return {"name": org.key, "fullname": org.name} if org else None


def paper_fields(paper: Paper, local_comments: int = 0, local_votes: int = 0) -> dict:
    """The ``paper`` object of a daily item (also the body of ``/api/papers/{id}``). ``upvotes`` and
    ``numComments`` are the counts imported from Hugging Face plus ``local_votes`` and
    ``local_comments``, this instance's votes and visible comments (``services.counts``: the same sum
    the pages show)."""
    published = timestamp(paper.published)
    out = {
        "id": paper.id,
        "authors": [{"name": name, "hidden": False} for name in paper.authors],
        "publishedAt": published,
        "submittedOnDailyAt": timestamp(paper.submitted_at) if paper.submitted_at else (
            timestamp(datetime.combine(paper.hf_day, datetime.min.time())) if paper.hf_day else published),
        "title": paper.title,
        "summary": paper.summary,
        "upvotes": paper.upvotes + local_votes,
        "numComments": paper.num_comments + local_comments,
    }
    if paper.code_url:
        out["githubRepo"] = paper.code_url
    if paper.project_url:
        out["projectPage"] = paper.project_url
    if paper.github_stars is not None:
        out["githubStars"] = paper.github_stars
    if paper.ai_summary:
        out["ai_summary"] = paper.ai_summary
    if paper.ai_keywords:
        out["ai_keywords"] = list(paper.ai_keywords)
    if paper.thumbnail:
        out["thumbnail"] = paper.thumbnail
    if paper.organization:
        out["organization"] = _organization(paper)
    if paper.submitted_by:
        out["submittedOnDailyBy"] = _user(paper.submitted_by)
    return out


def paper_detail(paper: Paper, base_url: str, local_comments: int = 0, local_votes: int = 0) -> dict:
    """``GET /api/papers/{id}``: the paper's fields at the top level, plus paperwire's extras."""
    out = paper_fields(paper, local_comments, local_votes)
    out["categories"] = list(paper.categories)
    if paper.announced_on:
        out["listedOn"] = paper.announced_on.isoformat()  # the arXiv listing day
    if paper.listing:
        out["listing"] = paper.listing  # new, cross or replace
    for key, value in (("arxivUrl", paper.abs_url), ("pdfUrl", paper.pdf_url), ("doi", paper.doi)):
        if value:
            out[key] = value
    out["url"] = page_url(base_url, paper.id)
    return out


def daily_item(paper: Paper, local_comments: int = 0, local_votes: int = 0) -> dict:
    """One item of ``/api/daily_papers`` and ``/api/papers/search``."""
    fields = paper_fields(paper, local_comments, local_votes)
    item = {
        "paper": fields,
        "publishedAt": fields["submittedOnDailyAt"],
        "title": paper.title,
        "summary": paper.summary,
        # also at the top level: PaperInfo reads `paper.upvotes or upvotes`, so 0 would become None
        "upvotes": fields["upvotes"],
        "numComments": fields["numComments"],
    }
    for key in ("githubRepo", "githubStars", "projectPage", "organization", "ai_summary", "ai_keywords", "thumbnail"):
        if key in fields:
            item[key] = fields[key]
    if paper.submitted_by:
        item["submittedBy"] = fields["submittedOnDailyBy"]
    return item


# -- Markdown (``GET /papers/{id}.md``, huggingface_hub's ``read_paper``) ---------------------------
_MD_ENTITIES = str.maketrans({"<": "&lt;", ">": "&gt;", "[": "&#91;", "]": "&#93;"})


def _md_text(text: str) -> str:
    """Text for Markdown that no renderer turns into HTML, a link or an image: ``<`` and ``>`` (raw
    HTML, autolinks) and ``[`` and ``]`` (links, images, reference definitions) become entities,
    which render as the characters themselves (a backslash escape could be undone by a preceding
    backslash; an entity never builds syntax). Everything else, LaTeX included, is left as written."""
    return text.translate(_MD_ENTITIES)


def _md_url(url: str) -> str:
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


def paper_markdown(paper: Paper, base_url: str, local_votes: int = 0) -> str:
    lines = [f"# {_md_text(paper.title)}", ""]
    if paper.authors:
        lines.append(f"**Authors:** {_md_text(', '.join(paper.authors))}  ")
    if paper.organization:
        lines.append(f"**Organization:** {_md_text(paper.organization.name)}  ")
    lines.append(f"**Published:** {paper.published.date().isoformat()}  ")
    if paper.updated and paper.updated.date() != paper.published.date():
        lines.append(f"**Updated:** {paper.updated.date().isoformat()}  ")
    if paper.categories:
        lines.append(f"**Categories:** {_md_text(', '.join(paper.categories))}  ")
    lines.append(f"**Upvotes:** {paper.upvotes + local_votes}  ")
    if paper.submitted_by:
        lines.append(f"**Submitted by:** {_md_text(paper.submitted_by)}  ")
    if paper.comment:
        lines.append(f"**Comment:** {_md_text(paper.comment)}  ")
    if paper.journal_ref:
        lines.append(f"**Journal reference:** {_md_text(paper.journal_ref)}  ")
    if paper.doi:
        lines.append(f"**DOI:** {_md_text(paper.doi)}  ")
    links = [("arXiv", paper.abs_url), ("PDF", paper.pdf_url), ("Code", paper.code_url),
             ("Project page", paper.project_url), ("paperwire", page_url(base_url, paper.id))]  # fmt: skip
    lines += ["", "## Links", ""]
    lines += [f"- {label}: <{_md_url(url)}>" for label, url in links if url]
    lines += ["", "## Abstract", "", _md_text(paper.summary) if paper.summary else "(no abstract)", ""]
    return "\n".join(lines)

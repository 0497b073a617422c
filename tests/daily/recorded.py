"""Recorded-style arXiv OAI-PMH and Hugging Face daily-papers responses, built from real metadata and
served on localhost, for the daily loop's tests and ``benchmarks/daily_cycle.py``.

The metadata is real (``../shared/data/arxiv``: titles, abstracts, authors, categories); what a test
chooses is *when* and *how* each paper is listed: the OAI header datestamp (arXiv writes it at the
announcement), whether it is a replacement (``<updated>`` and an old ``<created>``), and the day it is
on Hugging Face's list with its upvotes, stars and AI fields. The documents have the shape of what
the live services send (``tests/fixtures/oai`` and ``tests/fixtures/hf`` are real captures):

- ``GET /oai?verb=ListRecords&metadataPrefix=arXiv[&set=][&from=][&until=]`` and
  ``...&resumptionToken=`` — pages of ``page_size`` records, ``noRecordsMatch`` when nothing is in the
  window, ``badResumptionToken`` for a token it never gave;
- ``GET /api/daily_papers?date=YYYY-MM-DD[&limit=][&p=]`` — the day's list (``[]`` for a day without one).

``RecordedServer`` is independent of pytest (the benchmark uses it); ``tests/daily/conftest.py`` wraps
it as the ``recorded`` fixture. ``delay`` slows every response (a harvest to kill midway, two
harvests that overlap); ``requests`` counts what was asked.
"""
from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SHARED = Path(os.environ.get("PAPERWIRE_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
SAMPLE = SHARED / "arxiv" / "arxiv_sample_2k.jsonl"
FULL = SHARED / "arxiv" / "arxiv_cs_2025_2026.jsonl.gz"
HF_PAPERS = SHARED / "hf_daily" / "papers.json"

OAI_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
            'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n')  # fmt: skip
ARXIV_OPEN = ('<arXiv xmlns="http://arxiv.org/OAI/arXiv/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
              'xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">')  # fmt: skip
XML = "text/xml; charset=utf-8"
GITHUB = re.compile(r"https?://github\.com/[\w.-]+/[\w.-]+")


# -- real metadata ----------------------------------------------------------------------------------
def read_arxiv(n: int, *, offset: int = 0, path: Path | None = None) -> list[dict]:
    """``n`` papers of the bundled arXiv metadata from line ``offset`` (the 2k sample when it has
    enough, else the 75k file)."""
    path = path or (SAMPLE if offset + n <= 2000 else FULL)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in itertools.islice(f, offset, offset + n)]


def real_upvotes() -> list[int]:
    """Upvote counts scraped from huggingface.co/papers (``hf_daily/papers.json``), in file order."""
    if not HF_PAPERS.exists():
        return [14, 3, 52, 7, 120, 9, 31, 2, 18, 66]
    return [entry["upvotes"] for entry in json.loads(HF_PAPERS.read_text()).values()]


def set_specs(categories: Sequence[str]) -> list[str]:
    """The OAI sets a paper of ``categories`` is in (``cs``, ``eess``, ``physics:astro-ph`` ...)."""
    out: list[str] = []
    for category in categories:
        archive = category.split(".")[0]
        spec = archive if archive in ("cs", "math", "stat", "q-bio", "q-fin", "eess", "econ") else f"physics:{archive}"
        if spec not in out:
            out.append(spec)
    return out


# -- arXiv OAI-PMH ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OaiRecord:
    paper: dict  # a line of the bundled metadata
    datestamp: date  # when arXiv announced this version
    created: date  # v1
    updated: date | None = None  # a replacement's new version
    sets: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.paper["id"]

    def xml(self) -> str:
        p = self.paper
        authors = "".join(_author_xml(name) for name in p.get("authors") or [])
        parts = [f"<id>{escape(p['id'])}</id><created>{self.created.isoformat()}</created>"]
        if self.updated:
            parts.append(f"<updated>{self.updated.isoformat()}</updated>")
        parts.append(f"<authors>{authors}</authors><title>{escape(p['title'])}</title>")
        parts.append(f"<categories>{escape(' '.join(p.get('categories') or []))}</categories>")
        if p.get("comment"):
            parts.append(f"<comments>{escape(p['comment'])}</comments>")
        parts.append("<license>http://creativecommons.org/licenses/by/4.0/</license>")
        parts.append(f"<abstract>  {escape(p['summary'])}\n</abstract>")
        specs = "".join(f"\n <setSpec>{escape(s)}</setSpec>" for s in self.sets)
        return (f"<record>\n<header>\n <identifier>oai:arXiv.org:{escape(p['id'])}</identifier>\n"
                f" <datestamp>{self.datestamp.isoformat()}</datestamp>{specs}\n</header>\n<metadata>\n "
                f"{ARXIV_OPEN}\n {''.join(parts)}</arXiv>\n</metadata>\n</record>\n")  # fmt: skip


def _author_xml(name: str) -> str:
    words = name.split()
    if len(words) == 1:
        return f"<author><keyname>{escape(words[0])}</keyname></author>"
    return (f"<author><keyname>{escape(words[-1])}</keyname>"
            f"<forenames>{escape(' '.join(words[:-1]))}</forenames></author>")  # fmt: skip


def listing(papers: Iterable[dict], datestamp: date, *, replaced: Iterable[str] = ()) -> list[OaiRecord]:
    """The OAI records of one announcement: every paper stamped ``datestamp``; new submissions were
    created the weekday before; those in ``replaced`` keep their real (older) first date and carry
    an ``<updated>`` version of the day before."""
    replaced = set(replaced)
    before = datestamp - timedelta(days=3 if datestamp.weekday() == 0 else 1)
    out = []
    for paper in papers:
        sets = tuple(set_specs(paper.get("categories") or ["cs.AI"]))
        if paper["id"] in replaced:
            created = min(date.fromisoformat(paper["published"]), datestamp - timedelta(days=60))
            out.append(OaiRecord(paper, datestamp, created, updated=before, sets=sets))
        else:
            out.append(OaiRecord(paper, datestamp, before, sets=sets))
    return out


def oai_error(code: str, message: str, request: str = "") -> str:
    return (f"{OAI_HEAD}<responseDate>{_now()}</responseDate>\n<request verb=\"ListRecords\">{escape(request)}"
            f"</request>\n<error code={quoteattr(code)}>{escape(message)}</error>\n</OAI-PMH>\n")  # fmt: skip


def _hex(*parts) -> str:
    """A stable 24-hex-digit id (the Hub's ``_id`` shape)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def _now() -> str:
    return datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


# -- Hugging Face daily papers ----------------------------------------------------------------------
def hf_item(paper: dict, day: date, *, upvotes: int, stars: int | None = None, github: str | None = None,
            title: str | None = None, comments: int = 0, organization: str | None = None,
            submitter: str = "akhaliq", ai_summary: str | None = None,
            ai_keywords: Sequence[str] | None = None) -> dict:  # fmt: skip
    """One ``/api/daily_papers`` item, the fields where ``huggingface_hub.PaperInfo`` reads them. The AI
    summary defaults to the abstract's first sentence and the keywords to the title's longest words;
    the GitHub link to the one in the abstract, if any (then ``stars`` are its stars)."""
    pid = paper["id"]
    summary = paper["summary"]
    github = github or (m.group(0).rstrip(".") if (m := GITHUB.search(summary)) else None)
    ai_summary = ai_summary if ai_summary is not None else summary.split(". ")[0].rstrip(".") + "."
    words = sorted({w.strip(":,()").lower() for w in paper["title"].split() if len(w) > 6}, key=lambda w: (-len(w), w))
    ai_keywords = list(ai_keywords) if ai_keywords is not None else words[:5]
    listed = f"{day.isoformat()}T13:{len(pid) % 60:02d}:00.000Z"
    inner = {
        "id": pid,
        "authors": [{"_id": _hex(pid, i), "name": name, "hidden": False}
                    for i, name in enumerate(paper.get("authors") or [])],  # fmt: skip
        "mediaUrls": [],
        "publishedAt": f"{(day - timedelta(days=1)).isoformat()}T17:59:58.000Z",
        "submittedOnDailyAt": listed,
        "title": paper["title"],
        "summary": summary,
        "upvotes": upvotes,
        "discussionId": _hex(pid),
        "ai_summary": ai_summary,
        "ai_keywords": ai_keywords,
    }
    if github:
        inner["githubRepo"] = github
        if stars is not None:
            inner["githubStars"] = stars
    item = {
        "paper": inner,
        "publishedAt": listed,
        "title": title or paper["title"],
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{pid}.png",
        "numComments": comments,
        "submittedBy": {"_id": "60f1abe7544c2adfd699860c", "avatarUrl": "/avatars/akhaliq.svg",
                        "fullname": "AK", "name": submitter, "type": "user"},  # fmt: skip
        "isAuthorParticipating": False,
    }
    if organization:
        item["organization"] = {"_id": _hex(organization), "name": organization,
                                "fullname": organization.title(), "avatar": f"/avatars/{organization}.png"}  # fmt: skip
    return item


def hf_day(papers: Sequence[dict], day: date, *, upvotes: Sequence[int] | None = None, stars: int = 40,
           organizations: Sequence[str | None] = ("google", None, "meta", None, None)) -> list[dict]:  # fmt: skip
    """A day's list: ``papers`` with real upvote counts (most upvoted first, as the site sorts them)."""
    votes = list(upvotes) if upvotes is not None else real_upvotes()
    items = [hf_item(p, day, upvotes=votes[i % len(votes)], stars=stars + 7 * i, comments=i % 4,
                     organization=organizations[i % len(organizations)])  # fmt: skip
             for i, p in enumerate(papers)]
    return sorted(items, key=lambda item: -item["paper"]["upvotes"])


# -- the server ---------------------------------------------------------------------------------------
@dataclass
class RecordedServer:
    """arXiv OAI-PMH at ``/oai`` and Hugging Face at ``/api/daily_papers`` on 127.0.0.1 (threaded)."""

    page_size: int = 100
    delay: float = 0.0  # seconds every response waits
    records: list[OaiRecord] = field(default_factory=list)
    days: dict[date, list[dict]] = field(default_factory=dict)
    requests: list[tuple[str, dict]] = field(default_factory=list)  # (path, query) in arrival order

    def __post_init__(self):
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[tuple[OaiRecord, ...], int, str]] = {}
        self._server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self._server.expect_request("/oai").respond_with_handler(self._oai)
        self._server.expect_request("/api/daily_papers").respond_with_handler(self._hf)

    # what is served
    def add_listing(self, records: Iterable[OaiRecord]) -> None:
        with self._lock:
            self.records.extend(records)
            self.records.sort(key=lambda r: (r.datestamp, r.id))

    def set_day(self, day: date, items: list[dict]) -> None:
        with self._lock:
            self.days[day] = items

    # where
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def oai_url(self) -> str:
        return f"{self.url}/oai"

    def settings(self) -> dict:
        """Settings fields pointing paperwire at this server."""
        return {"arxiv_oai_url": self.oai_url, "hf_endpoint": self.url}

    def env(self) -> dict:
        return {"PAPERWIRE_ARXIV_OAI_URL": self.oai_url, "PAPERWIRE_HF_ENDPOINT": self.url}

    def start(self) -> "RecordedServer":
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server.is_running():
            self._server.clear()
            self._server.stop()

    def __enter__(self) -> "RecordedServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def count(self, path: str = "/oai", **match: str) -> int:
        """Requests to ``path`` whose query has the given values (``resumptionToken=None``: without one)."""
        with self._lock:
            found = list(self.requests)
        return sum(1 for p, q in found if p == path and all(q.get(k) == v for k, v in match.items()))

    # handlers
    def _record(self, request: Request) -> dict:
        query = {k: v for k, v in request.args.items()}
        with self._lock:
            self.requests.append((request.path, query))
        if self.delay:
            time.sleep(self.delay)
        return query

    def _oai(self, request: Request) -> Response:
        q = self._record(request)
        if q.get("verb") != "ListRecords":
            return _xml(oai_error("badVerb", f"Illegal verb {q.get('verb')!r}", self.oai_url))
        if "resumptionToken" in q:
            with self._lock:
                found = self._tokens.get(q["resumptionToken"])
            if found is None:
                return _xml(oai_error("badResumptionToken", "unknown or expired resumptionToken", self.oai_url))
            matched, offset, attrs = found
        else:
            if q.get("metadataPrefix") != "arXiv":
                return _xml(oai_error("cannotDisseminateFormat", "only metadataPrefix=arXiv is recorded", self.oai_url))
            try:
                since = date.fromisoformat(q["from"]) if q.get("from") else None
                until = date.fromisoformat(q["until"]) if q.get("until") else None
            except ValueError:
                return _xml(oai_error("badArgument", "bad from/until", self.oai_url))
            wanted = q.get("set")
            with self._lock:
                matched = tuple(r for r in self.records
                                if (since is None or r.datestamp >= since) and (until is None or r.datestamp <= until)
                                and (not wanted or any(s == wanted or s.startswith(wanted + ":") for s in r.sets)))  # fmt: skip
            offset = 0
            attrs = " ".join(f'{k}="{escape(v)}"' for k, v in sorted(q.items()))
            if not matched:
                return _xml(oai_error("noRecordsMatch", "No records match the request", self.oai_url))
        page = matched[offset : offset + self.page_size]
        following = offset + len(page)
        if following < len(matched):
            token = f"{int(_hex(attrs)[:6], 16)}|{following + 1}"
            with self._lock:
                self._tokens[token] = (matched, following, attrs)
            tail = (f'<resumptionToken cursor="{offset}" completeListSize="{len(matched)}">{token}'
                    "</resumptionToken>\n")  # fmt: skip
        elif offset:
            tail = f'<resumptionToken cursor="{offset}" completeListSize="{len(matched)}"/>\n'
        else:
            tail = ""
        body = (f"{OAI_HEAD}<responseDate>{_now()}</responseDate>\n<request {attrs}>{self.oai_url}</request>\n"
                f"<ListRecords>\n{''.join(r.xml() for r in page)}{tail}</ListRecords>\n</OAI-PMH>\n")  # fmt: skip
        return _xml(body)

    def _hf(self, request: Request) -> Response:
        q = self._record(request)
        try:
            day = date.fromisoformat(q.get("date", ""))
        except ValueError:
            return Response(json.dumps({"error": "date must be YYYY-MM-DD"}), status=400, content_type="application/json")
        limit = int(q.get("limit") or 50)
        page = int(q.get("p") or 0)
        with self._lock:
            items = self.days.get(day, [])[page * limit : (page + 1) * limit]
        return Response(json.dumps(items), content_type="application/json; charset=utf-8")


def _xml(body: str) -> Response:
    return Response(body, content_type=XML)

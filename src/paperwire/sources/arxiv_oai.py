"""arXiv OAI-PMH (ListRecords in the ``arXiv`` metadata format), harvested one page at a time.

The OAI-PMH protocol side (error codes, record headers, deleted status) is handled by
oaipmh-scythe.  Its built-in retry sleeps with ``time.sleep`` and does not cap
``Retry-After``, so requests go through the shared :class:`HttpFetcher` instead: the
server's ``Retry-After`` is honoured (capped at ``max_retry_after``) through an injectable sleep.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from lxml import etree
from oaipmh_scythe import BadResumptionToken, NoRecordsMatch, OAIPMHException, OAIResponse
from oaipmh_scythe.models import Header

from paperwire.sources.errors import EntryError, ResumptionTokenExpired, SourceError
from paperwire.sources.http import HttpFetcher, NetworkSource, RetryPolicy, Sleep
from paperwire.sources.records import PaperRecord, RecordProblem, SourceItem

ARXIV_OAI_URL = "https://oaipmh.arxiv.org/oai"
OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV_NS = "{http://arxiv.org/OAI/arXiv/}"

__all__ = ["ARXIV_OAI_URL", "ArxivOaiSource", "OaiPage", "parse_list_records", "record_from_arxiv_metadata"]


@dataclass(slots=True)
class OaiPage:
    """One OAI-PMH response: its records, the token for the next page and the highest datestamp seen.

    ``resumption_token`` is None on the last page.  ``max_datestamp`` covers deleted records
    too, so it is the right ``from_`` for the next incremental harvest.
    """

    items: list[SourceItem]
    resumption_token: str | None
    max_datestamp: str | None
    url: str


class ArxivOaiSource(NetworkSource):
    """Harvests a set of arXiv's OAI-PMH repository, yielding one :class:`OaiPage` per response."""

    def __init__(
        self,
        base_url: str = ARXIV_OAI_URL,
        set_spec: str | None = "cs",
        metadata_prefix: str = "arXiv",
        max_retries: int = 5,
        sleep: Sleep = time.sleep,
        client: httpx.Client | None = None,
        max_retry_after: float = 300.0,
    ) -> None:
        self.base_url = base_url
        self.set_spec = set_spec
        self.metadata_prefix = metadata_prefix
        self._http = HttpFetcher(
            client, retry=RetryPolicy(max_retries=max_retries, max_wait=max_retry_after), sleep=sleep
        )

    def harvest(
        self, from_: date | None = None, until: date | None = None, resumption_token: str | None = None
    ) -> Iterator[OaiPage]:
        """Yield the pages of ListRecords; with ``resumption_token`` continue a harvest (other arguments ignored).

        ``noRecordsMatch`` yields nothing.  An expired token raises :class:`ResumptionTokenExpired`.
        """
        query = self._first_query(from_, until, resumption_token)
        while True:
            response = self._http.get(self.base_url, query)
            url = str(response.request.url)
            root = _checked_root(response, query, url)
            if root is None:
                return
            page = parse_list_records(root, url)
            yield page
            if page.resumption_token is None:
                return
            query = {"verb": "ListRecords", "resumptionToken": page.resumption_token}

    def _first_query(self, from_: date | None, until: date | None, token: str | None) -> dict[str, str]:
        if token:
            return {"verb": "ListRecords", "resumptionToken": token}
        query = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix}
        if self.set_spec:
            query["set"] = self.set_spec
        if from_:
            query["from"] = from_.isoformat()
        if until:
            query["until"] = until.isoformat()
        return query


def _checked_root(response: httpx.Response, query: dict[str, str], url: str) -> Any:
    """The parsed OAI-PMH document, or None for ``noRecordsMatch``; other OAI errors raise SourceError."""
    # OAIResponse only reads ``.content``, so an httpx response serves as well as an httpx2 one.
    oai = OAIResponse(http_response=response, params=query)  # type: ignore[arg-type]
    try:
        oai.raise_for_oaipmh_error()
    except NoRecordsMatch:
        return None
    except BadResumptionToken as exc:
        raise ResumptionTokenExpired(url, f"badResumptionToken: {exc}") from exc
    except OAIPMHException as exc:
        raise SourceError(url, f"OAI-PMH error {type(exc).__name__}: {exc}") from exc
    try:
        root = oai.xml
    except etree.XMLSyntaxError as exc:
        raise SourceError(url, f"response is not XML: {exc}") from exc
    if root is None or root.tag != f"{OAI_NS}OAI-PMH":
        raise SourceError(url, "response is not an OAI-PMH document")
    return root


def parse_list_records(root: Any, url: str) -> OaiPage:
    """Turn a ListRecords document into an :class:`OaiPage`; deleted records are skipped."""
    items: list[SourceItem] = []
    datestamps: list[str] = []
    for index, record in enumerate(root.iterfind(f"{OAI_NS}ListRecords/{OAI_NS}record")):
        header_element = record.find(f"{OAI_NS}header")
        if header_element is None:
            items.append(RecordProblem(f"{url}#record={index}", "header", "record has no header"))
            continue
        header = Header(header_element)
        if header.datestamp:
            datestamps.append(header.datestamp.strip())
        if header.deleted:
            continue
        origin = f"{url}#{header.identifier}"
        try:
            items.append(record_from_arxiv_metadata(record, origin, header))
        except EntryError as exc:
            items.append(RecordProblem(origin, exc.field, exc.message))
    token_element = root.find(f"{OAI_NS}ListRecords/{OAI_NS}resumptionToken")
    token = (token_element.text or "").strip() if token_element is not None else ""
    return OaiPage(items, token or None, max(datestamps, default=None), url)


def record_from_arxiv_metadata(record: Any, origin: str, header: Header | None = None) -> PaperRecord:
    """Map an OAI ``<record>`` carrying ``arXiv`` metadata to a :class:`PaperRecord`."""
    meta = record.find(f"{OAI_NS}metadata/{ARXIV_NS}arXiv")
    if meta is None:
        raise EntryError("metadata", "record has no arXiv metadata (metadataPrefix=arXiv expected)")

    def text(tag: str) -> str | None:
        value = meta.findtext(f"{ARXIV_NS}{tag}")
        return value if isinstance(value, str) else None

    arxiv_id = (text("id") or "").strip()
    if not arxiv_id:
        raise EntryError("id", "arXiv metadata has no <id>")
    categories = text("categories")
    extra = {
        key: value
        for key, value in {
            "datestamp": header.datestamp if header else None,
            "set_specs": header.setSpecs if header else None,
            "license": text("license"),
            "report_no": text("report-no"),
            "msc_class": text("msc-class"),
            "acm_class": text("acm-class"),
        }.items()
        if value
    }
    return PaperRecord(
        origin=origin,
        source="oai",
        id=arxiv_id,
        title=text("title"),
        summary=text("abstract"),
        authors=[name for author in meta.iterfind(f"{ARXIV_NS}authors/{ARXIV_NS}author")
                 if (name := _author_name(author))],
        categories=categories.split() if categories else None,
        published=text("created"),
        updated=text("updated"),
        comment=text("comments"),
        doi=text("doi"),
        journal_ref=text("journal-ref"),
        extra=extra,
    )


def _author_name(author: Any) -> str:
    """"Forenames Keyname Suffix" from an ``<author>`` element (collaborations have only a keyname)."""
    parts = (author.findtext(f"{ARXIV_NS}{tag}") for tag in ("forenames", "keyname", "suffix"))
    return " ".join(" ".join(part.split()) for part in parts if part and part.strip())

"""Errors raised by the network sources."""
from __future__ import annotations


class SourceError(Exception):
    """A network source failed for good (after retries); ``url`` is the request that failed."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message


class ResumptionTokenExpired(SourceError):
    """The OAI-PMH server rejected a resumption token (expired or unknown).

    The caller should restart the harvest with ``from_`` set to the last stored datestamp.
    """


class EntryError(ValueError):
    """One entry of a response cannot be read; becomes a :class:`RecordProblem` for ``field``."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

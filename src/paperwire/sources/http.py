"""HTTP shared by the network sources: a polite, retrying GET on top of httpx.

Time is injectable (``sleep``, ``clock``) so tests can check waits without waiting.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self

import httpx

from paperwire import __version__
from paperwire.sources.errors import SourceError

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Clock = Callable[[], float]
Params = Mapping[str, str | int]

USER_AGENT = f"paperwire/{__version__} (self-hosted research-paper feed; python-httpx)"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class RateLimiter:
    """Keeps the starts of successive requests at least ``min_interval`` seconds apart."""

    def __init__(self, min_interval: float, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self.min_interval = min_interval
        self._clock = clock
        self._sleep = sleep
        self._last_start: float | None = None

    def wait(self) -> None:
        """Sleep until a request may start, then note its start time."""
        if self._last_start is not None:
            remaining = self._last_start + self.min_interval - self._clock()
            if remaining > 0:
                self._sleep(remaining)
        self._last_start = self._clock()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry 429/5xx answers and connection errors."""

    max_retries: int = 4
    backoff: float = 2.0        # first wait without Retry-After; doubles on every retry
    max_wait: float = 300.0     # cap for both the backoff and a server's Retry-After

    def backoff_for(self, retry: int) -> float:
        return min(self.backoff * 2.0**retry, self.max_wait)


class HttpFetcher:
    """GET with retries (honouring Retry-After), optional rate limiting and a clear final error."""

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        sleep: Sleep = time.sleep,
        timeout: float = 60.0,
    ) -> None:
        self._owns_client = client is None
        self.client = client or httpx.Client(
            headers={"User-Agent": USER_AGENT}, timeout=timeout, follow_redirects=True
        )
        self.retry = retry or RetryPolicy()
        self.rate_limiter = rate_limiter
        self._sleep = sleep

    def get(self, url: str, params: Params | None = None) -> httpx.Response:
        """Return the first non-retryable 2xx/3xx response; raise :class:`SourceError` naming the URL otherwise."""
        full_url = str(self.client.build_request("GET", url, params=params).url)
        failure = ""
        for attempt in range(self.retry.max_retries + 1):
            if self.rate_limiter is not None:
                self.rate_limiter.wait()
            try:
                response = self.client.send(self.client.build_request("GET", url, params=params),
                                            follow_redirects=True)
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}"
                wait = self.retry.backoff_for(attempt)
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    if response.is_error:
                        raise SourceError(full_url, f"HTTP {response.status_code}: {_snippet(response)}")
                    return response
                failure = f"HTTP {response.status_code}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                wait = (self.retry.backoff_for(attempt) if retry_after is None
                        else min(retry_after, self.retry.max_wait))
                response.close()
            if attempt == self.retry.max_retries:
                break
            log.warning("%s: %s; retrying in %.1f s", full_url, failure, wait)
            self._sleep(wait)
        raise SourceError(full_url, f"gave up after {self.retry.max_retries + 1} attempts; last: {failure}")

    def close(self) -> None:
        """Close the client if this fetcher created it."""
        if self._owns_client:
            self.client.close()


def _snippet(response: httpx.Response, limit: int = 200) -> str:
    text = " ".join(response.text.split())
    return text[:limit] or response.reason_phrase


class NetworkSource:
    """Base for sources that talk HTTP through an :class:`HttpFetcher`; usable as a context manager."""

    _http: HttpFetcher

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

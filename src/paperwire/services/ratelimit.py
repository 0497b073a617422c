"""Rate limits (the ``limits`` library, moving windows): per IP, per account and per API token.

Each limited action has one rule; ``check`` counts a hit and answers how many seconds to wait when
the rule is exceeded (for the 429's ``Retry-After``). Counters live in process memory, or in Redis
when ``PAPERWIRE_REDIS_URL`` is set and the ``redis`` package is installed, so several workers share them.

Per-IP rules key on the request's client address. Behind a reverse proxy that is the proxy's, unless
``PAPERWIRE_TRUSTED_PROXIES`` lists it: then ``create_app`` takes the client from X-Forwarded-For (the
right-most address that is not a trusted proxy), so each user behind nginx has a bucket of their own.
"""
from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

RULES = {
    "login": "10/minute",  # attempts per IP
    "login_failed": "5/15minutes",  # wrong passwords per (client, account): nobody else can lock a user out
    "login_failed_client": "20/15minutes",  # wrong passwords per client, whatever the account
    "signup": "5/hour",  # per IP
    "email": "5/hour",  # verification / reset / digest confirmation emails per IP and per address
    "vote": "120/minute",  # votes and ratings per user
    "comment": "10/minute",  # per user
    "write": "120/minute",  # other writes (collections, follows) per user
    "api": "600/minute",  # per API token
    "import": "20/hour",  # BibTeX / id-list imports per user (collections, interests)
}


class RateLimiter:
    def __init__(self, rules: dict[str, str] | None = None, storage_url: str | None = None):
        self.rules = {name: parse(rule) for name, rule in {**RULES, **(rules or {})}.items()}
        storage = MemoryStorage()
        if storage_url:
            try:
                storage = storage_from_string(storage_url)
            except Exception:  # noqa: BLE001 - no redis client installed: stay in memory
                storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(storage)

    def check(self, rule: str, *keys: str, cost: int = 1) -> int | None:
        """Count a hit; None when allowed, else the seconds to wait."""
        item = self.rules[rule]
        if self.limiter.hit(item, rule, *keys, cost=cost):
            return None
        return self.retry_after(rule, *keys)

    def blocked(self, rule: str, *keys: str) -> int | None:
        """Seconds to wait when the rule is already exhausted (without counting a hit)."""
        item = self.rules[rule]
        if self.limiter.test(item, rule, *keys):
            return None
        return self.retry_after(rule, *keys)

    def retry_after(self, rule: str, *keys: str) -> int:
        reset, _remaining = self.limiter.get_window_stats(self.rules[rule], rule, *keys)
        return max(1, math.ceil(reset - time.time()))

    def reset(self) -> None:
        self.limiter.storage.reset()

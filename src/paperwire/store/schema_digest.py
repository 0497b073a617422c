"""Email digest tables (migration 0004). Shares ``schema.metadata``; imported at the end of schema.py."""
from __future__ import annotations

from paperwire.store.schema import metadata  # noqa: F401

"""The error a use case raises when a request cannot be done: front ends answer it with a 400 and the
message (pages show it beside the form field it names)."""
from __future__ import annotations


class AccountError(ValueError):
    """A request that cannot be done; ``field`` names the form field at fault (or None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field

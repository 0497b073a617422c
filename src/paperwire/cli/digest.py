"""Digest commands (built by the digest issue); registered on the main app."""
from paperwire.cli.main import app  # noqa: F401

"""Accounts commands (built by the accounts issue); registered on the main app."""
from paperwire.cli.main import app  # noqa: F401

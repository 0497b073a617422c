"""Search, related papers and index commands (built by the search issue); registered on the main app."""
from paperwire.cli.main import app  # noqa: F401

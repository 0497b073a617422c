"""The digest's mail: Jinja2 templates and MIME messages (``render``), the SMTP client with its
failure classes and rate limit (``smtp``) and the signed links in every digest (``tokens``).
Infrastructure only: who gets what and when is decided in ``services.digest*``."""

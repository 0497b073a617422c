"""One typed settings object, read from ``PAPERWIRE_*`` environment variables.

Every setting is declared once here with its type, default and help text; ``paperwire settings``
prints them and a test fails when one is undocumented in the README.
"""
from __future__ import annotations

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAPERWIRE_", extra="ignore", frozen=True)

    data_dir: Path = Field(Path("./data"), description="Folder for the SQLite database and caches.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database; default: a SQLite file paperwire.db in the data dir. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    host: str = Field("127.0.0.1", description="Address `paperwire serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `paperwire serve` listens on.")
    web_workers: int = Field(
        0, ge=0, le=64,
        description="Worker processes `paperwire serve` runs (they share the read-only indexes through memory-mapped "
        "files); 0 = one per CPU core.",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public URL of the site, used in links and emails. Unset: feeds, API objects and pages link to "
        "the address each request came in on, and emails to this default (start-up warns).",
    )
    secret_key: SecretStr = Field(
        SecretStr("dev-insecure-change-me"), description="Key for signing cookies and tokens (secret).", json_schema_extra={"secret": True}
    )
    redis_url: str | None = Field(None, description="Redis URL for queue workers; unset runs jobs in-process.")
    smtp_url: str | None = Field(
        None, description="SMTP server for emails, e.g. smtp://user:pass@host:587?starttls=1 (secret); console:// writes "
        "them to the log and <data dir>/mail/*.eml; unset: no email, and accounts need no confirmation."
    )
    arxiv_api_url: str = Field("https://export.arxiv.org/api/query", description="arXiv query API endpoint.")
    arxiv_oai_url: str = Field("https://oaipmh.arxiv.org/oai", description="arXiv OAI-PMH endpoint.")
    hf_endpoint: str = Field("https://huggingface.co", description="Hugging Face Hub endpoint for daily papers.")
    recommend_active_days: int = Field(
        30, ge=1, le=3650,
        description="Users who rated, saved or voted within this many days get their model refitted for the digest; "
        "others get the cheap centroid model.",
    )
    digest_from: str | None = Field(
        None, description="From address of digest emails, e.g. 'paperwire <digest@example.org>'; default digest@ the base URL's host."
    )
    digest_send_rate: float = Field(10.0, ge=0, description="Digest emails per second per sending process; 0 = no limit.")
    digest_max_attempts: int = Field(
        8, ge=1, le=50, description="Attempts before a digest that keeps failing temporarily is recorded as failed."
    )
    ingest_batch_size: int = Field(2000, ge=1, le=100_000, description="Records per ingest transaction.")
    harvest_sources: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["arxiv", "hf"],
        description="Sources `paperwire serve` harvests on its own, comma-separated: arxiv (OAI-PMH), hf "
        "(Hugging Face daily papers); empty = none.",
    )
    arxiv_sets: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["cs"], description="arXiv OAI-PMH sets harvested, comma-separated (e.g. cs,stat)."
    )
    arxiv_categories: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Keep only papers listed in these arXiv categories, comma-separated (e.g. cs.AI,cs.CL,cs.CV,cs.LG); "
        "default: every category of the sets.",
    )
    arxiv_harvest_times: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["20:30"],
        description="When the arXiv harvest runs, US Eastern time, comma-separated HH:MM, on the evenings arXiv "
        "announces (Sunday to Thursday; announcements go out at 20:00).",
    )
    harvest_backfill_days: int = Field(
        3, ge=0, le=365, description="How many days a first arXiv harvest reaches back."
    )
    hf_days: int = Field(
        7, ge=0, le=60,
        description="Hugging Face daily papers of today and this many days before are fetched on every HF harvest "
        "(refreshing upvotes, comments and stars).",
    )
    hf_harvest_every_hours: float = Field(
        4.0, gt=0, le=168, description="Hours between Hugging Face harvests."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: IPs or CIDR networks, "
        "comma-separated, e.g. 127.0.0.1,10.0.0.0/8. The client is then the right-most forwarded address that is "
        "not a trusted proxy (rate limits key on it). Default: none, the connecting peer is the client.",
    )

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("trusted_proxies", "harvest_sources", "arxiv_sets", "arxiv_categories", "arxiv_harvest_times",
                     mode="before")
    @classmethod
    def _split_list(cls, value):
        if isinstance(value, str):
            return [part for part in value.replace(" ", ",").split(",") if part]
        return value

    @field_validator("harvest_sources")
    @classmethod
    def _check_sources(cls, value: list[str]) -> list[str]:
        value = [v.lower() for v in value]
        unknown = sorted(set(value) - {"arxiv", "hf"})
        if unknown:
            raise ValueError(f"unknown harvest source(s) {', '.join(unknown)}: use arxiv and/or hf")
        return value

    @field_validator("arxiv_harvest_times")
    @classmethod
    def _check_times(cls, value: list[str]) -> list[str]:
        for entry in value:
            hour, _, minute = entry.partition(":")
            if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
                raise ValueError(f"{entry!r} is not a time of day (HH:MM)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return value

    @property
    def base_url_configured(self) -> bool:
        """Whether ``PAPERWIRE_BASE_URL`` (or ``base_url=``) was given, not left at its default."""
        return "base_url" in self.model_fields_set and bool(self.base_url.strip())

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'paperwire.db').resolve()}"


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (used by the CLI and tests)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})

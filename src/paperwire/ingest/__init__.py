"""Ingest: normalise, validate, deduplicate and upsert records from any source."""
from paperwire.ingest.pipeline import IngestReport, Ingestor, ingest_items

__all__ = ["IngestReport", "Ingestor", "ingest_items"]

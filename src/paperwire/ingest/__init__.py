"""Ingest: records from any source into the store. ``normalize`` turns one raw record into a
:class:`~paperwire.store.Paper` or a problem report, with ``listing`` (the day and kind of its arXiv
listing) and ``links`` (code links in abstracts and comments); ``merge`` combines a paper seen again
with the stored one; all of these are pure. ``pipeline`` is the ingest loop: batches deduplicated and
upserted, each in one transaction together with the ingest log, so an interrupted run can simply be
started again."""
from paperwire.ingest.pipeline import IngestReport, Ingestor, ingest_items

__all__ = ["IngestReport", "Ingestor", "ingest_items"]

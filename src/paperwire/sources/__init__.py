"""Sources: fetch raw records from files and the network. No database access here.

``files`` reads JSON Lines, JSON, CSV and BibTeX (with ``fields`` mapping the many spellings of field
names); ``arxiv_api``, ``arxiv_oai`` and ``hf_daily`` harvest arXiv and Hugging Face daily papers
over ``http`` (a polite, retrying GET), raising the ``errors`` classes. Every source yields
:class:`PaperRecord` objects (raw, loosely typed values exactly as found) or :class:`RecordProblem`
objects for input that could not be read, each with its origin (``file:line`` or a URL) (``records``).
Normalising and validating is the job of :mod:`paperwire.ingest`.
"""
from paperwire.sources.records import PaperRecord, RecordProblem, SourceItem

__all__ = ["PaperRecord", "RecordProblem", "SourceItem"]

"""Sources: fetch raw records from files and the network. No database access here.

Every source yields :class:`PaperRecord` objects (raw, loosely typed values exactly as
found) or :class:`RecordProblem` objects for input that could not be read, each
with its origin (``file:line`` or a URL).  Normalising and validating is the job of
:mod:`paperwire.ingest`.
"""
from paperwire.sources.records import PaperRecord, RecordProblem, SourceItem

__all__ = ["PaperRecord", "RecordProblem", "SourceItem"]

"""Ranking: pure functions over numbers and parsed text, no I/O, unit-tested. ``query`` (the search
query language parsed into a :class:`~paperwire.rank.query.Query`), ``fusion`` (keyword + vector
fusion, related-papers blend), ``trending`` (upvotes with time decay), ``recommend`` (the per-reader
content model, collaborative scores, their blend and scoring), ``diversity`` (MMR, papers to rate
first), ``reasons`` (the one-line "why" of a recommendation) and ``digest`` (section selection)."""

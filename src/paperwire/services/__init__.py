"""Use cases, one function each, shared by the web pages, both JSON APIs, the CLI and the jobs.

A use case takes the :class:`~paperwire.store.Store` when the database is all it needs, and the
application context (:class:`~paperwire.context.Paperwire`) when it needs what the context owns: the
indexes and the embedder (search, related papers, recommendations), its caches, the thread pool or
the job dispatcher. Services never read the environment; they raise
:class:`~paperwire.services.errors.AccountError` (and ``rank.query.QueryError``) for requests that
cannot be done, which every front end answers with a 4xx."""

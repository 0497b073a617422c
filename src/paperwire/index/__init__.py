"""Embeddings and the in-memory indexes built from the store: ``embedder`` (the model interface, ONNX
MiniLM and a deterministic fake), ``embeddings`` (vectors stored in the database, incremental
embedding, the bundled vectors), ``vectors`` (exact search and :class:`~paperwire.index.vectors.VectorIndexes`,
one index per model, refreshed when the stored vectors change), ``ann`` (the approximate IVF
fast-scan index file) and ``terms`` (TF-IDF term rows and :class:`~paperwire.index.terms.TermIndexes`).
The application context (:mod:`paperwire.context`) owns the live indexes; nothing here keeps state
of its own."""

"""Embeddings and the vector index: ``embedder`` (the model interface, ONNX MiniLM and a fake),
``embeddings`` (vectors stored in the database, incremental embedding, the bundled vectors) and
``vectors`` (exact and approximate search, one index per store in a process)."""

"""The JSON APIs: ``hf`` (the Hugging Face Hub–compatible papers API, which ``huggingface_hub``
clients use unchanged) with its shapes (``hf_shapes``) and documented schemas (``schemas``), ``search``
(paperwire's own search and related-papers API) and ``errors`` (the JSON responses and 4xx error bodies
the routers share). Routers are thin: they read parameters, call services and shape the result."""

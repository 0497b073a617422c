"""The JSON APIs: ``hf`` (the Hugging Face Hub–compatible papers API, which ``huggingface_hub``
clients use unchanged) with its shapes (``hf_shapes``) and documented schemas (``schemas``), ``search``
(paperwire's own search and related-papers API), ``me`` (``/api/me``: an API-token holder's account,
library and recommendations), ``deps`` (the dependencies: rate limits, the Bearer-token user, a JSON
body) and ``errors`` (the JSON responses, the one 4xx error body, ``wants_html`` and the ``Refusal``
exceptions the routers raise). Routers are thin: they read parameters, call services and shape the result."""

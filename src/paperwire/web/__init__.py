"""The website: ``app`` (``create_app``, shared by ``paperwire serve``, the tests and the benchmarks,
mounting the web routers and the JSON APIs of :mod:`paperwire.api`), the HTML pages and forms (the
dated feed, search, papers, authors in ``pages``; ``accounts``; the user's ``library``; ``recommend``;
the ``digest``; ``status``) rendered with Jinja2 templates (filters and globals: ``templating``), the
HTTP kit they share (``http``: sessions, CSRF, the dependencies, the one error handler), and the
RSS/Atom feeds (``feeds``). Routes read parameters, call services and render; they hold no business
logic."""

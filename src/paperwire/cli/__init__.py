"""The ``paperwire`` command (typer + rich): ``main`` builds the app from one module per command group
(installation, ingest, harvest and status, index, search, recommend, users, digest and worker), and
``common`` holds what they share: the options, the output, and the opening of the application context
from them. Each command is a thin shell over one services call."""

"""The ``agentkit`` command line: runs, tokens and workers.

``agentkit runs list|show|cancel``, ``agentkit tokens list|complete`` and
``agentkit worker APP``; see ``agentkit --help``.
"""

from agentkit.cli._app import app, main

__all__ = ["app", "main"]

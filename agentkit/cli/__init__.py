"""The ``agentkit`` command line: runs, tokens, workers and the demo.

``agentkit runs list|show|completions|cancel|resume``, ``agentkit tokens
list|complete``, ``agentkit worker APP`` and ``agentkit demo``; see ``agentkit
--help``. ``python -m agentkit`` is the same command.
"""

from agentkit.cli._app import app, main

__all__ = ["app", "main"]

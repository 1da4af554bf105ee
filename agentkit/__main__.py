"""``python -m agentkit`` runs the ``agentkit`` command."""

from agentkit.cli import main

main()

"""``python -m agentkit.cli`` runs the ``agentkit`` command."""

from agentkit.cli import main

main()

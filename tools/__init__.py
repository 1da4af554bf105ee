"""Ready-made tools for agents (filesystem, shell, HTTP, search, code).

Installed as ``agentkit.tools``; the tools themselves arrive in later work.
"""

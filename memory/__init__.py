"""Agent memory: threads, token windows and long-term memory.

Installed as ``agentkit.memory``; the stores themselves arrive in later work.
"""

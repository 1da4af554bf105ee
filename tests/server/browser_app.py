"""The app ``agentkit dev`` serves in the browser test: the support agent, on the
database ``--database-url`` names (the kit reads AGENTKIT_DATABASE_URL)."""

from __future__ import annotations

from agentkit import Agent, AgentKit, agent_function
from agentkit.models import ScriptedModel
from tests.server.conftest import refund, reply

kit = AgentKit()
agent_function(kit, Agent("support", "You help customers.", ScriptedModel(reply), [refund]))

"""Apps for the replay/eval CLI tests: the same agent as recorded, and with a new prompt.

Both kits read AGENTKIT_DATABASE_URL (the CLI's --database-url) when imported.
"""

from __future__ import annotations

from agentkit import Agent, AgentKit, agent_function, tool
from agentkit.evals import Contains, ExactMatch
from agentkit.models import ScriptedModel


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def model() -> ScriptedModel:
    return ScriptedModel([ScriptedModel.tool_call("add", {"a": 1, "b": 2}), "It is 3."])


kit = AgentKit()
calc = agent_function(kit, Agent("calc", "You add.", model(), [add]))

changed = AgentKit()
agent_function(changed, Agent("calc", "You add numbers.", ScriptedModel([]), [add]))

scorers = [Contains("It is 3."), ExactMatch()]
failing = [Contains("It is 4.")]

forked = AgentKit()
agent_function(forked, Agent("calc", "You add.", ScriptedModel(["Forked: 3."]), [add]))

# For `replay --live-from-divergence` and `eval run --mode live`.
live_model = ScriptedModel(lambda request: ScriptedModel.text("Live: 3."))
fake_tools = {"add": lambda a, b: a + b}
live_agent = Agent("calc", "You add, live.", live_model, [add])

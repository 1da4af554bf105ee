"""The public names of each package, pinned (a change here is an API change)."""

from __future__ import annotations

import sys

import agentkit
import agentkit.agents
import agentkit.durable
import agentkit.store
from tests.killing import run_process


def test_agentkit_exports() -> None:
    assert agentkit.__all__ == [
        "Agent",
        "AgentFunction",
        "AgentHooks",
        "AgentKit",
        "AgentResult",
        "AgentRun",
        "AgentTurn",
        "AgentkitError",
        "ApprovalDecision",
        "Clock",
        "ConfigError",
        "Context",
        "DurableFunction",
        "DurableFunctionTool",
        "Event",
        "EventTimeout",
        "FunctionNotFound",
        "FunctionTool",
        "Handoff",
        "HistoryProcessor",
        "IdempotencyConflict",
        "ManualClock",
        "MaxIterationsExceeded",
        "Network",
        "NetworkMaxIterations",
        "NetworkResult",
        "NetworkTool",
        "NonDeterminismError",
        "NonRetriableError",
        "OutputValidationError",
        "RetryPolicy",
        "Route",
        "RouterError",
        "RouterInput",
        "RoutingAgent",
        "RoutingDecision",
        "RunCancelledError",
        "RunFailedError",
        "RunHandle",
        "RunNotFound",
        "StateConflictError",
        "StateValidationError",
        "StepFailed",
        "StepSerializationError",
        "Steps",
        "StreamDelta",
        "SystemClock",
        "Token",
        "TokenAlreadyCompleted",
        "TokenError",
        "TokenExpired",
        "TokenNotFound",
        "TokenPayloadInvalid",
        "TokenRunNotWaiting",
        "TokenTimeout",
        "Tool",
        "ToolRetry",
        "UsageError",
        "WaitTimeout",
        "Worker",
        "__version__",
        "agent_function",
        "function_as_tool",
        "network_function",
        "run_agent",
        "run_network",
        "start_agent",
        "start_network",
        "tool",
    ]
    for name in agentkit.__all__:
        assert getattr(agentkit, name) is not None


def test_durable_and_store_exports() -> None:
    assert agentkit.durable.__all__ == [
        "AgentKit",
        "Clock",
        "Context",
        "DurableFunction",
        "Event",
        "Journal",
        "ManualClock",
        "RetryPolicy",
        "RunHandle",
        "Steps",
        "SystemClock",
        "Token",
        "Worker",
    ]
    assert agentkit.store.__all__ == [
        "DEFAULT_DATABASE_URL",
        "CompletionRecord",
        "EventRecord",
        "InMemoryStore",
        "RunRecord",
        "RunStatus",
        "SQLStore",
        "StepKind",
        "StepRecord",
        "StepStatus",
        "Store",
        "TokenRecord",
        "TokenStatus",
        "database_url_from_env",
    ]


def test_import_agentkit_loads_no_model_sdk_and_no_agent_layer() -> None:
    probe = (
        "import sys, agentkit; "
        "print(sorted(m for m in ('openai', 'anthropic', 'litellm', 'agentkit.models', "
        "'agentkit.agents._agent') if m in sys.modules))"
    )
    out = run_process([sys.executable, "-c", probe], check=True)
    assert out.stdout.strip() == "[]"


def test_agents_exports() -> None:
    assert agentkit.agents.__all__ == [
        "Agent",
        "AgentFunction",
        "AgentHooks",
        "AgentKit",
        "AgentResult",
        "AgentRun",
        "AgentTurn",
        "ApprovalDecision",
        "DurableFunctionTool",
        "FunctionTool",
        "Handoff",
        "HistoryProcessor",
        "MaxIterationsExceeded",
        "Network",
        "NetworkMaxIterations",
        "NetworkResult",
        "NetworkTool",
        "OutputValidationError",
        "Route",
        "RouterError",
        "RouterInput",
        "RoutingAgent",
        "RoutingDecision",
        "StateConflictError",
        "StateValidationError",
        "StreamDelta",
        "Tool",
        "ToolRetry",
        "agent_function",
        "function_as_tool",
        "network_function",
        "run_agent",
        "run_network",
        "start_agent",
        "start_network",
        "tool",
    ]
    # The facade re-exports the agent layer's names, not copies of them.
    assert agentkit.AgentKit is agentkit.agents.AgentKit
    assert agentkit.Agent is agentkit.agents.Agent


def test_import_agentkit_durable_loads_no_model_layer() -> None:
    # Python imports the `agentkit` facade first, whose kit is the agent layer's
    # (one small module over the engine); nothing of the model layer loads.
    probe = (
        "import sys, agentkit.durable; "
        "print(sorted(m for m in sys.modules if m.startswith(('agentkit.models', "
        "'agentkit.agents'))))"
    )
    out = run_process([sys.executable, "-c", probe], check=True)
    assert out.stdout.strip() == "['agentkit.agents', 'agentkit.agents._kit']"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        agentkit.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no attribute 'NoSuchThing'" in str(exc)
    else:
        raise AssertionError("expected AttributeError")

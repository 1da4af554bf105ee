"""The public names of each package, pinned (a change here is an API change)."""

from __future__ import annotations

import sys

import agentkit
import agentkit.agents
import agentkit.durable
import agentkit.memory
import agentkit.store
import agentkit.tools
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
        "CancelOn",
        "Clock",
        "Concurrency",
        "ConfigError",
        "Context",
        "Debounce",
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
        "Priority",
        "ReplayReport",
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
        "ThreadNotFound",
        "Throttle",
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
        "cron",
        "function_as_tool",
        "network_function",
        "on_event",
        "replay",
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
        "CancelOn",
        "Clock",
        "Concurrency",
        "Context",
        "CronTrigger",
        "Debounce",
        "DurableFunction",
        "Event",
        "EventTrigger",
        "ExecutionOutcome",
        "Journal",
        "JournalObserver",
        "ManualClock",
        "Priority",
        "RetryPolicy",
        "RunExecution",
        "RunHandle",
        "RunObserver",
        "Steps",
        "SystemClock",
        "Throttle",
        "Token",
        "Worker",
        "cron",
        "current_run_id",
        "execute_observed",
        "on_event",
    ]
    assert agentkit.store.__all__ == [
        "DEFAULT_DATABASE_URL",
        "CompletionRecord",
        "EventRecord",
        "InMemoryStore",
        "MemoryRecord",
        "RateGrant",
        "RateLimits",
        "RunRecord",
        "RunStatus",
        "SQLStore",
        "StepKind",
        "StepRecord",
        "StepStatus",
        "Store",
        "ThreadMessageRecord",
        "ThreadRecord",
        "TokenRecord",
        "TokenStatus",
        "database_url_from_env",
    ]


def test_import_agentkit_loads_no_model_sdk_no_agent_layer_and_no_sql() -> None:
    probe = (
        "import sys, agentkit; "
        "print(sorted(m for m in ('openai', 'anthropic', 'litellm', 'agentkit.models', "
        "'agentkit.agents._agent', 'sqlalchemy', 'sqlmodel', 'agentkit.store.sql') "
        "if m in sys.modules))"
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
        "Toolset",
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


def test_memory_exports() -> None:
    assert agentkit.memory.__all__ == [
        "InMemoryMemoryStore",
        "Memory",
        "MemoryStore",
        "SQLMemoryStore",
        "StoreBackedMemory",
        "Summarize",
        "Thread",
        "ThreadMessage",
        "Threads",
        "TokenWindow",
        "memory_tools",
    ]
    for name in agentkit.memory.__all__:
        assert getattr(agentkit.memory, name) is not None
    # Threads live in the agent layer (agent.run loads them); memory re-exports them.
    assert agentkit.memory.Threads is type(
        agentkit.AgentKit(store=agentkit.store.InMemoryStore()).threads
    )


def test_evals_exports() -> None:
    import agentkit.evals

    assert agentkit.evals.__all__ == [
        "AnyValue",
        "Case",
        "CaseResult",
        "Change",
        "Contains",
        "Conversation",
        "Custom",
        "Dataset",
        "Delta",
        "EqualsStructured",
        "EvalReport",
        "ExactMatch",
        "ExpectedCall",
        "JsonSchemaValid",
        "LLMJudge",
        "LogImportError",
        "Matches",
        "MaxCost",
        "MaxLatency",
        "MaxToolCalls",
        "Observation",
        "Recording",
        "Regex",
        "ReplayDiverged",
        "ReplayReport",
        "RunDiff",
        "SchemaTool",
        "Score",
        "Scorer",
        "StepOutcome",
        "StepPair",
        "ToolCall",
        "ToolTrajectory",
        "UserTurn",
        "conversation_function",
        "diff_runs",
        "evaluate",
        "final_output",
        "import_openai_log",
        "json_diff",
        "load_recording",
        "observe",
        "read_recording",
        "recording_from_json",
        "recording_to_json",
        "replay",
        "replay_recording",
        "tool_calls_of",
    ]
    # The facade forwards replay lazily: `import agentkit` does not load the eval layer.
    assert agentkit.replay is agentkit.evals.replay
    assert agentkit.ReplayReport is agentkit.evals.ReplayReport


def test_tools_exports() -> None:
    assert agentkit.tools.__all__ == TOOLS_EXPORTS
    for name in agentkit.tools.__all__:
        assert getattr(agentkit.tools, name) is not None
    assert agentkit.tools.Toolset is agentkit.agents.Toolset


TOOLS_EXPORTS = [
    "BraveSearch",
    "FakeSearch",
    "FetchLimits",
    "FileLimits",
    "Limits",
    "MCPTool",
    "MCPToolError",
    "MCPToolset",
    "PathRefused",
    "Resolver",
    "SearchProvider",
    "SearchResult",
    "TavilySearch",
    "Toolset",
    "Workspace",
    "file_tools",
    "git_tools",
    "html_to_text",
    "http_tools",
    "python_tools",
    "search_tools",
    "shell_tools",
]


def test_server_exports() -> None:
    import agentkit.otel
    import agentkit.server

    assert agentkit.server.__all__ == ["Feed", "FeedEvent", "create_app"]
    assert agentkit.otel.__all__ == ["OTelObserver", "completion_attributes", "trace_id"]

"""agentkit: AI agents on durable steps.

Every LLM call and tool call is a checkpointed step in a journal, so a run that
dies resumes where it stopped without paying again for work already done.
"""

from typing import TYPE_CHECKING, Any

import agentkit.agents as _agents
from agentkit.agents import AgentFunction, AgentKit
from agentkit.durable import (
    CancelOn,
    Clock,
    Concurrency,
    Context,
    Debounce,
    DurableFunction,
    Event,
    ManualClock,
    Priority,
    RetryPolicy,
    RunHandle,
    Steps,
    SystemClock,
    Throttle,
    Token,
    Worker,
    cron,
    on_event,
)
from agentkit.errors import (
    AgentkitError,
    ConfigError,
    EventTimeout,
    FunctionNotFound,
    IdempotencyConflict,
    NonDeterminismError,
    NonRetriableError,
    RunCancelledError,
    RunFailedError,
    RunNotFound,
    StepFailed,
    StepSerializationError,
    ThreadNotFound,
    TokenAlreadyCompleted,
    TokenError,
    TokenExpired,
    TokenNotFound,
    TokenPayloadInvalid,
    TokenRunNotWaiting,
    TokenTimeout,
    UsageError,
    WaitTimeout,
)

__version__ = "0.1.0"

# The rest of the agent layer (and through it the model layer) loads on first
# use, so that a process that only runs durable functions starts without it.
if TYPE_CHECKING:
    from agentkit.agents import (
        Agent,
        AgentHooks,
        AgentResult,
        AgentRun,
        AgentTurn,
        ApprovalDecision,
        DurableFunctionTool,
        FunctionTool,
        Handoff,
        HistoryProcessor,
        MaxIterationsExceeded,
        Network,
        NetworkMaxIterations,
        NetworkResult,
        NetworkTool,
        OutputValidationError,
        Route,
        RouterError,
        RouterInput,
        RoutingAgent,
        RoutingDecision,
        StateConflictError,
        StateValidationError,
        StreamDelta,
        Tool,
        ToolRetry,
        agent_function,
        function_as_tool,
        network_function,
        run_agent,
        run_network,
        start_agent,
        start_network,
        tool,
    )


# Replay is part of the eval layer (agentkit.evals), loaded on first use too.
_EVALS = ("ReplayReport", "replay")


def __getattr__(name: str) -> Any:
    # The agent layer's names load on first use (agentkit.agents is lazy itself).
    if name in _EVALS:
        import agentkit.evals

        value = getattr(agentkit.evals, name)
        globals()[name] = value
        return value
    if name not in _agents.__all__:
        raise AttributeError(f"module 'agentkit' has no attribute {name!r}")
    value = getattr(_agents, name)
    globals()[name] = value
    return value


__all__ = [
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

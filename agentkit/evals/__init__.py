"""Replay, fork and evals: recorded runs as offline regression suites.

`replay` runs the current code of a finished run's function against its
recording (journal + raw completions) with no network; `import_openai_log`
turns OpenAI-format message logs into recorded runs; `Case`, `Dataset` and the
scorers evaluate agents live, in replay (0 tokens) or on recorded outputs.
"""

from agentkit.evals._cases import Case, Dataset
from agentkit.evals._conversation import Conversation, UserTurn, conversation_function
from agentkit.evals._diff import Change, json_diff
from agentkit.evals._evaluate import evaluate, final_output, observe
from agentkit.evals._judge import LLMJudge
from agentkit.evals._observation import Observation, ToolCall, tool_calls_of
from agentkit.evals._openai_log import LogImportError, import_openai_log
from agentkit.evals._recording import (
    Recording,
    load_recording,
    read_recording,
    recording_from_json,
    recording_to_json,
)
from agentkit.evals._replay import (
    ReplayDiverged,
    ReplayReport,
    StepOutcome,
    replay,
    replay_recording,
)
from agentkit.evals._report import CaseResult, Delta, EvalReport
from agentkit.evals._run_diff import RunDiff, StepPair, diff_runs
from agentkit.evals._schema_tool import SchemaTool
from agentkit.evals._scorers import (
    AnyValue,
    Contains,
    Custom,
    EqualsStructured,
    ExactMatch,
    ExpectedCall,
    JsonSchemaValid,
    Matches,
    MaxCost,
    MaxLatency,
    MaxToolCalls,
    Regex,
    Score,
    Scorer,
    ToolTrajectory,
)

__all__ = [
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

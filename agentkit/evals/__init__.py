"""Replay, fork and evals: recorded runs as offline regression suites.

`replay` runs the current code of a finished run's function against its
recording (journal + raw completions) with no network; `import_openai_log`
turns OpenAI-format message logs into recorded runs; `Case`, `Dataset` and the
scorers evaluate agents live, in replay (0 tokens) or on recorded outputs.
"""

from agentkit.evals._diff import Change, json_diff
from agentkit.evals._recording import Recording, load_recording
from agentkit.evals._replay import (
    ReplayDiverged,
    ReplayReport,
    StepOutcome,
    replay,
    replay_recording,
)

__all__ = [
    "Change",
    "Recording",
    "ReplayDiverged",
    "ReplayReport",
    "StepOutcome",
    "json_diff",
    "load_recording",
    "replay",
    "replay_recording",
]

"""τ-bench airline: 200 real gpt-4o conversations as recorded runs of an agentkit agent.

The data (``data/``, MIT, from sierra-research/tau-bench at commit 59a200c6d575):
``gpt-4o-airline.json`` holds 50 tasks x 4 trials of a tool-calling airline
agent in OpenAI message format, each with the task's gold ``actions`` and the
``reward`` the benchmark gave it; ``airline_tools.json`` the 14 tool schemas
(from each tool's ``get_info()``); ``wiki.md`` the policy that is the system
prompt.

`airline_agent` is the agent as code (the schemas, the policy, temperature 0
as τ-bench ran it); `import_runs` records each trajectory as a run of its
conversation function (`agentkit.evals.import_openai_log`); `replay_all`
replays them offline with the current code; `score` checks each replayed
trajectory against the gold write actions; `confusion` compares that verdict
with the recorded reward.

    python -m evals.tau_bench            # import, replay, score all 200
"""

from evals.tau_bench._suite import (
    DATA,
    WRITE_TOOLS,
    TauRun,
    airline_agent,
    confusion,
    gold_write_actions,
    import_runs,
    load_trajectories,
    observation,
    register,
    replay_all,
    score,
    score_outputs,
    score_task,
)

__all__ = [
    "DATA",
    "WRITE_TOOLS",
    "TauRun",
    "airline_agent",
    "confusion",
    "gold_write_actions",
    "import_runs",
    "load_trajectories",
    "observation",
    "register",
    "replay_all",
    "score",
    "score_outputs",
    "score_task",
]

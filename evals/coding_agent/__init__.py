"""The coding agent's eval suite: examples/coding_agent.py on a few scripted (or live) runs.

Each case gets a fresh copy of the example's repository (``add`` subtracts)
and a fresh kit; the commit is approved automatically (approval is a human's
step, not the agent's). Offline, a case's ``metadata.script`` plays the model:
an integer is that step of the example's plan, a string the final answer.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from agentkit import AgentKit, ManualClock
from agentkit.evals import (
    Case,
    Contains,
    Custom,
    Dataset,
    EvalReport,
    MaxToolCalls,
    Observation,
    Scorer,
    ToolTrajectory,
    evaluate,
)
from agentkit.models import Model
from agentkit.store import InMemoryStore
from evals._examples import expected_calls, load_example, scripted

CASES = Path(__file__).with_name("cases.yaml")

__all__ = ["CASES", "run_suite", "scorers"]


def scorers(case: Case, root: Path) -> list[Scorer]:
    """The scorers of ``case``, whose repository is at ``root``."""

    def fixed(observation: Observation) -> bool:
        text = (root / "calc.py").read_text()
        branch = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "fix/add"],
            cwd=root,
            capture_output=True,
            check=False,
        )
        return "return a + b" in text and branch.returncode == 0

    return [
        ToolTrajectory(expected_calls(case), order="in_order"),
        Contains(value="fix/add"),
        MaxToolCalls(limit=6),
        Custom(fixed, name="fixed-and-committed"),
    ]


def _model(example: Any, case: Case) -> Model:
    answers = [
        {"tool": example.PLAN[a][0], "args": example.PLAN[a][1]} if isinstance(a, int) else a
        for a in case.metadata["script"]
    ]
    return scripted(answers)


async def run_suite(model: Model | None = None, path: Path = CASES) -> EvalReport:
    """Run every case live: with ``model``, or offline with each case's script."""
    example = load_example("coding_agent")
    dataset = Dataset.load(path)
    started = time.perf_counter()
    results = []
    names: list[str] = []
    for case in dataset.cases:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "calc"
            example.make_repository(root)
            agent = example.coder(root, model or _model(example, case), approve=False)
            kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
            one = Dataset([case], scorers(case, root), name=dataset.name)
            report = await evaluate(one, kit, agent, mode="live")
            kit.close()
        results.extend(report.cases)
        names = report.scorers
    return EvalReport(dataset.name, "live", results, names, time.perf_counter() - started)

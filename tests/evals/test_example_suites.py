"""evals/coding_agent and evals/research_agent run offline (scripted models) with exact scores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agentkit.evals import EvalReport
from evals.coding_agent import run_suite as run_coding
from evals.research_agent import run_suite as run_research

ROOT = Path(__file__).resolve().parents[2]
PYTEST = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
FIX = (
    "--- a/calc.py\n+++ b/calc.py\n@@ -1,3 +1,3 @@\n def add(a, b):\n"
    '     """The sum of a and b."""\n-    return a - b\n+    return a + b\n'
)
PLAN: list[tuple[str, dict[str, object]]] = [
    ("run_command", {"argv": PYTEST, "cwd": "."}),
    ("read_file", {"path": "calc.py", "start_line": 1, "end_line": None}),
    ("apply_patch", {"diff": FIX}),
    ("run_command", {"argv": PYTEST, "cwd": "."}),
    ("git_commit", {"message": "Fix add", "branch": "fix/add"}),
]


def scores(report: EvalReport) -> dict[str, dict[str, float]]:
    return {c.name: {s.scorer: round(s.value, 3) for s in c.scores} for c in report.cases}


async def test_coding_agent_suite_scores() -> None:
    report = await run_coding()
    assert [c.error for c in report.cases] == [None] * 4
    assert scores(report) == {
        "fix-and-commit": {
            "tool-trajectory": 1.0,
            "contains": 1.0,
            "max-tool-calls": 1.0,
            "fixed-and-committed": 1.0,
        },
        # in order: the commit is looked for after a second test run that never came
        "commit-without-retesting": {
            "tool-trajectory": 0.6,
            "contains": 1.0,
            "max-tool-calls": 1.0,
            "fixed-and-committed": 1.0,
        },
        "rereads-the-file": {
            "tool-trajectory": 1.0,
            "contains": 1.0,
            "max-tool-calls": 0.0,
            "fixed-and-committed": 1.0,
        },
        "gives-up": {
            "tool-trajectory": 0.4,
            "contains": 0.0,
            "max-tool-calls": 1.0,
            "fixed-and-committed": 0.0,
        },
    }
    assert [c.passed for c in report.cases] == [True, False, False, False]
    assert report.pass_rate == 0.25


async def test_research_agent_suite_scores() -> None:
    report = await run_research()
    assert [c.error for c in report.cases] == [None] * 4
    assert scores(report) == {
        "durable-agents": {
            "tool-trajectory": 1.0,
            "contains": 1.0,
            "max-tool-calls": 1.0,
            "sources-remembered": 1.0,
        },
        "writer-skips-recall": {
            "tool-trajectory": 0.875,
            "contains": 1.0,
            "max-tool-calls": 1.0,
            "sources-remembered": 1.0,
        },
        "searcher-reads-nothing": {
            "tool-trajectory": 0.875,
            "contains": 1.0,
            "max-tool-calls": 1.0,
            "sources-remembered": 0.5,
        },
        "never-published": {
            "tool-trajectory": 0.875,
            "contains": 0.0,
            "max-tool-calls": 1.0,
            "sources-remembered": 1.0,
        },
    }
    assert [c.passed for c in report.cases] == [True, False, False, False]


def test_the_suites_run_as_modules() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "evals.research_agent"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines()[-1] == (
        "research_agent: 25% of 4 passed; means: tool-trajectory 0.91, contains 0.75, "
        "max-tool-calls 1.00, sources-remembered 0.88"
    )


def test_a_bad_model_spec_names_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evals.coding_agent", "--model", "gpt-4o"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert (
        "--model must be openai:NAME, anthropic:NAME or litellm:NAME, not 'gpt-4o'" in done.stderr
    )


async def test_a_given_model_replaces_every_script(tmp_path: Path) -> None:
    """``--model``'s path: the model given plays every case (the scripts are ignored)."""
    from agentkit.evals import Dataset
    from agentkit.models import ModelRequest, ModelResponse, ScriptedModel
    from evals.coding_agent import CASES

    gives_up = Dataset.load(CASES).cases[-1]
    assert gives_up.name == "gives-up"
    Dataset([gives_up], name="coding_agent").save(tmp_path / "one.yaml")

    def full_plan(request: ModelRequest) -> ModelResponse:
        # The example's own plan (run, read, fix, run, commit), whatever the case's script says.
        turn = sum(1 for m in request.messages if m.role == "assistant")
        if turn < len(PLAN):
            return ScriptedModel.tool_call(*PLAN[turn])
        return ScriptedModel.text("Fixed add; committed on fix/add.")

    report = await run_coding(ScriptedModel(full_plan), tmp_path / "one.yaml")
    assert scores(report) == {
        "gives-up": {
            "tool-trajectory": 1.0,
            "contains": 1.0,
            "max-tool-calls": 1.0,
            "fixed-and-committed": 1.0,
        }
    }

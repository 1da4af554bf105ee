"""examples/coding_agent.py: it fixes the failing test and commits after approval,
in one process, and across processes SIGKILLed at random points."""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from tests.killing import REPO, kill_until_done, run_process

EXAMPLE = REPO / "examples" / "coding_agent.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_coding_agent", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_coding_agent(capsys: pytest.CaptureFixture[str]) -> None:
    output = await load().main()
    assert output == "Fixed add (it subtracted); the test passes; committed on fix/add."
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        'waiting: git_commit({"branch": "fix/add", "message": "Fix add: return the sum"})'
    )
    assert lines[1:5] == [
        "run_command: [exit code 1]",
        "read_file:      3\t    return a - b",
        "apply_patch: patched calc.py",
        "run_command: [exit code 0]",
    ]
    assert lines[5].startswith("git_commit: ")
    assert lines[5].endswith(" (HEAD -> fix/add) Fix add: return the sum")
    assert lines[6] == output


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [7, 19])
def test_coding_agent_killed_and_resumed(tmp_path: Path, seed: int) -> None:
    workdir = tmp_path / "calc"
    database = f"sqlite:///{tmp_path}/coding.db"
    ledger = tmp_path / "ledger"
    env = {"PYTHONPATH": str(REPO), "CODING_LEDGER": str(ledger)}
    command = [str(EXAMPLE)]
    started = run_process(
        [sys.executable, *command, "start", database, str(workdir)], cwd=REPO, env=env, check=True
    )
    run_id = started.stdout.strip()
    rng = random.Random(seed)

    before = kill_until_done(
        # The work after "ready" takes about 2 s on a quiet machine: a first delay
        # longer than that would let the run finish without any kill.
        [*command, "resume", database, str(workdir), run_id],
        env,
        kills=3,
        max_delay=1.2,
        rng=rng,
    )
    assert before.final_stdout.strip().splitlines()[-1] == "waiting"
    run_process(
        [sys.executable, *command, "approve", database, str(workdir), run_id],
        cwd=REPO,
        env=env,
        check=True,
    )
    after = kill_until_done(
        [*command, "resume", database, str(workdir), run_id], env, kills=1, max_delay=1.0, rng=rng
    )
    killed = set(before.killed_pids) | set(after.killed_pids)
    assert before.killed_pids  # the seed kills mid-run

    messages = json.loads(after.final_stdout.strip().splitlines()[-1])
    results = [
        part["content"]
        for m in messages
        for part in m["parts"]
        if part.get("kind") == "tool_result"
    ]
    assert results[0].endswith("[exit code 1]")
    assert results[1:3] == [
        '     1\tdef add(a, b):\n     2\t    """The sum of a and b."""\n     3\t    return a - b',
        "patched calc.py",
    ]
    assert results[3].endswith("[exit code 0]")
    # The journaled commit is the real one, made once: one commit on the branch.
    commit = _git(workdir, "rev-parse", "--short", "fix/add")
    assert results[4] == f"{commit} (HEAD -> fix/add) Fix add: return the sum"
    assert _git(workdir, "log", "--format=%s", "fix/add") == "Fix add: return the sum\ncalc"
    assert (workdir / "calc.py").read_text().endswith("return a + b\n")

    runs: dict[str, list[int]] = defaultdict(list)
    for line in ledger.read_text().splitlines():
        kind, turn, pid = line.split()
        runs[f"{kind} {turn}"].append(int(pid))
    for step, pids in runs.items():
        if step.startswith("infer"):
            assert set(pids[:-1]) <= killed, (step, pids, killed)
    # pytest ran twice for the run, plus at most once per killed process.
    assert 2 <= len(runs["pytest 0"]) <= 2 + len(killed)

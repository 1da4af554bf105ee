"""A coding agent: fix a failing test in a small repository, then commit after approval.

    python examples/coding_agent.py

The agent gets the file tools (jailed to the repository), ``python -m pytest``
through the shell tool (the only command allowed) and the git tools, whose
``git_commit`` waits for a human. A `ScriptedModel` plays the model: it runs
the tests, reads the code, fixes it with a unified diff, runs the tests again
and commits on a branch. Every model and tool call is a durable step.

The same program runs a run across processes (the kill test uses it):
``start DB WORKDIR`` queues a run, ``resume DB WORKDIR RUN_ID`` drives it until
it waits for approval or ends, ``approve DB WORKDIR RUN_ID`` approves the commit.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from agentkit import Agent, AgentKit, ManualClock, agent_function, start_agent
from agentkit.models import Model, ModelRequest, ModelResponse, ScriptedModel
from agentkit.store import InMemoryStore
from agentkit.tools import Limits, file_tools, git_tools, shell_tools

REPOSITORY = {
    "calc.py": 'def add(a, b):\n    """The sum of a and b."""\n    return a - b\n',
    "test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    # Each pytest run appends the pid of the process that started it (the agent's).
    "conftest.py": (
        "import os\n\n\ndef pytest_sessionstart(session):\n"
        "    ledger = os.environ.get('CODING_LEDGER')\n"
        "    if ledger:\n"
        "        with open(ledger, 'a') as f:\n"
        "            f.write(f'pytest 0 {os.getppid()}\\n')\n"
    ),
}
FIX = (
    "--- a/calc.py\n+++ b/calc.py\n@@ -1,3 +1,3 @@\n def add(a, b):\n"
    '     """The sum of a and b."""\n-    return a - b\n+    return a + b\n'
)
PYTEST = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
PLAN: list[tuple[str, dict[str, Any]]] = [
    ("run_command", {"argv": PYTEST, "cwd": "."}),
    ("read_file", {"path": "calc.py", "start_line": 1, "end_line": None}),
    ("apply_patch", {"diff": FIX}),
    ("run_command", {"argv": PYTEST, "cwd": "."}),
    ("git_commit", {"message": "Fix add: return the sum", "branch": "fix/add"}),
]


def make_repository(root: Path) -> None:
    """A git repository whose one test fails."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in REPOSITORY.items():
        (root / name).write_text(text)
    env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "PATH": os.defpath}
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=dev", "-c", "user.email=dev@localhost", "commit", "-qm", "calc"],
    ):
        subprocess.run(argv, cwd=root, env=env, check=True)


def respond(request: ModelRequest) -> ModelResponse:
    """The scripted model: the next step of the plan, then a summary."""
    turn = sum(1 for m in request.messages if m.role == "assistant")
    ledger = os.environ.get("CODING_LEDGER")
    if ledger:
        with open(ledger, "a") as f:
            f.write(f"infer {turn} {os.getpid()}\n")
    if turn < len(PLAN):
        name, arguments = PLAN[turn]
        return ScriptedModel.tool_call(name, arguments, id=f"call_{turn}")
    return ScriptedModel.text("Fixed add (it subtracted); the test passes; committed on fix/add.")


def coder(root: Path, model: Model | None = None, *, approve: bool = True) -> Agent[str]:
    """The agent, its tools bound to the repository at ``root``.

    ``model`` replaces the scripted one; ``approve=False`` commits without
    waiting for a human (the eval suite, evals/coding_agent, runs it so).
    """
    python_dir = os.path.dirname(sys.executable)
    passthrough = {"PATH": f"{python_dir}{os.pathsep}{os.defpath}"}
    if "CODING_LEDGER" in os.environ:
        passthrough["CODING_LEDGER"] = os.environ["CODING_LEDGER"]
    return Agent(
        "coder",
        "You fix failing tests. Read before you edit; edit with unified diffs; "
        "run the tests; commit on a branch when they pass.",
        model or ScriptedModel(respond),
        [
            file_tools(root),
            shell_tools(
                root, allow=[["python", "-m", "pytest"]], env=passthrough, limits=Limits(timeout=60)
            ),
            git_tools(root, commit_needs_approval=approve),
        ],
        max_iter=10,
    )


async def main() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "calc"
        make_repository(root)
        kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
        agent = coder(root)
        handle = await start_agent(kit, agent, "The tests fail. Fix the code and commit.")
        await kit.worker(stop_when_idle=True)  # runs until the commit waits for approval
        [token] = handle.tokens()
        print(f"{handle.status()}: {token.description}")
        kit.complete_token(token.token, {"approved": True})
        await kit.worker(stop_when_idle=True)
        result = await handle.result()
        for each in result.tool_results:
            print(f"{each.name}: {each.content.splitlines()[-1]}")
        print(result.output)
        kit.close()
        return result.output


async def _cli(command: str, database: str, workdir: str, run_id: str | None) -> None:
    root = Path(workdir)
    if command == "start":
        make_repository(root)
    kit = AgentKit(database, lease_ttl=0.3)
    agent = coder(root)
    agent_function(kit, agent)
    if command == "start":
        handle = await start_agent(kit, agent, "The tests fail. Fix the code and commit.")
        print(handle.id)
    elif command == "approve":
        [token] = kit.get_run(str(run_id)).tokens()
        kit.complete_token(token.token, {"approved": True})
    else:
        print("ready", flush=True)
        handle = kit.get_run(str(run_id))
        while handle.status() not in ("waiting", "completed", "failed"):
            await kit.worker(stop_when_idle=True, poll_interval=0.02)
        if handle.status() == "completed":
            result = await handle.result()
            print(json.dumps([m.model_dump(mode="json") for m in result.messages]))
        else:
            print(handle.status())
    kit.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        args = sys.argv[1:]
        asyncio.run(_cli(args[0], args[1], args[2], args[3] if len(args) > 3 else None))
    else:
        asyncio.run(main())

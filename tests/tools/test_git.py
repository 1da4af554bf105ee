"""Git tools on a real repository in a temporary workspace."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from agentkit import ToolRetry
from agentkit.tools import git_tools


def step_context(key: str) -> object:
    """What git_commit uses of its Context: the running step's idempotency key."""
    return SimpleNamespace(step=SimpleNamespace(idempotency_key=key))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True, env=env)
    (tmp_path / "a.txt").write_text("one\n")
    tool = git_tools(tmp_path, commit_needs_approval=False).get("git_commit")
    import asyncio

    asyncio.run(tool.fn(message="first", branch="main", ctx=step_context("run_1/first")))
    return tmp_path


async def test_status_diff_log_and_commit_on_a_branch(repo: Path) -> None:
    git = git_tools(repo)
    assert git.get("git_commit").needs_approval is True
    (repo / "a.txt").write_text("one\ntwo\n")
    (repo / "hooked").write_text("x\n")
    status = await git.get("git_status").fn()
    assert status == "## main\n M a.txt\n?? hooked\n"
    diff = await git.get("git_diff").fn(path="a.txt")
    assert diff.endswith("@@ -1 +1,2 @@\n one\n+two\n")
    # A hook in the repository does not run: hooks are off.
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\ntouch HOOK_RAN\n")
    hook.chmod(0o755)
    commit = git.get("git_commit").fn
    line = await commit(message="add two", branch="fix/two", ctx=step_context("run_1/c"))
    assert line.endswith("(HEAD -> fix/two) add two")
    assert not (repo / "HOOK_RAN").exists()
    log = await git.get("git_log").fn(max_count=5)
    assert [entry.split(" ", 1)[1] for entry in log.splitlines()] == [
        "(HEAD -> fix/two) add two",
        "(main) first",
    ]
    assert await git.get("git_diff").fn() == "[no changes]"
    # The same step run again (a crash after the commit) finds its commit.
    assert await commit(message="add two", branch="fix/two", ctx=step_context("run_1/c")) == line
    with pytest.raises(ToolRetry, match="nothing committed"):
        await commit(message="again", branch="fix/two", ctx=step_context("run_1/d"))
    with pytest.raises(ToolRetry, match="not a plain branch name"):
        await commit(message="x", branch="--force", ctx=step_context("run_1/e"))

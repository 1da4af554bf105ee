"""Git in the workspace: status, diff, log, and commit on a branch.

Each runs ``git`` with argv (no shell) under `run_contained`'s limits, with a
scrubbed environment, no system or global configuration and hooks turned off
(a model that can write files must not get code run by ``git commit``).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable

from agentkit.agents import FunctionTool, ToolRetry, Toolset
from agentkit.durable import Context
from agentkit.errors import ConfigError
from agentkit.tools._process import Limits, run_contained, scrubbed_environment
from agentkit.tools._workspace import Workspace

__all__ = ["git_tools"]

_TRAILER = "Agentkit-Step"
_BRANCH = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,100}(?<![./])$")


class _Git:
    def __init__(self, workspace: Workspace, limits: Limits, author: tuple[str, str]) -> None:
        git = shutil.which("git")
        if git is None:
            raise ConfigError("git_tools needs the git program on PATH")
        self.git = git
        self.ws = workspace
        self.limits = limits
        name, email = author
        self.env = scrubbed_environment(
            {
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull,
                "GIT_AUTHOR_NAME": name,
                "GIT_AUTHOR_EMAIL": email,
                "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email,
                "GIT_TERMINAL_PROMPT": "0",
            },
            home=str(workspace.root),
        )

    async def run(self, *args: str) -> tuple[int | None, str]:
        argv = [self.git, "-c", f"core.hooksPath={os.devnull}", "-c", "color.ui=never", *args]
        result = await run_contained(argv, cwd=str(self.ws.root), env=self.env, limits=self.limits)
        if result.timed_out:
            raise ToolRetry(f"git {args[0]} timed out")
        text = result.output
        if result.dropped_bytes:
            text += f"\n[output truncated: {result.dropped_bytes} more bytes not shown]"
        return result.exit_code, text

    async def checked(self, *args: str) -> str:
        code, text = await self.run(*args)
        if code != 0:
            raise ToolRetry(f"git {' '.join(args[:2])} failed (exit {code}): {text.strip()}")
        return text

    async def git_status(self) -> str:
        """The current branch and the changed files (git status --short --branch)."""
        return await self.checked("status", "--short", "--branch")

    async def git_diff(self, staged: bool = False, path: str | None = None) -> str:
        """The changes not yet committed, as a unified diff.

        Args:
            staged: Show staged changes instead of unstaged ones.
            path: Only this file or folder (relative to the workspace root).
        """
        args = ["diff", "--no-ext-diff"]
        if staged:
            args.append("--cached")
        if path is not None:
            args += ["--", "/".join(self.ws.parts(path)) or "."]
        return await self.checked(*args) or "[no changes]"

    async def git_log(self, max_count: int = 10) -> str:
        """Recent commits, one line each.

        Args:
            max_count: How many commits.
        """
        count = max(1, min(max_count, 100))
        return await self.checked("log", f"--max-count={count}", "--oneline", "--decorate")

    async def git_commit(self, message: str, branch: str, ctx: Context) -> str:
        """Commit every change in the workspace on a branch (created from HEAD if new).

        Args:
            message: The commit message.
            branch: The branch to commit on, e.g. 'fix/add'.
        """
        if not _BRANCH.match(branch):
            raise ToolRetry(f"branch name {branch!r} is not a plain branch name")
        if not message.strip():
            raise ToolRetry("the commit message is empty")
        # The step's idempotency key goes into the commit as a trailer: a step
        # re-run after a crash that came after the commit finds it, not "nothing to commit".
        key = ctx.step.idempotency_key
        code, done = await self.run(
            "log", branch, "--fixed-strings", f"--grep={_TRAILER}: {key}", "--format=%h", "--"
        )
        if code == 0 and done.strip():
            return (
                await self.checked("log", "-1", "--oneline", "--decorate", done.split()[0])
            ).strip()
        message = f"{message.rstrip()}\n\n{_TRAILER}: {key}\n"
        current = (await self.checked("symbolic-ref", "--short", "HEAD")).strip()
        if current != branch:
            await self.checked("checkout", "-B", branch)
        await self.checked("add", "-A")
        code, text = await self.run("commit", "-m", message)
        if code != 0:
            raise ToolRetry(f"nothing committed: {text.strip()}")
        return (await self.checked("log", "-1", "--oneline", "--decorate")).strip()


def git_tools(
    root: str | os.PathLike[str] | Workspace,
    *,
    author: tuple[str, str] = ("agentkit", "agentkit@localhost"),
    limits: Limits | None = None,
    commit_needs_approval: bool | Callable[..., bool] = True,
) -> Toolset:
    """A `Toolset` named ``git``: ``git_status``, ``git_diff``, ``git_log``, ``git_commit``.

    Args:
        root: The workspace root (a git work tree) or a `Workspace`.
        author: Name and email for commits.
        limits: Timeout and output cap for each git command.
        commit_needs_approval: ``needs_approval`` for ``git_commit`` (default: True).
    """
    workspace = root if isinstance(root, Workspace) else Workspace(root)
    git = _Git(workspace, limits or Limits(timeout=30), author)
    return Toolset(
        [
            FunctionTool(git.git_status, name="git_status"),
            FunctionTool(git.git_diff, name="git_diff"),
            FunctionTool(git.git_log, name="git_log"),
            FunctionTool(git.git_commit, name="git_commit", needs_approval=commit_needs_approval),
        ],
        name="git",
    )

"""The shell and Python tools: off unless built, allow-listed, limited, in the workspace.

``shell_tools(workspace, allow=["pytest", ["git", "status"]])`` gives the model
one tool, ``run_command(argv, cwd)``: ``argv[0]`` (and, for a list entry, the
arguments after it) must match an allow-list entry; the command runs without a
shell, in a folder of the workspace, with a scrubbed environment and the
`Limits` of `run_contained`. Arguments that are absolute paths or climb with
``..`` are refused as well (defence in depth: an allowed program may still
open any path it is given, so allow only programs you trust with the workspace).

``python_tools(workspace)`` gives ``run_python(code)``: ``python -I -`` with
the code on stdin, under the same limits.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence

from agentkit.agents import FunctionTool, ToolRetry, Toolset
from agentkit.errors import ConfigError
from agentkit.tools._process import Limits, run_contained, scrubbed_environment
from agentkit.tools._workspace import PathRefused, Workspace

__all__ = ["python_tools", "shell_tools"]


def _screen_argument(argument: str) -> None:
    if "\x00" in argument:
        raise PathRefused(f"argument {argument!r} contains a NUL byte")
    for piece in (argument, argument.partition("=")[2]):
        if piece.startswith(("/", "~")):
            raise PathRefused(f"argument {argument!r} is an absolute path; use workspace paths")
        if ".." in piece.replace("\\", "/").split("/"):
            raise PathRefused(f"argument {argument!r} contains '..'; paths stay in the workspace")


class _Shell:
    def __init__(
        self,
        workspace: Workspace,
        allow: Sequence[str | Sequence[str]],
        limits: Limits,
        env: Mapping[str, str],
    ) -> None:
        if not allow:
            raise ConfigError("shell_tools needs a non-empty allow-list of commands")
        self.prefixes: list[tuple[str, ...]] = []
        for entry in allow:
            prefix = (entry,) if isinstance(entry, str) else tuple(entry)
            if not prefix or "/" in prefix[0] or not prefix[0]:
                raise ConfigError(f"allow-list entry {entry!r} must start with a command name")
            self.prefixes.append(prefix)
        self.ws = workspace
        self.limits = limits
        self.env = scrubbed_environment(env, home=str(workspace.root))

    def allowed(self, argv: list[str]) -> bool:
        return any(tuple(argv[: len(p)]) == p for p in self.prefixes)

    async def run_command(self, argv: list[str], cwd: str = ".") -> str:
        """Run an allow-listed command (no shell: one list item per argument) in the workspace.

        Args:
            argv: The command and its arguments, e.g. ["pytest", "-q", "tests"].
            cwd: Folder to run in, relative to the workspace root.
        """
        if not argv:
            raise ToolRetry("argv is empty; give the command and its arguments as a list")
        if not self.allowed(argv):
            allowed = ", ".join(" ".join(p) for p in self.prefixes)
            raise ToolRetry(f"command {argv[:2]!r} is not allowed; allowed commands: {allowed}")
        for argument in argv:
            _screen_argument(argument)
        program = shutil.which(argv[0], path=self.env["PATH"])
        if program is None:
            raise ToolRetry(f"command {argv[0]!r} is not installed")
        with self.ws.directory(cwd) as folder:
            result = await run_contained(
                [program, *argv[1:]], cwd=folder, env=self.env, limits=self.limits
            )
        return result.render()


class _Python:
    def __init__(self, workspace: Workspace, limits: Limits, interpreter: str) -> None:
        self.ws = workspace
        self.limits = limits
        self.interpreter = interpreter
        self.env = scrubbed_environment(home=str(workspace.root))

    async def run_python(self, code: str) -> str:
        """Run a Python program (its stdout and stderr are the result) in the workspace.

        Args:
            code: The program's source.
        """
        result = await run_contained(
            [self.interpreter, "-I", "-"],
            cwd=str(self.ws.root),
            env=self.env,
            limits=self.limits,
            stdin=code.encode(),
        )
        return result.render()


def shell_tools(
    root: str | os.PathLike[str] | Workspace,
    *,
    allow: Sequence[str | Sequence[str]],
    limits: Limits | None = None,
    env: Mapping[str, str] | None = None,
    needs_approval: bool | Callable[..., bool] = False,
) -> Toolset:
    """A `Toolset` named ``shell`` with ``run_command``, for allow-listed commands only.

    Args:
        root: The workspace root or a `Workspace`; commands run in it.
        allow: Command names (``"pytest"``: any arguments) or argv prefixes
            (``["git", "status"]``). Required: there is no default.
        limits: Timeout, output cap and rlimits.
        env: Extra environment variables (names that look like secrets are refused).
        needs_approval: ``needs_approval`` for ``run_command``.

    Raises:
        ConfigError: the allow-list is empty or malformed.
        ValueError: ``env`` names a secret-looking variable.
    """
    workspace = root if isinstance(root, Workspace) else Workspace(root)
    shell = _Shell(workspace, allow, limits or Limits(), env or {})
    run = FunctionTool(shell.run_command, name="run_command", needs_approval=needs_approval)
    return Toolset([run], name="shell")


def python_tools(
    root: str | os.PathLike[str] | Workspace,
    *,
    limits: Limits | None = None,
    interpreter: str = sys.executable,
    needs_approval: bool | Callable[..., bool] = False,
) -> Toolset:
    """A `Toolset` named ``python`` with ``run_python``: code in a limited subprocess.

    The code runs with the workspace as its folder, a scrubbed environment,
    a timeout and a memory limit; it is contained, not jailed (it can read
    what the process user can).

    Args:
        root: The workspace root or a `Workspace`.
        limits: Timeout, output cap and rlimits (``memory_bytes`` is the memory limit).
        interpreter: The Python executable.
        needs_approval: ``needs_approval`` for ``run_python``.
    """
    workspace = root if isinstance(root, Workspace) else Workspace(root)
    runner = _Python(workspace, limits or Limits(), interpreter)
    run = FunctionTool(runner.run_python, name="run_python", needs_approval=needs_approval)
    return Toolset([run], name="python")

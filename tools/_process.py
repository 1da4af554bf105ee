"""Run a command contained: argv only, its own process group, rlimits, a timeout, capped output.

The child starts a new session (so a timeout kills it and everything it
forked with one ``killpg``), gets resource limits in ``preexec_fn`` on Linux
(CPU seconds, address space, file size, process count, no core dumps), and
sees only the environment it is given. Output (stdout and stderr merged) is
kept up to a cap and the rest counted and dropped, so a command printing
forever costs memory only up to the cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["Limits", "ProcessResult", "run_contained", "scrubbed_environment"]

_SECRET_NAME = re.compile(
    r"(KEY|TOKEN|SECRET|PASSW|PASSWD|CREDENTIAL|AUTH(?!OR)|COOKIE|SESSION|PRIVATE|_PAT$|DSN|DATABASE_URL)",
    re.IGNORECASE,
)
_SAFE_NAMES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM")


@dataclass(frozen=True)
class Limits:
    """Limits for one command.

    Attributes:
        timeout: Wall-clock seconds before the process group is killed.
        max_output: Bytes of output kept (the rest is counted, not kept).
        cpu_seconds: RLIMIT_CPU.
        memory_bytes: RLIMIT_AS (address space).
        file_bytes: RLIMIT_FSIZE (largest file the command may write).
        processes: RLIMIT_NPROC (not enforced for root: the timeout's killpg still applies).
    """

    timeout: float = 60.0
    max_output: int = 64_000
    cpu_seconds: int = 60
    memory_bytes: int = 2 * 1024**3
    file_bytes: int = 64 * 1024**2
    processes: int = 256


@dataclass(frozen=True)
class ProcessResult:
    """What a contained command did."""

    exit_code: int | None
    output: str
    dropped_bytes: int
    timed_out: bool

    def render(self) -> str:
        """The result as the model reads it."""
        lines = [self.output.rstrip("\n")] if self.output else []
        if self.dropped_bytes:
            lines.append(f"[output truncated: {self.dropped_bytes} more bytes not shown]")
        if self.timed_out:
            lines.append("[killed: timed out]")
        else:
            lines.append(f"[exit code {self.exit_code}]")
        return "\n".join(lines)


def scrubbed_environment(
    passthrough: Mapping[str, str] | None = None, *, home: str | None = None
) -> dict[str, str]:
    """A minimal environment: PATH, locale and ``passthrough``, never a secret-looking name.

    Raises:
        ValueError: a passthrough name looks like a secret.
    """
    env = {name: os.environ[name] for name in _SAFE_NAMES if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    for name, value in (passthrough or {}).items():
        if _SECRET_NAME.search(name):
            raise ValueError(f"environment variable {name!r} looks like a secret; it is not passed")
        env[name] = value
    if home is not None:
        env["HOME"] = home
    return env


def _limiter(limits: Limits, cwd_fd: int | None) -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None if cwd_fd is None else lambda: os.fchdir(cwd_fd)
    import resource

    def apply() -> None:
        if cwd_fd is not None:  # the folder that was checked, not whatever its path names now
            os.fchdir(cwd_fd)
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def run_contained(
    argv: list[str],
    *,
    cwd: str | int,
    env: Mapping[str, str],
    limits: Limits,
    stdin: bytes | None = None,
) -> ProcessResult:
    """Run ``argv`` (no shell) under ``limits``; the process group is killed afterwards too.

    ``cwd`` is a path, or a descriptor of an open folder (entered with ``fchdir``
    in the child, so a symlink swapped in for the path after a check is not followed).
    """
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd if isinstance(cwd, str) else None,
        env=dict(env),
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_limiter(limits, None if isinstance(cwd, str) else cwd),
    )
    kept = bytearray()
    dropped = 0
    timed_out = False

    async def pump() -> None:
        nonlocal dropped
        assert process.stdout is not None
        if stdin is not None and process.stdin is not None:
            process.stdin.write(stdin)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                await process.stdin.drain()
            process.stdin.close()
        while chunk := await process.stdout.read(1 << 16):
            room = limits.max_output - len(kept)
            kept.extend(chunk[: max(room, 0)])
            dropped += max(len(chunk) - max(room, 0), 0)
        await process.wait()

    try:
        async with asyncio.timeout(limits.timeout):
            await pump()
    except TimeoutError:
        timed_out = True
    finally:
        _kill_group(process.pid)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    return ProcessResult(
        exit_code=None if timed_out else process.returncode,
        output=kept.decode(errors="replace"),
        dropped_bytes=dropped,
        timed_out=timed_out,
    )

"""Harness for crash tests: run a command, SIGKILL it at a random moment, repeat.

Used by every test that proves a run survives a killed process. Each process is
expected to print ``ready`` on stdout once its imports are done, so that kill
points land in the work and not in interpreter start-up.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class KillReport:
    """What happened to one run across its processes."""

    killed_pids: list[int] = field(default_factory=list)
    final_pid: int | None = None
    final_stdout: str = ""


class _Child:
    """A child process with its stdout pipe and its stderr in a temporary file.

    stderr goes to a file: a pipe nobody reads could fill up and stall the child.
    """

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.errors = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=REPO,
            env={**os.environ, **env, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
        )
        self.pid = self.proc.pid

    def stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read()

    def wait_ready(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.wait(timeout=30)
            message = f"process did not start: {line!r}\n{self.stderr()}"
            self.close()
            raise AssertionError(message)

    def finish(self, timeout: float) -> str:
        """Wait for a normal exit; return the rest of stdout (after ``ready``)."""
        self.proc.wait(timeout=timeout)
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()  # the buffered reader readline() used, not the raw fd
        code, errors = self.proc.returncode, self.stderr()
        self.close()
        if code != 0:
            raise AssertionError(f"process {self.pid} exited {code}: {errors}")
        return out

    def kill(self) -> bool:
        """SIGKILL the child; False if it had already exited by itself."""
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        if self.proc.returncode != -signal.SIGKILL:
            return False
        self.close()
        return True

    def close(self) -> None:
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.errors.close()


def kill_until_done(
    args: list[str],
    env: dict[str, str],
    *,
    kills: int,
    max_delay: float,
    rng: random.Random,
    timeout: float = 60.0,
) -> KillReport:
    """Start ``args`` up to ``kills`` times, SIGKILL each after a random delay,
    then let one last process finish. Returns the pids killed and the survivor."""
    report = KillReport()
    for _ in range(kills):
        child = _Child(args, env)
        child.wait_ready()
        time.sleep(rng.uniform(0, max_delay))
        if child.proc.poll() is None and child.kill():
            report.killed_pids.append(child.pid)
            continue
        report.final_pid, report.final_stdout = child.pid, child.finish(timeout)
        return report
    child = _Child(args, env)
    child.wait_ready()
    report.final_pid, report.final_stdout = child.pid, child.finish(timeout)
    return report

"""Subprocesses and time limits for tests, in one place.

Every time limit a test sets (a subprocess wait, a polling loop, pytest-timeout
per test) goes through `deadline`, which multiplies it by one setting,
``AGENTKIT_TEST_TIMEOUT_SCALE`` (default 1). The limits written in the tests are
generous for a loaded 2-core machine; a slower one raises the scale instead of
editing tests.

Every subprocess a test starts goes through `run_process` (waits, kills on time-out and
reaps, as `subprocess.run` does) or `spawn` (a context manager that kills and
reaps the child and closes its pipes on the way out, whatever happened). A child
left running, or not reaped, would outlive its test and fail a later one with a
``ResourceWarning``.

The crash harness, `kill_until_done`, runs a command, SIGKILLs it at a random
moment and repeats. Each process is expected to print ``ready`` on stdout once
its imports are done, so that kill points land in the work and not in
interpreter start-up.
"""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_SCALE_ENV = "AGENTKIT_TEST_TIMEOUT_SCALE"


def timeout_scale() -> float:
    """The factor every test time limit is multiplied by (``AGENTKIT_TEST_TIMEOUT_SCALE``)."""
    raw = os.environ.get(TIMEOUT_SCALE_ENV, "1")
    try:
        scale = float(raw)
    except ValueError:
        scale = math.nan
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"{TIMEOUT_SCALE_ENV}={raw!r} must be a finite number above 0")
    return scale


def deadline(seconds: float) -> float:
    """``seconds`` of patience, scaled by ``AGENTKIT_TEST_TIMEOUT_SCALE``."""
    return seconds * timeout_scale()


def reap(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL ``proc`` if it still runs, wait for it and close its pipes."""
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=deadline(30))
    finally:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@contextmanager
def spawn(args: Sequence[str], **options: Any) -> Iterator[subprocess.Popen[str]]:
    """Start ``args`` (text mode); on exit the child is killed if alive, reaped, pipes closed."""
    proc: subprocess.Popen[str] = subprocess.Popen(list(args), text=True, **options)
    try:
        yield proc
    finally:
        reap(proc)


def run_process(
    args: Sequence[str], *, timeout: float = 120, check: bool = False, **options: Any
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run` with output captured as text and a scaled ``timeout``.

    On a time-out (or any error) the child is killed and reaped before the error
    propagates.
    """
    options.setdefault("capture_output", True)
    return subprocess.run(list(args), text=True, timeout=deadline(timeout), check=check, **options)


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
        self.errors: IO[str] = tempfile.TemporaryFile(mode="w+")
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
            self.proc.wait(timeout=deadline(60))
            raise AssertionError(f"process did not start: {line!r}\n{self.stderr()}")

    def finish(self, timeout: float) -> str:
        """Wait for a normal exit; return the rest of stdout (after ``ready``)."""
        self.proc.wait(timeout=deadline(timeout))
        assert self.proc.stdout is not None
        out = self.proc.stdout.read()  # the buffered reader readline() used, not the raw fd
        code = self.proc.returncode
        if code != 0:
            raise AssertionError(f"process {self.pid} exited {code}: {self.stderr()}")
        return out

    def kill(self) -> bool:
        """SIGKILL the child; False if it had already exited by itself."""
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=deadline(30))
        return self.proc.returncode == -signal.SIGKILL

    def close(self) -> None:
        """Kill the child if it still runs, reap it, close its pipe and file."""
        try:
            reap(self.proc)
        finally:
            self.errors.close()


def kill_until_done(
    args: list[str],
    env: dict[str, str],
    *,
    kills: int,
    max_delay: float,
    rng: random.Random,
    timeout: float = 120.0,
) -> KillReport:
    """Start ``args`` up to ``kills`` times, SIGKILL each after a random delay,
    then let one last process finish. Returns the pids killed and the survivor.

    ``timeout`` (scaled by `deadline`) bounds the wait for the last process.
    """
    report = KillReport()
    for _ in range(kills):
        child = _Child(args, env)
        try:
            child.wait_ready()
            time.sleep(rng.uniform(0, max_delay))
            if child.proc.poll() is None and child.kill():
                report.killed_pids.append(child.pid)
                continue
            report.final_pid, report.final_stdout = child.pid, child.finish(timeout)
            return report
        finally:
            child.close()
    child = _Child(args, env)
    try:
        child.wait_ready()
        report.final_pid, report.final_stdout = child.pid, child.finish(timeout)
    finally:
        child.close()
    return report

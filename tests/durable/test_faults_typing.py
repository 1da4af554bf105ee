"""`kit.start(fn, **input)` is typed by ``fn``'s parameters: mypy catches a wrong keyword.

Runs mypy (strict, the project's config) in a subprocess on
``tests/typecheck/typed_start.py``. A cold mypy run takes a minute on a loaded
machine, so the test is marked slow.
"""

from __future__ import annotations

import sys

import pytest

from tests.killing import REPO, run_process


@pytest.mark.slow
def test_start_and_run_are_typed_by_the_function_parameters() -> None:
    target = "tests/typecheck/typed_start.py"
    out = run_process(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", "/dev/null", target],
        cwd=REPO,
        timeout=600,
    )
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert errors == [
        f'{target}:20: error: Unexpected keyword argument "topc" for "start" of '
        '"AgentKit"; did you mean "topic"?  [call-arg]',
        f'{target}:21: error: Argument "depth" to "run" of "AgentKit" has incompatible type '
        '"str"; expected "int"  [arg-type]',
        f'{target}:22: error: Missing positional argument "topic" in call to "run_sync" of '
        '"AgentKit"  [call-arg]',
        f'{target}:23: error: Argument 1 to "run" of "AgentKit" has incompatible type '
        '"AgentFunction[[str, int], str]"; expected "DurableFunction[[str, int], int]"  '
        "[arg-type]",
    ], out.stdout + out.stderr

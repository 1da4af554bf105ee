"""The suite's own rules: one time-limit setting, subprocesses reaped, skips only for PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import POSTGRES_SKIP_REASON, SLOW_ENV
from tests.killing import TIMEOUT_SCALE_ENV, deadline, run_process, spawn

pytest_plugins = ["pytester"]

# The suite's hooks, loaded into an inner pytest session.
INNER_CONFTEST = """
from tests.conftest import (
    pytest_collection_modifyitems,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
"""
INNER_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\ntimeout = 120\n"


def test_deadline_scales_by_the_one_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TIMEOUT_SCALE_ENV, raising=False)
    assert deadline(30) == 30
    monkeypatch.setenv(TIMEOUT_SCALE_ENV, "2.5")
    assert deadline(30) == 75


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "fast"])
def test_a_bad_scale_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(TIMEOUT_SCALE_ENV, raw)
    with pytest.raises(ValueError) as info:
        deadline(1)
    assert str(info.value) == (
        f"AGENTKIT_TEST_TIMEOUT_SCALE={raw!r} must be a finite number above 0"
    )


def test_spawn_kills_and_reaps_the_child_when_the_test_fails() -> None:
    with (
        pytest.raises(AssertionError),
        spawn(
            [sys.executable, "-c", "import time; time.sleep(600)"], stdout=subprocess.PIPE
        ) as child,
    ):
        raise AssertionError("the test failed while its child was running")
    assert child.returncode == -9  # killed, and reaped: the return code is known
    assert child.stdout is not None and child.stdout.closed


def test_run_process_kills_the_child_at_its_scaled_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TIMEOUT_SCALE_ENV, "0.01")
    with pytest.raises(subprocess.TimeoutExpired) as info:
        run_process([sys.executable, "-c", "import time; time.sleep(600)"], timeout=100)
    assert info.value.timeout == 1.0


def test_pytest_timeouts_are_scaled(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makeini(INNER_INI)
    pytester.makepyfile(
        """
        import pytest

        def test_default(request):
            print("limit", request.node.get_closest_marker("timeout").args[0])

        @pytest.mark.timeout(300)
        def test_marked(request):
            print("limit", request.node.get_closest_marker("timeout").args[0])
        """
    )
    monkeypatch.setenv(TIMEOUT_SCALE_ENV, "2.5")
    result = pytester.runpytest("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert re.findall(r"limit (\S+)", result.stdout.str()) == ["300.0", "750.0"]


def test_postgres_skips_are_counted_and_named(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makeini(INNER_INI)
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_on_postgres(n):
            pytest.skip({POSTGRES_SKIP_REASON!r})

        def test_plain():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=3)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "3 PostgreSQL tests skipped: AGENTKIT_TEST_POSTGRES_URL is not set "
            "(.ci/postgres.sh starts one)"
        ]
    )


def test_any_other_skip_fails_the_session(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makeini(INNER_INI)
    pytester.makepyfile(
        test_missing="""
        import pytest

        pytest.importorskip("no_such_package_for_agentkit")
        """,
        test_fixture="""
        import pytest

        def test_reads_a_fixture():
            pytest.skip("fixture folder is absent")
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(skipped=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "skip not allowed (only PostgreSQL tests may skip): test_missing.py: "
            "could not import 'no_such_package_for_agentkit': "
            "No module named 'no_such_package_for_agentkit'",
            "skip not allowed (only PostgreSQL tests may skip): test_fixture.py::"
            "test_reads_a_fixture: fixture folder is absent",
        ],
        consecutive=True,
    )


SLOW_SUITE = """
import pytest

@pytest.mark.slow
def test_campaign():
    pass

def test_quick():
    pass
"""


@pytest.mark.parametrize(
    ("env", "args", "passed", "deselected"),
    [
        ("", (), 1, 1),  # a local run leaves the campaign out
        ("1", (), 2, 0),  # CI runs it
        ("", ("-m", "slow"), 1, 1),  # -m picks tests itself
    ],
)
def test_slow_suites_run_only_when_asked(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    env: str,
    args: tuple[str, ...],
    passed: int,
    deselected: int,
) -> None:
    monkeypatch.setenv(SLOW_ENV, env)
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makeini(INNER_INI + "markers =\n    slow: long\n")
    pytester.makepyfile(SLOW_SUITE)
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=passed, deselected=deselected)
    assert result.ret == pytest.ExitCode.OK
    left_out_line = f"1 slow tests left out (long kill campaigns): set {SLOW_ENV}=1 *"
    if env or args:
        assert not any(line.startswith("1 slow tests left out") for line in result.outlines)
    else:
        result.stdout.fnmatch_lines([left_out_line])

"""Shared fixtures and suite-wide rules.

- The autouse network guard makes any real connection fail the test.
- Every test's pytest-timeout limit is scaled by ``AGENTKIT_TEST_TIMEOUT_SCALE``
  (`tests.killing.deadline`), like every other time limit in the suite.
- The only allowed skip is a PostgreSQL variant without
  ``AGENTKIT_TEST_POSTGRES_URL``; the summary says how many were skipped and
  why. Any other skip (a missing file, a missing package) fails the session:
  the fixtures live in the repository and ``[dev]`` installs every package.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest.terminal import TerminalReporter

from agentkit.store import InMemoryStore, SQLStore, Store
from tests.killing import deadline

POSTGRES_URL = os.environ.get("AGENTKIT_TEST_POSTGRES_URL")
STORE_KINDS = ["sqlite", "memory", "postgres"]
POSTGRES_SKIP_REASON = (
    "PostgreSQL tests need AGENTKIT_TEST_POSTGRES_URL (.ci/postgres.sh sets one up)"
)
# The dev UI's browser test drives Debian's chromium, which .ci/chromium.sh installs.
CHROMIUM_SKIP_REASON = (
    "the browser test needs Debian's chromium on PATH (apt-get install chromium; "
    ".ci/chromium.sh installs it)"
)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkBlocked(RuntimeError):
    """A test tried to reach the network."""


def _is_local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_local(address):
        raise NetworkBlocked(f"test tried to connect to {address!r}; tests never use the network")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_local(address):
        raise NetworkBlocked(f"test tried to connect to {address!r}; tests never use the network")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_local((host.decode() if isinstance(host, bytes) else host,)):
        raise NetworkBlocked(f"test tried to resolve {host!r}; tests never use the network")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    yield


@pytest.fixture(autouse=True)
def _isolated_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Never let a test open the user's default ./.agentkit database."""
    monkeypatch.setenv("AGENTKIT_DATABASE_URL", f"sqlite:///{tmp_path}/default.db")


def make_store(kind: str, tmp_path: Path) -> Store:
    """A fresh, empty store of one kind; PostgreSQL needs AGENTKIT_TEST_POSTGRES_URL."""
    if kind == "sqlite":
        return SQLStore(f"sqlite:///{tmp_path}/kit.db")
    if kind == "memory":
        return InMemoryStore()
    if POSTGRES_URL is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    store = SQLStore(POSTGRES_URL, auto_migrate=True)
    store._engine.dispose()
    with store._engine.begin() as conn:
        conn.exec_driver_sql(
            "TRUNCATE agentkit_runs, agentkit_steps, agentkit_tokens, agentkit_events, "
            "agentkit_completions, agentkit_threads, agentkit_thread_messages, "
            "agentkit_memories, agentkit_memory_namespaces, agentkit_run_slots, "
            "agentkit_cancel_on, agentkit_flow_state, agentkit_rate_limits, agentkit_rate_permits"
        )
    return store


SLOW_ENV = "AGENTKIT_TEST_SLOW"
_SLOW_LEFT_OUT = pytest.StashKey[int]()


def _runs_slow(config: pytest.Config) -> bool:
    """Slow suites run in CI (``AGENTKIT_TEST_SLOW=1``) or when ``-m`` picks tests itself."""
    return os.environ.get(SLOW_ENV, "") not in ("", "0") or bool(config.option.markexpr)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the slow suites unless asked for; scale each test's time limit.

    Slow suites are deselected, not skipped: a skip would fail the session.
    Each test's pytest-timeout limit (its marker, else the configured default)
    is multiplied by the one scale setting.
    """
    if not _runs_slow(config):
        slow = [item for item in items if item.get_closest_marker("slow") is not None]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if item.get_closest_marker("slow") is None]
            config.stash[_SLOW_LEFT_OUT] = len(slow)
    default = float(config.getoption("timeout", None) or config.getini("timeout") or 0)
    for item in items:
        marker = item.get_closest_marker("timeout")
        base = default
        if marker is not None:
            base = float(marker.kwargs.get("timeout", marker.args[0] if marker.args else default))
        if base > 0:
            # Inserted first, so it is the closest marker pytest-timeout reads.
            item.add_marker(pytest.mark.timeout(deadline(base)), append=False)


def _skip_reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # (path, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _skips(config: pytest.Config) -> list[tuple[str, str]]:
    """(node id, reason) of every skipped test or module, as the terminal counted them."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return []
    return [(report.nodeid, _skip_reason(report)) for report in reporter.stats.get("skipped", [])]


def unexpected_skips(skips: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The skips that are not a PostgreSQL variant without a PostgreSQL URL (or the
    browser test without chromium)."""
    allowed = (POSTGRES_SKIP_REASON, CHROMIUM_SKIP_REASON)
    return [(nodeid, reason) for nodeid, reason in skips if reason not in allowed]


def pytest_sessionfinish(session: pytest.Session) -> None:
    if unexpected_skips(_skips(session.config)) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: TerminalReporter, config: pytest.Config) -> None:
    left_out = config.stash.get(_SLOW_LEFT_OUT, 0)
    if left_out:
        terminalreporter.write_line(
            f"{left_out} slow tests left out (long kill campaigns): set {SLOW_ENV}=1 "
            "to run them, as .ci/run does"
        )
    skips = _skips(config)
    postgres = len(skips) - len(unexpected_skips(skips))
    if postgres:
        terminalreporter.write_line(
            f"{postgres} PostgreSQL tests skipped: AGENTKIT_TEST_POSTGRES_URL is not set "
            "(.ci/postgres.sh starts one)",
            yellow=True,
        )
    for nodeid, reason in unexpected_skips(skips):
        terminalreporter.write_line(
            f"skip not allowed (only PostgreSQL tests may skip): {nodeid}: {reason}", red=True
        )

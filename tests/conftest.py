"""Shared fixtures. The autouse network guard makes any real connection fail the test."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit.store import InMemoryStore, SQLStore, Store

POSTGRES_URL = os.environ.get("AGENTKIT_TEST_POSTGRES_URL")
STORE_KINDS = ["sqlite", "memory", "postgres"]

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
        pytest.skip(
            "PostgreSQL tests need AGENTKIT_TEST_POSTGRES_URL (.ci/postgres.sh sets one up)"
        )
    store = SQLStore(POSTGRES_URL)
    store._engine.dispose()
    with store._engine.begin() as conn:
        conn.exec_driver_sql(
            "TRUNCATE agentkit_runs, agentkit_steps, agentkit_tokens, agentkit_events, "
            "agentkit_completions"
        )
    return store

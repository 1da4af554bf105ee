"""Identifiers: time-ordered run ids and unguessable tokens."""

from __future__ import annotations

import os
import secrets
import threading
import time

# Random bytes for ids are read from the OS in blocks: one ``os.urandom`` per
# id released the GIL on every call, and with the database thread busy that
# cost ~60 µs an id under load (4 ids per run). Still the OS's CSPRNG.
_BLOCK = 4096
_ID_BYTES = 10
_pool = b""
_at = 0
_pool_lock = threading.Lock()


def _random_bytes() -> bytes:
    global _pool, _at
    with _pool_lock:
        if _at + _ID_BYTES > len(_pool):
            _pool, _at = os.urandom(_BLOCK), 0
        chunk = _pool[_at : _at + _ID_BYTES]
        _at += _ID_BYTES
    return chunk


def _forget_pool() -> None:
    """A forked child must not hand out the bytes its parent also uses."""
    global _pool, _at, _pool_lock
    _pool, _at, _pool_lock = b"", 0, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def new_id(prefix: str) -> str:
    """``prefix_`` + 48-bit millisecond time + 80 random bits, hex: sortable by creation."""
    return f"{prefix}_{int(time.time() * 1000):012x}{_random_bytes().hex()}"


def new_token() -> str:
    """A single-use token value with 192 bits from the OS's CSPRNG."""
    return "tok_" + secrets.token_urlsafe(24)

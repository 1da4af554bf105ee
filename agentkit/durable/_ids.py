"""Identifiers: time-ordered run ids and unguessable tokens."""

from __future__ import annotations

import os
import secrets
import time


def new_id(prefix: str) -> str:
    """``prefix_`` + 48-bit millisecond time + 80 random bits, hex: sortable by creation."""
    return f"{prefix}_{int(time.time() * 1000):012x}{os.urandom(10).hex()}"


def new_token() -> str:
    """A single-use token value with 192 bits from the OS's CSPRNG."""
    return "tok_" + secrets.token_urlsafe(24)

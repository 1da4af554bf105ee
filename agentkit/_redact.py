"""Secrets that must never reach the store or the logs.

A provider may echo a credential back (a 401 body quoting the ``Authorization``
header, an SDK error repeating the key). Models register the secrets they are
configured with (API keys, values of credential headers) when they are built,
and every writer that persists or logs text (the stores, the logging filter)
passes it through `scrub` first. Registration is process-wide on purpose: a key
echoed into a step error by one model must be scrubbed even though the store
writing that error has never seen the model.

This module imports nothing from agentkit, so every layer may use it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "DENIED_HEADERS",
    "REDACTED",
    "RedactingFilter",
    "register_secret",
    "register_secret_headers",
    "scrub",
    "scrub_any",
]

REDACTED = "[REDACTED]"

# Request headers whose values are credentials. Their values are registered as
# secrets and never stored.
DENIED_HEADERS: frozenset[str] = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
        "openai-organization",
        "openai-project",
    }
)

# Shorter strings are too likely to occur by chance in ordinary text ("sk", "test").
_MIN_SECRET_LENGTH = 8

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()


def register_secret(value: str | None) -> None:
    """Scrub ``value`` from everything agentkit stores or logs from now on."""
    global _secrets
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    candidates = {value}
    # "Bearer sk-..." and the bare key are both worth catching.
    for prefix in ("Bearer ", "bearer ", "Basic "):
        if value.startswith(prefix) and len(value) - len(prefix) >= _MIN_SECRET_LENGTH:
            candidates.add(value[len(prefix) :])
    with _lock:
        known = set(_secrets)
        if candidates <= known:
            return
        # Longest first, so a secret that contains another is replaced whole.
        _secrets = tuple(sorted(known | candidates, key=len, reverse=True))


def register_secret_headers(headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> None:
    """Register the values of any deny-listed headers among ``headers``."""
    if headers is None:
        return
    items = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in items:
        if isinstance(name, str) and name.lower() in DENIED_HEADERS and isinstance(value, str):
            register_secret(value)


def scrub(text: str) -> str:
    """``text`` with every registered secret replaced by ``[REDACTED]``."""
    secrets = _secrets
    if not secrets or not text:
        return text
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def scrub_any(value: Any) -> Any:
    """`scrub` applied to every string inside a JSON-like value (dicts, lists)."""
    if not _secrets:
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {key: scrub_any(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_any(item) for item in value]
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs registered secrets from every record it passes.

    agentkit's own loggers carry one; add it to your handlers to cover other
    libraries' logs (an SDK logging a failed request, say).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            message = record.getMessage()
            cleaned = scrub(message)
            if cleaned != message or record.args:
                record.msg, record.args = cleaned, None
            if record.exc_info and record.exc_info[1] is not None:
                # Formatted once here so the traceback text can be scrubbed too.
                formatter = logging.Formatter()
                record.exc_text = scrub(formatter.formatException(record.exc_info))
                record.exc_info = None
        return True

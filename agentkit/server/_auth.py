"""The API key: a bearer token that mutating endpoints require.

Reads are open (the server listens on 127.0.0.1 by default); anything that
changes a run needs ``Authorization: Bearer <AGENTKIT_API_KEY>``. A token is
completed with the token itself instead: it is the capability.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request

from agentkit._redact import register_secret

__all__ = ["ApiKey"]


class ApiKey:
    """Checks requests against the server's API key (None: every mutation is refused)."""

    def __init__(self, key: str | None) -> None:
        if key is not None and len(key) < 16:
            raise ValueError("an API key must be at least 16 characters long")
        self._key = key
        register_secret(key)  # never in a log line or a response

    def presented(self, request: Request) -> str | None:
        """The bearer credential the request carries, if any."""
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        return credential.strip() if scheme.lower() == "bearer" and credential else None

    def authorized(self, request: Request) -> bool:
        """Whether the request carries the API key."""
        presented = self.presented(request)
        if self._key is None or presented is None:
            return False
        return hmac.compare_digest(presented.encode(), self._key.encode())

    def require(self, request: Request) -> None:
        """Raise 401 unless the request carries the API key."""
        if self._key is None:
            raise HTTPException(
                401,
                "this endpoint changes runs and needs an API key: start the server with "
                "AGENTKIT_API_KEY set and send it as 'Authorization: Bearer <key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if self.presented(request) is None:
            raise HTTPException(
                401,
                "missing API key: send 'Authorization: Bearer <AGENTKIT_API_KEY>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not self.authorized(request):
            raise HTTPException(
                401, "wrong API key", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )

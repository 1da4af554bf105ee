"""`create_app`: the HTTP API, its live streams and the dev UI, as one ASGI app."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from agentkit._redact import scrub
from agentkit.durable import AgentKit
from agentkit.errors import (
    AgentkitError,
    IdempotencyConflict,
    NotFoundError,
    TokenAlreadyCompleted,
    TokenExpired,
    TokenPayloadInvalid,
    TokenRunNotWaiting,
)
from agentkit.server._auth import ApiKey
from agentkit.server._feed import Feed
from agentkit.server._runs_api import runs_router
from agentkit.server._state import ServerState
from agentkit.server._stream_api import stream_router
from agentkit.server._tokens_api import tokens_router

__all__ = ["create_app"]

_CONFLICTS = (IdempotencyConflict, TokenAlreadyCompleted, TokenExpired, TokenRunNotWaiting)
_ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
#: Hosts a browser may reach the UI by when the API key is in its page (a DNS
#: rebinding page under another name cannot read it).
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _status_of(exc: AgentkitError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, _CONFLICTS):
        return 409
    return 422


async def _agentkit_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AgentkitError)
    body: dict[str, Any] = {"error": type(exc).__name__, "detail": scrub(str(exc))}
    if isinstance(exc, TokenPayloadInvalid):
        body["errors"] = exc.errors
    return JSONResponse(body, status_code=_status_of(exc))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"at": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors()
    ]
    summary = "; ".join(f"{p['at']}: {p['message']}" for p in problems)
    return JSONResponse(
        {"error": "InvalidRequest", "detail": f"invalid request: {summary}", "errors": problems},
        status_code=422,
    )


def create_app(
    kit: AgentKit,
    *,
    api_key: str | None = None,
    cors_origins: Sequence[str] = (),
    key_in_page: bool = False,
    feed: Feed | None = None,
) -> FastAPI:
    """The HTTP API (OpenAPI at ``/docs``), its SSE streams and the dev UI at ``/``.

    Args:
        kit: The kit whose runs are served; its functions can be started.
        api_key: The bearer key mutating endpoints require (default
            ``AGENTKIT_API_KEY``; without one, they are refused).
        cors_origins: Origins allowed to call the API from a browser (none by default).
        key_in_page: Put the API key in the UI's page, so that the UI can act
            (``agentkit dev``); the app then answers only to local host names.
        feed: The live feed of the streams (default: ``Feed(kit)``); pass one to
            run a worker that streams model deltas to it (`Feed.run_worker`).
    """
    key = api_key if api_key is not None else os.environ.get("AGENTKIT_API_KEY") or None
    app = FastAPI(
        title="agentkit",
        summary="Durable agent runs: journals, model calls, approvals and live streams.",
        version=_version(),
    )
    app.state.agentkit = ServerState(kit, feed or Feed(kit), ApiKey(key))
    app.add_exception_handler(AgentkitError, _agentkit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(runs_router)
    app.include_router(tokens_router)
    app.include_router(stream_router)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    if key_in_page:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOCAL_HOSTS))
    page_key = key if key_in_page else None

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        page = _asset("index.html").replace("{{API_KEY}}", html.escape(page_key or "", quote=True))
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.get("/ui/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in _ASSETS:
            raise HTTPException(404, f"no UI file {name!r}")
        return Response(_asset(name), media_type=_ASSETS[name])

    return app


def _asset(name: str) -> str:
    return files("agentkit.server").joinpath("static", name).read_text("utf-8")


def _version() -> str:
    import agentkit

    return agentkit.__version__

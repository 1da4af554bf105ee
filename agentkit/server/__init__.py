"""The HTTP API and the dev UI (``agentkit dev``, ``agentkit serve``); OpenTelemetry spans.

Needs the ``server`` extra (FastAPI, uvicorn); `trace_run` and `RunTracer`
need the ``otel`` extra (the OpenTelemetry SDK).
"""

from agentkit.server._app import create_app
from agentkit.server._feed import Feed, FeedEvent
from agentkit.server._otel import RunTracer, trace_run

__all__ = ["Feed", "FeedEvent", "RunTracer", "create_app", "trace_run"]

"""The HTTP API and the dev UI (``agentkit dev``, ``agentkit serve``).

Needs the ``server`` extra (FastAPI, uvicorn). OpenTelemetry spans are made by
`agentkit.otel.OTelObserver` (the ``otel`` extra; ``agentkit dev --otel``).
"""

from agentkit.server._app import create_app
from agentkit.server._feed import Feed, FeedEvent

__all__ = ["Feed", "FeedEvent", "create_app"]

"""OpenTelemetry spans of runs, steps and model calls, made live by a `RunObserver`.

Needs the ``otel`` extra (the OpenTelemetry SDK, or any API implementation).
Register ``OTelObserver()`` on the kit: ``AgentKit(..., observers=[OTelObserver()])``
or ``agentkit dev --otel``. The engine itself never imports OpenTelemetry.
"""

from agentkit.otel._attributes import completion_attributes, trace_id
from agentkit.otel._observer import OTelObserver

__all__ = ["OTelObserver", "completion_attributes", "trace_id"]

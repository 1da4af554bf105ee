"""The app ``agentkit dev --otel`` serves in the OpenTelemetry test: the browser
test's kit, with a global tracer provider that writes each ended span as a JSON
line to the file ``AGENTKIT_TEST_SPANS`` names."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from tests.server.browser_app import kit

__all__ = ["kit"]


class JsonLines(SpanExporter):
    def __init__(self, path: Path) -> None:
        self.path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self.path.open("a") as out:
            for span in spans:
                out.write(span.to_json(indent=None) + "\n")
        return SpanExportResult.SUCCESS


provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(JsonLines(Path(os.environ["AGENTKIT_TEST_SPANS"]))))
trace.set_tracer_provider(provider)

"""Live OpenTelemetry spans of an agent run that waits for a human, and resumes.

    pip install 'agentkit[otel]'
    python examples/otel_spans.py

`OTelObserver` makes a span per execution of the run, one per step that runs,
and one per model call (GenAI conventions: ``gen_ai.request.model``,
``gen_ai.usage.input_tokens``...). The run keeps its traceparent, so the
execution after the approval joins the same trace. Here the spans go to the
SDK's in-memory exporter and are printed as a tree; in production, register
the observer on a kit whose process has an exporter (OTLP...) set up.
"""

from __future__ import annotations

import asyncio

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentkit import Agent, AgentKit, start_agent, tool
from agentkit.models import ScriptedModel, Usage
from agentkit.otel import OTelObserver, trace_id
from agentkit.store import InMemoryStore

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
kit = AgentKit(store=InMemoryStore(), observers=[OTelObserver(provider)])


@tool(needs_approval=True)
def refund(order_id: str, amount: int) -> str:
    """Refund an order."""
    return f"refunded {amount} on {order_id}"


usage = Usage(input_tokens=120, output_tokens=14)
model = ScriptedModel(
    [
        ScriptedModel.tool_call("refund", {"order_id": "A-17", "amount": 40}, usage=usage),
        ScriptedModel.text("The refund of 40 on A-17 is done.", usage=usage),
    ]
)
support = Agent("support", "You help customers.", model, [refund])


def tree(spans: list[ReadableSpan]) -> list[str]:
    """The spans as an indented tree, in start order."""
    children: dict[int | None, list[ReadableSpan]] = {}
    ids = {span.context.span_id for span in spans}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        parent = span.parent.span_id if span.parent is not None else None
        children.setdefault(parent if parent in ids else None, []).append(span)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in children.get(parent, []):
            attributes = span.attributes or {}
            tokens = attributes.get("gen_ai.usage.input_tokens")
            extra = f" (input tokens: {tokens})" if tokens is not None else ""
            lines.append(f"{'  ' * depth}{span.name}{extra}")
            walk(span.context.span_id, depth + 1)

    walk(None, 0)
    return lines


async def main() -> list[str]:
    handle = await start_agent(kit, support, "Please refund order A-17.")
    await kit.worker(stop_when_idle=True)  # runs until the approval wait
    [token] = handle.tokens()
    kit.complete_token(token.token, {"approved": True})
    await kit.worker(stop_when_idle=True)
    await handle.result()
    spans = list(exporter.get_finished_spans())
    same_trace = {format(s.context.trace_id, "032x") for s in spans} == {trace_id(handle.record())}
    lines = tree(spans)
    print("\n".join(lines))
    print(f"{len(spans)} spans, one trace stored on the run: {same_trace}")
    return lines


if __name__ == "__main__":
    asyncio.run(main())

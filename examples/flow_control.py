"""Flow control and triggers: limits per tenant, a debounce, an event that starts runs.

    python examples/flow_control.py

An ``order.paid`` event starts ``fulfil`` (``trigger=on_event``) for each
order; at most one fulfilment per customer executes at once
(``Concurrency(1, key="input.event.data.customer")``), while other customers
proceed. An ``order.cancelled`` event cancels the waiting fulfilment of its
order (``cancel_on``). Three quick re-index requests for one document become
one run with the last version (``Debounce``).
"""

from __future__ import annotations

import asyncio
import tempfile
from typing import Any

from agentkit import AgentKit, CancelOn, Concurrency, Context, Debounce, on_event

executing: dict[str, int] = {}  # customer -> fulfilments packing now
most_at_once: dict[str, int] = {}


async def main() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        kit = AgentKit(f"sqlite:///{folder}/flow.db")

        @kit.function(
            trigger=on_event("order.paid"),
            concurrency=Concurrency(1, key="input.event.data.customer"),
            cancel_on=[CancelOn("order.cancelled", match={"order": "input.event.data.order"})],
        )
        async def fulfil(ctx: Context, event: dict[str, Any]) -> str:
            order, customer = event["data"]["order"], event["data"]["customer"]
            if order == "o-4":  # this one waits for the warehouse, and is cancelled
                await ctx.step.wait_for_event("warehouse.ready", timeout=3600)

            async def pack() -> str:
                executing[customer] = executing.get(customer, 0) + 1
                most_at_once[customer] = max(most_at_once.get(customer, 0), executing[customer])
                await asyncio.sleep(0.02)
                executing[customer] -= 1
                return f"{order} packed"

            return await ctx.step.run("pack", pack)

        @kit.function(debounce=Debounce(0.2, key="input.doc"))
        async def reindex(ctx: Context, doc: str, version: int) -> str:
            return f"{doc} v{version} indexed"

        orders = [("a1", "ann"), ("a2", "ann"), ("b1", "bob"), ("o-4", "ann")]
        for order, customer in orders:
            await kit.send_event("order.paid", {"order": order, "customer": customer}, id=order)
        handles = [await kit.start(reindex, doc="guide", version=v) for v in (1, 2, 3)]
        worker = asyncio.create_task(kit.worker(poll_interval=0.01))
        await asyncio.sleep(0.5)
        await kit.send_event("order.cancelled", {"order": "o-4"})
        done = [await handles[0].result(timeout=10)]
        for run in sorted(kit.list_runs(function_id="fulfil"), key=lambda r: r.input):
            done.append(run.output.strip('"') if run.output else f"{run.status}")
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        kit.close()
    print(f"debounced starts: {len({h.id for h in handles})} run")
    print("\n".join(done))
    print(f"most at once per customer: {most_at_once}")
    return done


if __name__ == "__main__":
    asyncio.run(main())

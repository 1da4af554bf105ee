"""The research agent's eval suite: examples/research_agent.py on a few scripted (or live) runs.

Each case gets a fresh network, kit and memory store; search is the example's
`FakeSearch`, fetch its offline page table, and publishing is approved
automatically (approval is a human's step, not the agents'). Offline, a case's
``metadata.scripts`` replaces the scripted model of the agents it names (and
of the router): each answer a text, ``{"tool": NAME, "args": {...}}`` or
``{"select": [AGENT, ...]}``; the others keep the example's script. With a
live model every agent and the router use it.
"""

from __future__ import annotations

import time
from pathlib import Path

from agentkit import AgentKit, ManualClock, network_function
from agentkit.evals import (
    Case,
    Contains,
    Custom,
    Dataset,
    EvalReport,
    MaxToolCalls,
    Observation,
    Scorer,
    ToolTrajectory,
    evaluate,
)
from agentkit.memory import InMemoryMemoryStore
from agentkit.models import HashEmbedder, Model
from agentkit.store import InMemoryStore
from agentkit.tools import FakeSearch
from evals._examples import expected_calls, load_example, scripted

CASES = Path(__file__).with_name("cases.yaml")

__all__ = ["CASES", "run_suite", "scorers"]


def scorers(case: Case, memories: InMemoryMemoryStore) -> list[Scorer]:
    """The scorers of ``case``, whose sources are kept in ``memories``."""

    async def sources_kept(observation: Observation) -> float:
        kept = await memories.search("sources", "source", 10)
        wanted = case.metadata["sources"]
        return sum(any(url in m.text for m in kept) for url in wanted) / len(wanted)

    return [
        ToolTrajectory(expected_calls(case), order="set"),
        Contains(value="published"),
        MaxToolCalls(limit=10),
        Custom(sources_kept, name="sources-remembered"),
    ]


async def run_suite(model: Model | None = None, path: Path = CASES) -> EvalReport:
    """Run every case live: with ``model``, or offline with each case's scripts."""
    example = load_example("research_agent")
    dataset = Dataset.load(path)
    started = time.perf_counter()
    results = []
    names: list[str] = []
    for case in dataset.cases:
        if model is None:
            scripts = case.metadata.get("scripts", {})
            models: dict[str, Model] = {name: scripted(a) for name, a in scripts.items()}
        else:
            agents = ("planner", "searcher_1", "searcher_2", "writer", "router")
            models = dict.fromkeys(agents, model)
        memories = InMemoryMemoryStore(HashEmbedder())
        search = FakeSearch(example.find)
        network = example.build_network(
            example.offline_fetch(example.PAGES), search, memories, models=models, approve=False
        )
        kit = AgentKit(store=InMemoryStore(), clock=ManualClock())
        one = Dataset([case], scorers(case, memories), name=dataset.name)
        report = await evaluate(one, kit, network_function(kit, network), mode="live")
        kit.close()
        results.extend(report.cases)
        names = report.scorers
    return EvalReport(dataset.name, "live", results, names, time.perf_counter() - started)

"""The packages import one another one way (DESIGN.md's layers); no two form a cycle.

The contracts themselves live in pyproject.toml and run as ``lint-imports`` in
CI; this test checks the graph import-linter builds has no cycle between
agentkit's packages at all, whatever the contracts say.
"""

from __future__ import annotations

import itertools

import grimp


def test_no_import_cycle_between_packages() -> None:
    graph = grimp.build_graph("agentkit")
    # Every package and module directly under agentkit, so that a cycle through a
    # loose module at the top (as the agent files once were) counts too.
    children = sorted(graph.find_children("agentkit"))
    assert "agentkit.agents" in children
    assert "agentkit.durable" in children
    cycles = [
        (a, b)
        for a, b in itertools.combinations(children, 2)
        if graph.chain_exists(a, b, as_packages=True) and graph.chain_exists(b, a, as_packages=True)
    ]
    assert cycles == []


def test_the_agent_layer_is_above_the_engine_and_the_models() -> None:
    graph = grimp.build_graph("agentkit")
    assert graph.chain_exists("agentkit.agents", "agentkit.durable", as_packages=True)
    assert graph.chain_exists("agentkit.agents", "agentkit.models", as_packages=True)
    assert not graph.chain_exists("agentkit.durable", "agentkit.agents", as_packages=True)
    assert not graph.chain_exists("agentkit.models", "agentkit.agents", as_packages=True)
    assert not graph.chain_exists("agentkit.models", "agentkit.durable", as_packages=True)

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


def _runtime_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Module cycles inside ``package`` (strongly connected groups of 2 or more)."""
    modules = sorted(m for m in graph.modules if m.startswith(package + "."))
    edges = {
        m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i in modules)
        for m in modules
    }
    # Kosaraju: order by finish time, then collect on the reversed graph.
    order: list[str] = []
    seen: set[str] = set()
    for root in modules:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(edges[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                order.append(node)
                stack.pop()
            elif child not in seen:
                seen.add(child)
                stack.append((child, iter(edges[child])))
    reverse: dict[str, list[str]] = {m: [] for m in modules}
    for m, targets in edges.items():
        for t in targets:
            reverse[t].append(m)
    groups: list[list[str]] = []
    assigned: set[str] = set()
    for root in reversed(order):
        if root in assigned:
            continue
        group, todo = [], [root]
        assigned.add(root)
        while todo:
            node = todo.pop()
            group.append(node)
            for other in reverse[node]:
                if other not in assigned:
                    assigned.add(other)
                    todo.append(other)
        if len(group) > 1:
            groups.append(sorted(group))
    return groups


def test_no_runtime_import_cycle_inside_the_model_engine_and_store_packages() -> None:
    # Imports made only for type annotations (under TYPE_CHECKING) do not count:
    # they never run. A lazy import inside a function does.
    graph = grimp.build_graph("agentkit", exclude_type_checking_imports=True)
    found = {
        package: _runtime_cycles(graph, package)
        for package in ("agentkit.models", "agentkit.durable", "agentkit.store")
    }
    assert found == {"agentkit.models": [], "agentkit.durable": [], "agentkit.store": []}
    # The check sees cycles where they are: inside the agent layer, an object's
    # method imports the module that runs it (Agent.run the loop, Network.run
    # the network loop, a code router's hybrid answer the routing agent), and
    # that module imports the object's types. Only such pairs are allowed.
    assert sorted(_runtime_cycles(graph, "agentkit.agents")) == [
        ["agentkit.agents._agent", "agentkit.agents._loop"],
        ["agentkit.agents._network", "agentkit.agents._network_loop"],
        ["agentkit.agents._router", "agentkit.agents._routing_agent"],
    ]

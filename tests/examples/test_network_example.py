"""examples/research_network.py runs and prints what its docstring promises."""

from __future__ import annotations

import pytest

from tests.examples.test_agent_examples import load


async def test_research_network(capsys: pytest.CaptureFixture[str]) -> None:
    example = load("research_network")
    assert await example.main() == "The draft is published."
    assert capsys.readouterr().out.splitlines() == [
        "waiting: publish({})",
        "route #0: planner",
        "route #1: web, papers",
        "route #2: writer",
        "route #3: publisher",
        "route #4: done",
        '{"questions":["durable agents"],"web_notes":["web: durable agents is widely '
        'discussed"],"paper_notes":["paper: durable agents appears in 3 papers"],"draft":'
        '"Durable agents resume after crashes.","published":true}',
        "The draft is published.",
        "15 model calls, 528 tokens",
    ]
    # The writer's prompt was built from both searchers' notes, merged in the router's order.
    [first, _] = example.writer.model.requests
    assert first.messages[0].text == (
        "You write from these notes: ['web: durable agents is widely discussed', "
        "'paper: durable agents appears in 3 papers']"
    )
    assert len(example.router_model.requests) == 5

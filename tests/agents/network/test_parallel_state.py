"""Concurrent agents on forks of the state: same result for every interleaving, no lost update."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from pydantic import BaseModel, Field

from agentkit import (
    Agent,
    AgentKit,
    Context,
    ManualClock,
    Network,
    RouterInput,
    RunFailedError,
    StateConflictError,
    tool,
)
from agentkit.models import Message, ModelRequest, ScriptedModel
from tests.agents.conftest import call, calls, drain


class Board(BaseModel):
    left: list[str] = []
    right: list[str] = []
    common: str = ""
    count: int = Field(default=0, ge=0)


class SlowScriptedModel(ScriptedModel):
    """A ScriptedModel whose answers take a seeded random while, like a provider's."""

    def __init__(self, rng: random.Random, responses: list[Any]) -> None:
        super().__init__(responses)
        self.rng = rng

    async def call(self, request: ModelRequest, *, on_event: Any = None) -> Any:
        await asyncio.sleep(self.rng.uniform(0, 0.003))
        return await super().call(request, on_event=on_event)


def parallel_network(rng: random.Random, ran: list[str], *, clash: bool = False) -> Network[Board]:
    async def pause() -> None:
        await asyncio.sleep(rng.uniform(0, 0.003))

    @tool
    async def put_left(item: str, board: Board) -> str:
        """Put an item on the left."""
        await pause()
        ran.append(f"left {item}")
        board.left.append(item)
        if clash:
            board.common = "left"
        return f"left holds {board.left} and sees right {board.right}"

    @tool
    async def put_right(item: str, board: Board) -> str:
        """Put an item on the right."""
        await pause()
        ran.append(f"right {item}")
        board.right.append(item)
        if clash:
            board.common = "right"
        return f"right holds {board.right} and sees left {board.left}"

    def worker(name: str, tool_name: str, tool_fn: object) -> Agent[str]:
        script = SlowScriptedModel(
            rng,
            [
                calls(
                    call(tool_name, {"item": "a"}, f"{name}1"),
                    call(tool_name, {"item": "b"}, f"{name}2"),
                ),
                ScriptedModel.tool_call(tool_name, {"item": "c"}, id=f"{name}3"),
                f"{name} done",
            ],
        )
        return Agent(name, f"You are {name}.", script, [tool_fn], state_type=Board)  # type: ignore[list-item]

    left = worker("lefty", "put_left", put_left)
    right = worker("righty", "put_right", put_right)

    def router(r: RouterInput) -> object:
        return [left, right] if r.call_count == 0 else None

    return Network("pair", [left, right], router, state=Board())


async def test_same_state_and_conversation_for_every_interleaving() -> None:
    """Ten seeds of model and tool latencies: the branches interleave differently each time."""
    from agentkit.store import InMemoryStore

    results: set[tuple[str, tuple[str, ...]]] = set()
    orders: set[tuple[str, ...]] = set()
    for seed in range(10):
        clock = ManualClock()
        kit = AgentKit(store=InMemoryStore(), clock=clock)
        ran: list[str] = []
        network = parallel_network(random.Random(seed), ran)
        outcomes: list[tuple[str, tuple[str, ...]]] = []

        @kit.function(id="pair")
        async def pair(ctx: Context) -> bool:
            result = await network.run("Fill the board.", ctx=ctx)  # noqa: B023
            assert isinstance(result.state, Board)
            messages = tuple(m.model_dump_json() for m in result.messages)
            outcomes.append((result.state.model_dump_json(), messages))  # noqa: B023
            await ctx.step.sleep("pause", 5)
            return True

        await kit.start(pair)
        await drain(kit)
        clock.advance(6)
        await drain(kit)  # replayed from the journal
        kit.close()
        [live, replayed] = outcomes
        assert replayed == live
        results.add(live)
        orders.add(tuple(ran))
    assert len(orders) > 1  # the seeds did change the interleaving...
    [(state, messages)] = results  # ...and never the outcome
    assert Board.model_validate_json(state) == Board(left=["a", "b", "c"], right=["a", "b", "c"])
    # Each agent saw the state as it was when the group started, plus its own changes.
    tool_texts = [
        part.content  # type: ignore[union-attr]
        for m in map(Message.model_validate_json, messages)
        if m.role == "tool"
        for part in m.parts
    ]
    assert tool_texts == [
        "left holds ['a'] and sees right []",
        "left holds ['a', 'b'] and sees right []",
        "left holds ['a', 'b', 'c'] and sees right []",
        "right holds ['a'] and sees left []",
        "right holds ['a', 'b'] and sees left []",
        "right holds ['a', 'b', 'c'] and sees left []",
    ]


async def test_concurrent_agents_writing_one_field_is_a_clear_error(kit: AgentKit) -> None:
    network = parallel_network(random.Random(1), [], clash=True)
    with pytest.raises(RunFailedError, match="StateConflictError") as caught:
        await kit.run_network(network, "Clash.")
    message = str(caught.value)
    assert "ran concurrently and both wrote state field 'common'" in message
    assert "'lefty'" in message and "'righty'" in message
    assert StateConflictError.__name__ in message


async def test_a_patch_that_fails_validation_is_refused_and_told_to_the_model(
    kit: AgentKit,
) -> None:
    @tool
    def take(n: int, board: Board) -> str:
        """Take n from the count."""
        board.count -= n
        return f"count is {board.count}"

    model = ScriptedModel(
        [ScriptedModel.tool_call("take", {"n": 3}), ScriptedModel.tool_call("take", {"n": 1}), "ok"]
    )
    taker = Agent("taker", "Take.", model, [take], state_type=Board)
    network = Network(
        "counter", [taker], lambda r: taker if r.call_count == 0 else None, state=Board(count=2)
    )
    result = await kit.run_network(network, "Take some.")
    assert result.state == Board(count=1)
    [refused, accepted] = result.runs[0].result.tool_results
    assert refused.is_error
    assert refused.content == (
        "Error: take failed: StateValidationError: tool 'take' left the state Board invalid, "
        "so its change was not applied: count: Input should be greater than or equal to 0"
    )
    assert accepted.content == "count is 1"

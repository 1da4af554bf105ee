"""``agentkit runs show`` and ``runs completions`` on agent runs: one row per call."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from agentkit import Agent, AgentKit, start_agent, tool
from agentkit.models import (
    FallbackModel,
    Message,
    ModelResponse,
    ProviderOverloaded,
    RetryPolicy,
    ScriptedModel,
    ToolCallPart,
    Usage,
)
from tests.cli.conftest import CLI, Functions, adrain, assert_one_error_line, fields, tables

SYSTEM = "You help customers of the shop."
NOTE = "n" * 300


@tool
def lookup(order_id: str, count: int, note: str = "") -> str:
    """Look an order up."""
    return f"order {order_id}: {count} items"


@tool(needs_approval=True)
def refund(order_id: str, amount: int) -> str:
    """Refund an order."""
    return f"refunded {amount} on {order_id}"


def _reply(*calls: ToolCallPart, usage: Usage) -> ModelResponse:
    return ModelResponse(
        message=Message(role="assistant", parts=list(calls)),
        finish_reason="tool_calls",
        usage=usage,
        model="scripted-2025",
        provider="scripted",
    )


def _support(model: ScriptedModel | FallbackModel) -> Agent[str]:
    return Agent("support", SYSTEM, model, [lookup, refund])


async def _approved_run(kit: AgentKit) -> str:
    """lookup (with a long note), then refund (approved), then the answer."""
    model = ScriptedModel(
        [
            ScriptedModel.tool_call(
                "lookup",
                {"order_id": "A-17", "count": 2, "note": NOTE},
                usage=Usage(input_tokens=120, output_tokens=30),
                model="scripted-2025",
            ),
            ScriptedModel.tool_call(
                "refund",
                {"order_id": "A-17", "amount": 40},
                usage=Usage(input_tokens=200, output_tokens=12),
                model="scripted-2025",
            ),
            ScriptedModel.text(
                "Refunded 40 on A-17.",
                usage=Usage(input_tokens=260, output_tokens=8),
                model="scripted-2025",
            ),
        ],
        model="scripted",
    )
    handle = await start_agent(kit, _support(model), "Refund order A-17, please.")
    await adrain(kit)
    [token] = handle.tokens()
    kit.complete_token(token.token, {"approved": True})
    await adrain(kit)
    assert handle.status() == "completed"
    return handle.id


async def test_show_lists_model_calls_and_tool_calls_not_the_conversation(
    kit: AgentKit, cli: CLI
) -> None:
    run_id = await _approved_run(kit)

    result = cli("runs", "show", run_id)

    assert result.exit_code == 0, result.output
    header = fields(result.stdout)
    assert header["output"] == '"Refunded 40 on A-17."'
    assert header["usage"] == "3 model calls (580 in / 50 out tokens, cost n/a), 2 tool calls"
    # The conversation (system prompt, tool results) is in no cell.
    assert SYSTEM not in result.stdout
    assert '"messages"' not in result.stdout
    _, model_calls, tool_calls = tables(result.stdout)
    assert model_calls.title == "model calls"
    assert model_calls.header == [
        "step",
        "model",
        "in",
        "out",
        "cost",
        "latency",
        "status",
        "attempts",
    ]
    assert [row[:5] + row[6:] for row in model_calls.rows] == [
        ["support/infer", "scripted-2025", "120", "30", "n/a", "completed", "1"],
        ["support/infer#1", "scripted-2025", "200", "12", "n/a", "completed", "1"],
        ["support/infer#2", "scripted-2025", "260", "8", "n/a", "completed", "1"],
    ]
    assert model_calls.column("latency") == ["0ms", "0ms", "0ms"]
    assert tool_calls.title == "tool calls"
    assert tool_calls.header == ["step", "arguments", "approval", "status", "result"]
    assert tool_calls.rows == [
        [
            "support/tool/lookup",
            'order_id="A-17", count=2, note="' + "n" * 38 + "…",
            "-",
            "completed",
            "order A-17: 2 items",
        ],
        [
            "support/tool/refund",
            'order_id="A-17", amount=40',
            "approved",
            "completed",
            "refunded 40 on A-17",
        ],
    ]


async def test_show_matches_each_tool_step_to_its_call(kit: AgentKit, cli: CLI) -> None:
    # One turn with three lookups: unreadable JSON, arguments that fail validation,
    # and a good call. Only the last becomes a step; it must get its own arguments.
    model = ScriptedModel(
        [
            _reply(
                ToolCallPart.from_raw("c1", "lookup", '{"order_id": "A-1",'),
                ToolCallPart.from_arguments("c2", "lookup", {"order_id": "A-2", "count": "many"}),
                ToolCallPart.from_arguments("c3", "lookup", {"order_id": "A-3", "count": 3}),
                usage=Usage(input_tokens=10, output_tokens=5),
            ),
            _reply(
                ToolCallPart.from_arguments("c4", "refund", {"order_id": "A-3", "amount": 9}),
                usage=Usage(input_tokens=20, output_tokens=5),
            ),
            "No refund, then.",
        ]
    )
    handle = await start_agent(kit, _support(model), "Check my orders.")
    await adrain(kit)
    [token] = handle.tokens()
    kit.complete_token(token.token, {"approved": False, "reason": "too late"})
    await adrain(kit)

    result = cli("runs", "show", handle.id)

    assert result.exit_code == 0, result.output
    tool_calls = tables(result.stdout)[2]
    rows = [[cell for cell in row if cell] for row in tool_calls.rows]
    assert tool_calls.column("step") == [
        "(lookup)",
        "(lookup)",
        "support/tool/lookup",
        "support/approve/refund",
    ]
    assert tool_calls.column("arguments") == [
        'raw="{\\"order_id\\": \\"A-1\\","',
        'order_id="A-2", count="many"',
        'order_id="A-3", count=3',
        'order_id="A-3", amount=9',
    ]
    assert tool_calls.column("approval") == ["-", "-", "-", "rejected"]
    assert tool_calls.column("status") == ["bad arguments", "not run", "completed", "not run"]
    assert rows[2][-1] == "order A-3: 3 items"
    assert rows[3][-1] == "rejected by a human: too late"
    assert rows[1][-1].startswith("Error: invalid arguments for lookup: count: ")
    assert rows[0][-1].startswith("arguments are not a JSON object: ")


async def test_show_names_the_model_that_answered_after_failover(kit: AgentKit, cli: CLI) -> None:
    small = ScriptedModel(
        [ProviderOverloaded("overloaded", provider="scripted", model="small")],
        model="small",
        retry=RetryPolicy(max_attempts=1),
    )
    big = ScriptedModel(["Done."], model="big")
    handle = await start_agent(kit, _support(FallbackModel(small, big)), "Hello")
    await adrain(kit)

    result = cli("runs", "show", handle.id)

    assert result.exit_code == 0, result.output
    model_calls = tables(result.stdout)[1]
    row = model_calls.row("support/infer")
    assert (row["model"], row["status"], row["attempts"]) == ("big (after small)", "completed", "2")

    document = json.loads(cli("runs", "show", handle.id, "--json").stdout)
    latency = sum(c.latency_ms for c in kit.completions(handle.id))
    assert document["model_calls"] == [
        {
            "step_key": "support/infer",
            "model": "big (after small)",
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_usd": None,
            "latency_ms": latency,
            "status": "completed",
            "attempts": 2,
        }
    ]
    assert document["tool_calls"] == []


async def test_show_json_has_tool_call_rows(kit: AgentKit, cli: CLI) -> None:
    run_id = await _approved_run(kit)

    document = json.loads(cli("runs", "show", run_id, "--json").stdout)

    assert document["tool_calls"][1] == {
        "step_key": "support/tool/refund",
        "approval_key": "support/approve/refund",
        "tool": "refund",
        "arguments": {"order_id": "A-17", "amount": 40},
        "approval": "approved",
        "status": "completed",
        "result": "refunded 40 on A-17",
    }
    assert document["tool_calls"][0]["arguments"]["note"] == NOTE  # whole in JSON


async def test_completions_summarise_each_request_and_response(kit: AgentKit, cli: CLI) -> None:
    run_id = await _approved_run(kit)
    [first, second, third] = kit.completions(run_id)

    result = cli("runs", "completions", run_id)

    assert result.exit_code == 0, result.output
    blocks = [fields(block) for block in result.stdout.strip().split("\n\n")]
    assert [block["completion"] for block in blocks] == [first.id, second.id, third.id]
    assert blocks[0]["step"] == "support/infer (attempt 1)"
    assert blocks[0]["model"] == "scripted-2025 (scripted, asked for scripted)"
    assert blocks[0]["status"] == "ok 200"
    assert blocks[0]["tokens"] == "120 in / 30 out"
    assert blocks[0]["cost"] == "n/a"
    assert blocks[0]["request"] == (
        '2 messages (system, user), 2 tools; last, user: "Refund order A-17, please."'
    )
    assert blocks[0]["response"] == (
        'tool call lookup(order_id="A-17", count=2, note="' + "n" * 38 + "…); finish: tool_calls"
    )
    assert blocks[2]["request"] == (
        "6 messages (system, user, assistant, tool, assistant, tool), 2 tools; "
        'last, tool: "refunded 40 on A-17"'
    )
    assert blocks[2]["response"] == '"Refunded 40 on A-17."; finish: stop'


async def test_completions_of_one_step_raw(kit: AgentKit, cli: CLI) -> None:
    run_id = await _approved_run(kit)
    [_, second, _] = kit.completions(run_id)

    result = cli("runs", "completions", run_id, "--step", "support/infer#1", "--raw")

    assert result.exit_code == 0, result.output
    [record] = json.loads(result.stdout)
    assert record["id"] == second.id
    assert record["step_key"] == "support/infer#1"
    assert record["request"] == json.loads(second.request or "null")
    assert record["response"] == json.loads(second.response or "null")
    assert record["response"]["message"]["parts"][0]["name"] == "refund"
    assert (record["input_tokens"], record["output_tokens"], record["cost_usd"]) == (200, 12, None)


async def test_completions_of_a_failed_attempt_show_the_error(kit: AgentKit, cli: CLI) -> None:
    small = ScriptedModel(
        [ProviderOverloaded("overloaded, try later", provider="scripted", model="small")],
        model="small",
        retry=RetryPolicy(max_attempts=1),
    )
    handle = await start_agent(
        kit, _support(FallbackModel(small, ScriptedModel(["Done."], model="big"))), "Hi"
    )
    await adrain(kit)

    result = cli("runs", "completions", handle.id)

    failed = fields(result.stdout.split("\n\n")[0])
    assert failed["status"] == "error -"
    assert failed["response"] == "ProviderOverloaded: overloaded, try later"


async def test_completions_errors_name_the_run_and_step(kit: AgentKit, cli: CLI) -> None:
    run_id = await _approved_run(kit)

    assert_one_error_line(
        cli("runs", "completions", run_id, "--step", "support/infer#9"),
        f"run {run_id} has no model calls in step 'support/infer#9' (steps with model calls: "
        "'support/infer', 'support/infer#1', 'support/infer#2')",
    )
    assert_one_error_line(cli("runs", "completions", "run_nope"), "no run with id 'run_nope'")


async def test_completions_of_a_run_without_model_calls(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle = await kit.start(functions.child, n=1)

    result = cli("runs", "completions", handle.id)

    assert (result.exit_code, result.stdout) == (0, f"run {handle.id} made no model calls\n")
    assert json.loads(cli("runs", "completions", handle.id, "--raw").stdout) == []


async def test_cost_is_a_sum_of_the_attempts_or_na(kit: AgentKit, cli: CLI) -> None:
    # gpt-4o is in LiteLLM's price map: 2.5e-06 per input token, 1e-05 per output token.
    model = ScriptedModel(
        [
            ScriptedModel.tool_call(
                "lookup",
                {"order_id": "A-17", "count": 1},
                usage=Usage(input_tokens=100, output_tokens=10),
                model="gpt-4o",
            ),
            ScriptedModel.text("Done.", usage=Usage(input_tokens=40, output_tokens=20)),
        ],
        model="scripted",
    )
    handle = await start_agent(kit, _support(model), "Look A-17 up.")
    await adrain(kit)
    first, second = kit.completions(handle.id)
    # Billed attempts the journal does not reference, beside a priced and an unpriced answer.
    kit.store.append_completion(
        replace(first, id="cmp_billed_retry_1", attempt=2, cost_usd=0.0002, error="{}")
    )
    kit.store.append_completion(
        replace(second, id="cmp_billed_retry_2", attempt=2, cost_usd=0.001, error="{}")
    )

    _, model_calls, _ = tables(cli("runs", "show", handle.id).stdout)

    assert first.cost_usd == pytest.approx(100 * 2.5e-06 + 10 * 1e-05, rel=1e-12)
    assert second.cost_usd is None  # "scripted" has no price
    assert model_calls.column("cost") == ["$0.000550", "$0.001000 + n/a"]

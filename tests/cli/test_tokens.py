"""``agentkit tokens list|complete`` against tokens made by the real engine."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from agentkit import AgentKit, ManualClock, RunHandle
from agentkit.store import TokenRecord
from tests.cli.conftest import (
    CLI,
    Functions,
    adrain,
    assert_one_error_line,
    drain,
    register,
    tables,
)

DAY = 86400.0
SCHEMA_SUMMARY = "Approval {approved: boolean, note?: string | null}"


async def waiting_review(kit: AgentKit, functions: Functions) -> tuple[RunHandle[str], str]:
    """A review run parked on its ``approve`` token, and the token's value."""
    handle = await kit.start(functions.review, "draft")
    await adrain(kit)
    [token] = kit.list_tokens(run_id=handle.id)
    return handle, token.token


def token_record(kit: AgentKit, value: str) -> TokenRecord:
    record = kit.store.get_token(value)
    assert record is not None
    return record


async def test_list_shows_pending_tokens(kit: AgentKit, functions: Functions, cli: CLI) -> None:
    handle, token = await waiting_review(kit, functions)

    result = cli("tokens", "list")

    assert result.exit_code == 0, result.output
    [listing] = tables(result.stdout)
    assert listing.header == ["token", "run", "step", "status", "description", "expires", "schema"]
    assert listing.rows == [
        [token, handle.id, "approve", "pending", "approve the draft", "in 6d 23h", SCHEMA_SUMMARY]
    ]


async def test_list_filters_by_status_and_run(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    first, first_token = await waiting_review(kit, functions)
    _, second_token = await waiting_review(kit, functions)
    kit.complete_token(first_token, {"approved": False})

    def tokens(*args: str) -> list[str]:
        result = cli("tokens", "list", "--json", *args)
        assert result.exit_code == 0, result.output
        return [token["token"] for token in json.loads(result.stdout)]

    assert tokens() == [second_token]
    assert tokens("--status", "completed") == [first_token]
    assert tokens("--status", "all") == [second_token, first_token]
    assert tokens("--status", "all", "--run", first.id) == [first_token]
    assert tokens("--status", "expired") == []

    completed = tables(cli("tokens", "list", "--status", "completed").stdout)[0]
    assert completed.row(first_token)["status"] == "completed"
    assert completed.row(first_token)["expires"] == "-"
    assert cli("tokens", "list", "--run", "run_nope").stdout == "no pending tokens\n"


async def test_list_json_holds_records_with_decoded_schema(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle, token = await waiting_review(kit, functions)
    stored = token_record(kit, token)

    [record] = json.loads(cli("tokens", "list", "--json").stdout)

    assert record == {
        "token": token,
        "run_id": handle.id,
        "step_key": "approve",
        "status": "pending",
        "created_at": stored.created_at,
        "expires_at": stored.expires_at,
        "description": "approve the draft",
        "schema": json.loads(stored.schema or "null"),
        "payload": None,
        "completed_at": None,
    }
    assert record["schema"]["required"] == ["approved"]


def test_complete_with_valid_payload_resumes_the_run(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle, token = asyncio.run(waiting_review(kit, functions))

    result = cli("tokens", "complete", token, "--data", '{"approved": true, "note": "ok"}')

    assert result.exit_code == 0, result.output
    assert result.stdout == f"completed token for step 'approve' of run {handle.id}\n"
    record = token_record(kit, token)
    assert record.status == "completed"
    assert json.loads(record.payload or "null") == {"approved": True, "note": "ok"}
    drain(kit)
    assert handle.status() == "completed"
    assert json.loads(handle.record().output or "null") == "DRAFT:True"


async def test_invalid_payload_names_each_field_and_leaves_the_token_pending(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle, token = await waiting_review(kit, functions)

    result = cli("tokens", "complete", token, "--data", '{"approved": "yes", "note": 3}')

    assert_one_error_line(
        result,
        "payload for token of step 'approve' does not match its schema: "
        "approved: 'yes' is not of type 'boolean'; "
        "note: 3 is not valid under any of the given schemas",
    )
    assert token_record(kit, token).status == "pending"
    assert handle.status() == "waiting"


async def test_missing_required_field_is_named(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    _, token = await waiting_review(kit, functions)

    result = cli("tokens", "complete", token)  # the default payload is null

    assert_one_error_line(
        result,
        "payload for token of step 'approve' does not match its schema: "
        "<root>: None is not of type 'object'",
    )
    assert_one_error_line(
        cli("tokens", "complete", token, "--data", "{}"),
        "payload for token of step 'approve' does not match its schema: "
        "<root>: 'approved' is a required property",
    )
    assert token_record(kit, token).status == "pending"


async def test_second_completion_is_an_error(kit: AgentKit, functions: Functions, cli: CLI) -> None:
    _, token = await waiting_review(kit, functions)
    assert cli("tokens", "complete", token, "--data", '{"approved": true}').exit_code == 0

    result = cli("tokens", "complete", token, "--data", '{"approved": false}')

    assert_one_error_line(result, "token for step 'approve' was already completed")
    assert json.loads(token_record(kit, token).payload or "null") == {"approved": True}


def test_unknown_token_is_one_error_line(cli: CLI) -> None:
    result = cli("tokens", "complete", "tok_nope", "--data", '{"approved": true}')
    assert_one_error_line(result, "no token 'tok_nope' (mistyped, or from another database?)")


async def test_expired_token_is_an_error(kit: AgentKit, db_url: str, cli: CLI) -> None:
    # A kit whose clock is 8 days behind creates a 7-day token that expired a day ago.
    past = AgentKit(db_url, clock=ManualClock(time.time() - 8 * DAY))
    try:
        _, token = await waiting_review(past, register(past))
    finally:
        past.close()

    listing = tables(cli("tokens", "list").stdout)[0]
    assert listing.row(token)["expires"] == "1d 00h ago"
    result = cli("tokens", "complete", token, "--data", '{"approved": true}')

    assert_one_error_line(result, "token for step 'approve' expired")
    assert token_record(kit, token).status == "pending"


async def test_token_of_a_cancelled_run_is_an_error(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle, token = await waiting_review(kit, functions)
    kit.cancel(handle.id)

    result = cli("tokens", "complete", token, "--data", '{"approved": true}')

    assert_one_error_line(
        result,
        f"token for step 'approve' belongs to run {handle.id!r}, which is cancelled; "
        "nothing waits for it",
    )


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ('{"approved": tru}', "Expecting value at line 1, column 14"),
        ('{"approved": true', "Expecting ',' delimiter at line 1, column 18"),
        ("", "Expecting value at line 1, column 1"),
    ],
)
async def test_bad_json_says_where_it_failed(
    kit: AgentKit, functions: Functions, cli: CLI, data: str, where: str
) -> None:
    _, token = await waiting_review(kit, functions)

    result = cli("tokens", "complete", token, "--data", data)

    assert_one_error_line(result, f"--data is not valid JSON: {where}")
    assert token_record(kit, token).status == "pending"


async def test_payload_from_stdin(kit: AgentKit, functions: Functions, cli: CLI) -> None:
    _, token = await waiting_review(kit, functions)

    result = cli("tokens", "complete", token, "--data", "-", stdin='{"approved": true}\n')

    assert result.exit_code == 0, result.output
    assert json.loads(token_record(kit, token).payload or "null") == {"approved": True}


async def test_bad_json_on_stdin(kit: AgentKit, functions: Functions, cli: CLI) -> None:
    _, token = await waiting_review(kit, functions)

    result = cli("tokens", "complete", token, "--data", "-", stdin='{\n  "approved": yes\n}')

    assert_one_error_line(
        result, "--data - (stdin) is not valid JSON: Expecting value at line 2, column 15"
    )


async def test_payload_from_file(
    kit: AgentKit, functions: Functions, cli: CLI, tmp_path: Path
) -> None:
    _, token = await waiting_review(kit, functions)
    payload = tmp_path / "payload.json"
    payload.write_text('{"approved": false, "note": "too long"}', encoding="utf-8")

    result = cli("tokens", "complete", token, "--data-file", str(payload))

    assert result.exit_code == 0, result.output
    record = token_record(kit, token)
    assert json.loads(record.payload or "null") == {"approved": False, "note": "too long"}


async def test_unreadable_or_bad_data_file(
    kit: AgentKit, functions: Functions, cli: CLI, tmp_path: Path
) -> None:
    _, token = await waiting_review(kit, functions)
    missing = tmp_path / "missing.json"
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2,,]", encoding="utf-8")

    assert_one_error_line(
        cli("tokens", "complete", token, "--data-file", str(missing)),
        f"cannot read --data-file {str(missing)!r}: No such file or directory",
    )
    assert_one_error_line(
        cli("tokens", "complete", token, "--data-file", str(broken)),
        f"--data-file {str(broken)!r} is not valid JSON: Expecting value at line 1, column 7",
    )


def test_data_and_data_file_together_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    payload = tmp_path / "payload.json"
    result = cli("tokens", "complete", "tok_x", "--data", "1", "--data-file", str(payload))
    assert result.exit_code == 2
    assert "give either --data or --data-file, not both" in result.stderr
    assert "Traceback" not in result.output

"""``agentkit runs list|show|cancel`` against runs made by the real engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from agentkit import AgentKit, Context, NonRetriableError
from tests.cli.conftest import CLI, Functions, adrain, assert_one_error_line, fields, tables


def local_time(epoch: float | None) -> str:
    """How the tables show a time: local, to the second (pinned in test_render.py)."""
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


async def test_list_shows_each_run_with_its_status(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    review = await kit.start(functions.review, "draft")
    broken = await kit.start(functions.broken)
    await adrain(kit)

    result = cli("runs", "list")

    assert result.exit_code == 0, result.output
    [listing] = tables(result.stdout)
    assert listing.header == ["id", "function", "status", "created", "duration", "executions"]
    assert listing.column("id") == [broken.id, review.id]  # newest first
    row = listing.row(review.id)
    assert row["function"] == "review"
    assert row["status"] == "waiting"
    assert row["created"] == local_time(review.record().created_at)
    assert row["duration"] == "-"  # still waiting for its token
    assert row["executions"] == "1"
    assert listing.row(broken.id)["status"] == "failed"
    assert listing.row(broken.id)["duration"].endswith("ms")


async def test_list_filters_by_status_function_and_limit(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    review = await kit.start(functions.review, "draft")
    broken = await kit.start(functions.broken)
    parent = await kit.start(functions.parent, 1)
    await adrain(kit)
    child_id = kit.store.list_runs(parent_run_id=parent.id)[0].id

    def ids(*args: str) -> list[str]:
        result = cli("runs", "list", "--json", *args)
        assert result.exit_code == 0, result.output
        return [run["id"] for run in json.loads(result.stdout)]

    assert ids("--status", "waiting") == [review.id]
    assert ids("--status", "failed") == [broken.id]
    assert ids("--status", "completed") == [child_id, parent.id]
    assert ids("--function", "broken") == [broken.id]
    assert ids("--limit", "2") == [child_id, parent.id]
    assert ids("--status", "queued") == []


async def test_list_json_holds_records_with_decoded_json_fields(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    parent = await kit.start(functions.parent, 21)
    await adrain(kit)

    result = cli("runs", "list", "--json", "--function", "parent")

    assert result.exit_code == 0, result.output
    [record] = json.loads(result.stdout)
    stored = parent.record()
    assert record["id"] == parent.id
    assert record["function_id"] == "parent"
    assert record["status"] == "completed"
    assert record["input"] == {"n": 21}
    assert record["output"] == 42
    assert record["error"] is None
    assert record["created_at"] == stored.created_at
    assert record["ended_at"] == stored.ended_at
    assert record["executions"] == stored.executions


def test_list_of_an_empty_database_says_where_to_find_runs(cli: CLI) -> None:
    result = cli("runs", "list")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"database: {cli.db_url} (from --database-url)",
        "no runs",
        "agentkit demo starts one (its runs go to sqlite:///.agentkit/demo.db)",
        "your own: await kit.start(fn, ...) in your code, then agentkit worker myapp.module:kit",
    ]
    assert json.loads(cli("runs", "list", "--json").stdout) == []


def test_empty_list_points_at_the_demo_runs(cli: CLI, tmp_path: Path) -> None:
    # The demo keeps its runs apart; a new user who ran it first finds them from here.
    AgentKit("sqlite:///.agentkit/demo.db").close()

    result = cli("runs", "list")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2] == (
        "the demo's runs are in sqlite:///.agentkit/demo.db: "
        "agentkit --database-url sqlite:///.agentkit/demo.db runs list"
    )
    assert (tmp_path / ".agentkit" / "demo.db").is_file()


def test_empty_list_with_a_filter_gives_no_hints(cli: CLI) -> None:
    result = cli("runs", "list", "--status", "failed")
    assert result.stdout.splitlines() == [
        f"database: {cli.db_url} (from --database-url)",
        "no runs",
    ]


async def test_show_has_header_and_step_timeline(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle = await kit.start(functions.review, "draft")
    await adrain(kit)
    [token] = kit.list_tokens(run_id=handle.id)

    result = cli("runs", "show", handle.id)

    assert result.exit_code == 0, result.output
    header = fields(result.stdout)
    assert header == {
        "id": handle.id,
        "function": "review",
        "status": "waiting",
        "input": '{"doc": "draft"}',
        "created": local_time(handle.record().created_at),
        "ended": "-",
        "duration": "-",
        "executions": "1",
    }
    [steps] = tables(result.stdout)
    assert steps.title == "steps"
    assert steps.header == ["seq", "key", "kind", "status", "attempts", "ms", "detail"]
    assert [row[:5] for row in steps.rows] == [
        ["0", "fetch", "run", "completed", "1"],
        ["1", "approve", "token", "waiting", "1"],
    ]
    assert steps.row("0")["ms"].isdigit()
    assert steps.row("1")["ms"] == "-"
    assert steps.row("1")["detail"] == (
        f"token {token.token} (expires {local_time(token.expires_at)})"
    )


async def test_show_of_a_completed_run_has_its_output(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle = await kit.start(functions.review, "draft")
    await adrain(kit)
    [token] = kit.list_tokens(run_id=handle.id)
    kit.complete_token(token.token, {"approved": True})
    await adrain(kit)

    result = cli("runs", "show", handle.id)

    assert result.exit_code == 0, result.output
    header = fields(result.stdout)
    assert header["status"] == "completed"
    assert header["output"] == '"DRAFT:True"'
    assert header["ended"] == local_time(handle.record().ended_at)
    assert header["executions"] == "2"
    [steps] = tables(result.stdout)
    assert steps.column("key") == ["fetch", "approve", "publish"]
    assert steps.column("status") == ["completed", "completed", "completed"]


async def test_show_of_a_failed_run_has_error_type_and_message(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle = await kit.start(functions.broken)
    await adrain(kit)

    result = cli("runs", "show", handle.id)

    assert result.exit_code == 0, result.output
    header = fields(result.stdout)
    assert header["status"] == "failed"
    assert header["error"] == (
        "StepFailed: step 'explode' failed after 1 attempt(s): "
        "NonRetriableError: the printer is on fire"
    )
    assert "output" not in header
    [steps] = tables(result.stdout)
    assert steps.row("0")["status"] == "failed"
    assert steps.row("0")["detail"] == "NonRetriableError: the printer is on fire"


async def test_show_lists_children_and_the_child_names_its_parent(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    parent = await kit.start(functions.parent, 21)
    await adrain(kit)
    [child] = kit.store.list_runs(parent_run_id=parent.id)

    result = cli("runs", "show", parent.id)

    assert result.exit_code == 0, result.output
    steps, children = tables(result.stdout)
    assert steps.row("0")["kind"] == "invoke"
    assert steps.row("0")["detail"] == f"child run {child.id}"
    assert children.title == "children"
    assert children.rows == [[child.id, "child", "completed", "sub", local_time(child.created_at)]]

    child_view = cli("runs", "show", child.id)
    assert fields(child_view.stdout)["parent"] == f"{parent.id} (step sub)"


async def test_show_json_has_run_steps_and_children(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    parent = await kit.start(functions.parent, 21)
    await adrain(kit)
    [child] = kit.store.list_runs(parent_run_id=parent.id)

    result = cli("runs", "show", parent.id, "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == ["run", "steps", "model_calls", "tool_calls", "children"]
    assert (document["model_calls"], document["tool_calls"]) == ([], [])
    assert document["run"]["id"] == parent.id
    assert document["run"]["output"] == 42
    [step] = document["steps"]
    assert (step["key"], step["kind"], step["status"], step["output"]) == (
        "sub",
        "invoke",
        "completed",
        42,
    )
    assert step["wait_ref"] == child.id
    assert [c["id"] for c in document["children"]] == [child.id]


def test_show_of_an_unknown_run_is_one_error_line(cli: CLI) -> None:
    result = cli("runs", "show", "run_nope")
    assert_one_error_line(result, "no run with id 'run_nope'")


async def test_cancel_cancels_the_run_and_its_tokens(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle = await kit.start(functions.review, "draft")
    await adrain(kit)

    result = cli("runs", "cancel", handle.id)

    assert (result.exit_code, result.stdout) == (0, f"cancelled run {handle.id}\n")
    assert handle.status() == "cancelled"
    assert [t.status for t in kit.list_tokens(run_id=handle.id)] == ["cancelled"]
    assert fields(cli("runs", "show", handle.id).stdout)["status"] == "cancelled"


async def test_cancel_of_an_ended_run_changes_nothing(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle = await kit.start(functions.broken)
    await adrain(kit)

    result = cli("runs", "cancel", handle.id)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"run {handle.id} had already ended (failed); nothing to cancel\n"
    assert handle.status() == "failed"


def test_cancel_of_an_unknown_run_is_one_error_line(cli: CLI) -> None:
    assert_one_error_line(cli("runs", "cancel", "run_nope"), "no run with id 'run_nope'")


def test_bad_status_is_a_usage_error(cli: CLI) -> None:
    result = cli("runs", "list", "--status", "sleeping")
    assert result.exit_code == 2
    assert "sleeping" in result.stderr


async def test_resume_runs_a_fixed_run_again_from_its_failed_step(kit: AgentKit, cli: CLI) -> None:
    ran: list[str] = []
    printer = {"on_fire": True}

    def fetch() -> str:
        ran.append("fetch")
        return "doc"

    def publish(doc: str) -> str:
        ran.append("publish")
        if printer["on_fire"]:
            raise NonRetriableError("the printer is on fire")
        return f"published {doc}"

    @kit.function(retries=0)
    async def job(ctx: Context) -> str:
        doc = await ctx.step.run("fetch", fetch)
        return await ctx.step.run("publish", publish, doc)

    handle = await kit.start(job)
    await adrain(kit)
    assert handle.status() == "failed"
    printer["on_fire"] = False

    result = cli("runs", "resume", handle.id)

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"run {handle.id} is queued again from step 'publish'; "
        "a worker of its application continues it (agentkit worker APP)\n"
    )
    await adrain(kit)
    assert handle.status() == "completed"
    assert await handle.result() == "published doc"
    assert ran == ["fetch", "publish", "publish"]  # the completed step did not run again


async def test_resume_of_a_run_that_did_not_fail_is_one_error_line(
    kit: AgentKit, functions: Functions, cli: CLI
) -> None:
    handle = await kit.start(functions.review, "draft")
    await adrain(kit)

    assert_one_error_line(
        cli("runs", "resume", handle.id),
        f"run {handle.id!r} is waiting, not failed; only a failed run can be resumed",
    )
    assert handle.status() == "waiting"
    assert_one_error_line(cli("runs", "resume", "run_nope"), "no run with id 'run_nope'")

"""The HTTP API against the ASGI app: runs, tokens, auth, bad bodies, unknown ids, SSE."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from agentkit import AgentKit
from agentkit.server import Feed, create_app
from tests.server.conftest import ANSWER, API_KEY, AUTH, until_subscribed

START = {"function": "agent:support", "input": {"input": "Refund order A-17"}}


async def start_waiting(api: httpx.AsyncClient, kit: AgentKit) -> tuple[str, dict[str, Any]]:
    """A support run, executed until it waits for the refund's approval."""
    started = await api.post("/api/runs", json=START, headers=AUTH)
    assert started.status_code == 201
    run_id = started.json()["id"]
    await kit.worker(stop_when_idle=True)
    detail = (await api.get(f"/api/runs/{run_id}", headers=AUTH)).json()
    return run_id, detail


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for frame in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines() if not line.startswith(":"))
        if lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


async def test_start_list_and_filter_runs(api: httpx.AsyncClient, kit: AgentKit) -> None:
    added = await api.post(
        "/api/runs", json={"function": "add", "input": {"a": 2, "b": 3}}, headers=AUTH
    )
    assert added.status_code == 201
    assert added.json()["status"] == "queued"
    await api.post("/api/runs", json=START, headers=AUTH)
    await kit.worker(stop_when_idle=True)
    runs = (await api.get("/api/runs")).json()["runs"]
    assert sorted(r["function_id"] for r in runs) == ["add", "agent:support"]
    completed = (await api.get("/api/runs", params={"status": "completed"})).json()["runs"]
    assert [(r["function_id"], r["status"]) for r in completed] == [("add", "completed")]
    by_function = (await api.get("/api/runs", params={"function": "agent:support"})).json()
    assert [r["status"] for r in by_function["runs"]] == ["waiting"]
    detail = (await api.get(f"/api/runs/{added.json()['id']}")).json()
    assert detail["run"]["output"] == 5
    assert detail["run"]["input"] == {"a": 2, "b": 3}
    assert (await api.get("/api/functions")).json() == {"functions": ["add", "agent:support"]}


async def test_mutations_need_the_api_key(api: httpx.AsyncClient, kit: AgentKit) -> None:
    missing = await api.post("/api/runs", json=START)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "missing API key" in missing.json()["detail"]
    wrong = await api.post("/api/runs", json=START, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "wrong API key"
    for path in ("/api/runs/x/cancel", "/api/runs/x/resume", "/api/runs/x/replay", "/api/events"):
        assert (await api.post(path, json={})).status_code == 401, path
    assert (await api.get("/api/tokens")).status_code == 401
    assert kit.list_runs() == []


async def test_a_server_without_a_key_refuses_every_mutation(kit: AgentKit) -> None:
    app = create_app(kit, api_key=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
        refused = await api.post("/api/runs", json=START, headers=AUTH)
        assert refused.status_code == 401
        assert "AGENTKIT_API_KEY" in refused.json()["detail"]
        assert (await api.get("/api/runs")).status_code == 200


async def test_bad_bodies_are_422_naming_the_field(api: httpx.AsyncClient) -> None:
    no_function = await api.post("/api/runs", json={"input": {}}, headers=AUTH)
    assert no_function.status_code == 422
    assert no_function.json()["errors"] == [{"at": "body.function", "message": "Field required"}]
    extra = await api.post("/api/runs", json={**START, "priority": 3}, headers=AUTH)
    assert extra.status_code == 422
    assert "body.priority" in extra.json()["detail"]
    not_json = await api.post(
        "/api/runs", content=b"{", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    bad_input = await api.post(
        "/api/runs", json={"function": "add", "input": {"a": 1}}, headers=AUTH
    )
    assert bad_input.status_code == 422
    assert bad_input.json()["error"] == "UsageError"
    assert "b" in bad_input.json()["detail"]
    bad_status = await api.get("/api/runs", params={"status": "sleeping"})
    assert bad_status.status_code == 422
    empty_event = await api.post("/api/events", json={"name": ""}, headers=AUTH)
    assert empty_event.status_code == 422


async def test_unknown_ids_are_404(api: httpx.AsyncClient) -> None:
    unknown_function = await api.post(
        "/api/runs", json={"function": "nope", "input": {}}, headers=AUTH
    )
    assert unknown_function.status_code == 404
    assert unknown_function.json()["error"] == "FunctionNotFound"
    for method, path in [
        ("GET", "/api/runs/run_nope"),
        ("GET", "/api/runs/run_nope/completions/cmp_nope"),
        ("GET", "/api/stream/runs/run_nope"),
        ("GET", "/api/runs/run_nope/eval-case"),
        ("POST", "/api/runs/run_nope/cancel"),
        ("POST", "/api/runs/run_nope/resume"),
        ("POST", "/api/runs/run_nope/replay"),
    ]:
        response = await api.request(method, path, headers=AUTH)
        assert response.status_code == 404, path
        assert "run_nope" in response.json()["detail"], path
    token = await api.post("/api/tokens/approve", json={"token": "tok_nope"})
    assert token.status_code == 404
    assert token.json()["error"] == "TokenNotFound"


async def test_approve_with_the_token_alone(api: httpx.AsyncClient, kit: AgentKit) -> None:
    run_id, detail = await start_waiting(api, kit)
    assert detail["run"]["status"] == "waiting"
    [token] = detail["tokens"]
    assert token["status"] == "pending"
    assert token["step_key"] == "support/approve/refund"
    anonymous = (await api.get(f"/api/runs/{run_id}")).json()
    assert anonymous["tokens"][0]["token"] is None  # the value is the capability
    approved = await api.post("/api/tokens/approve", json={"token": token["token"]})
    assert approved.status_code == 200
    assert approved.json()["payload"] == {"approved": True}
    again = await api.post("/api/tokens/approve", json={"token": token["token"]})
    assert again.status_code == 409
    assert again.json()["error"] == "TokenAlreadyCompleted"
    await kit.worker(stop_when_idle=True)
    done = (await api.get(f"/api/runs/{run_id}")).json()
    assert done["run"]["status"] == "completed"
    assert done["run"]["output"]["output"] == ANSWER
    kinds = [(s["key"], s["kind"], s["status"]) for s in done["journal"]]
    assert ("support/approve/refund", "token", "completed") in kinds
    assert ("support/tool/refund", "run", "completed") in kinds


async def test_reject_with_a_reason_tells_the_model(api: httpx.AsyncClient, kit: AgentKit) -> None:
    run_id, detail = await start_waiting(api, kit)
    token = detail["tokens"][0]["token"]
    rejected = await api.post("/api/tokens/reject", json={"token": token, "reason": "too much"})
    assert rejected.json()["payload"] == {"approved": False, "reason": "too much"}
    await kit.worker(stop_when_idle=True)
    done = (await api.get(f"/api/runs/{run_id}")).json()
    tool_results = done["run"]["output"]["tool_results"]
    assert tool_results[0]["content"] == "rejected by a human: too much"


async def test_complete_checks_the_token_schema(api: httpx.AsyncClient, kit: AgentKit) -> None:
    _, detail = await start_waiting(api, kit)
    token = detail["tokens"][0]["token"]
    invalid = await api.post("/api/tokens/complete", json={"token": token, "data": {"ok": 1}})
    assert invalid.status_code == 422
    assert invalid.json()["error"] == "TokenPayloadInvalid"
    assert invalid.json()["errors"][0]["path"] == "<root>"


async def test_model_call_view_has_the_raw_exchange(api: httpx.AsyncClient, kit: AgentKit) -> None:
    run_id, detail = await start_waiting(api, kit)
    [call] = detail["completions"]
    assert call["step_key"] == "support/infer"
    assert (call["input_tokens"], call["output_tokens"]) == (100, 10)
    raw = (await api.get(f"/api/runs/{run_id}/completions/{call['id']}")).json()
    assert raw["request"]["messages"][0]["parts"][0]["text"] == "You help customers."
    assert raw["response"]["message"]["parts"][0]["name"] == "refund"
    assert raw["headers"] == {}
    other = await api.get(f"/api/runs/other/completions/{call['id']}")
    assert other.status_code == 404


async def test_cancel_resume_fork_replay_and_eval_case(
    api: httpx.AsyncClient, kit: AgentKit
) -> None:
    run_id, detail = await start_waiting(api, kit)
    not_failed = await api.post(f"/api/runs/{run_id}/resume", headers=AUTH)
    assert not_failed.status_code == 422
    assert "waiting" in not_failed.json()["detail"]
    await api.post("/api/tokens/approve", json={"token": detail["tokens"][0]["token"]})
    await kit.worker(stop_when_idle=True)
    bad_fork = await api.post(f"/api/runs/{run_id}/fork", json={"from_step": "nope"}, headers=AUTH)
    assert bad_fork.status_code == 422
    assert "nope" in bad_fork.json()["detail"]
    forked = await api.post(
        f"/api/runs/{run_id}/fork",
        json={"from_step": "support/tool/refund", "results": {"support/tool/refund": "refused"}},
        headers=AUTH,
    )
    assert forked.status_code == 201
    fork_id = forked.json()["id"]
    await kit.worker(stop_when_idle=True)
    fork = (await api.get(f"/api/runs/{fork_id}")).json()
    assert fork["run"]["status"] == "completed"
    assert fork["run"]["output"]["tool_results"][0]["content"] == "refused"
    report = await api.post(f"/api/runs/{run_id}/replay", headers=AUTH)
    assert report.status_code == 200
    assert report.json()["diverged"] is False
    case = await api.get(f"/api/runs/{run_id}/eval-case")
    assert case.headers["content-disposition"] == f'attachment; filename="{run_id}.case.json"'
    assert case.json()["case"]["input"] == START["input"]
    assert case.json()["case"]["expected"] == ANSWER
    assert case.json()["recording"]["run"]["id"] == run_id
    cancelled = await api.post(f"/api/runs/{run_id}/cancel", headers=AUTH)
    assert cancelled.json()["cancelled"] is False


async def test_cancel_a_waiting_run_and_send_an_event(
    api: httpx.AsyncClient, kit: AgentKit
) -> None:
    run_id, _ = await start_waiting(api, kit)
    waiting_case = await api.get(f"/api/runs/{run_id}/eval-case")
    assert waiting_case.status_code == 409
    cancelled = await api.post(f"/api/runs/{run_id}/cancel", headers=AUTH)
    assert cancelled.json()["cancelled"] is True
    assert cancelled.json()["run"]["status"] == "cancelled"
    event = await api.post(
        "/api/events", json={"name": "order.paid", "data": {"id": 1}}, headers=AUTH
    )
    assert event.json() == {"woken": []}


async def test_a_run_stream_read_to_the_end(
    api: httpx.AsyncClient, kit: AgentKit, feed: Feed
) -> None:
    run_id, detail = await start_waiting(api, kit)
    await api.post("/api/tokens/approve", json={"token": detail["tokens"][0]["token"]})

    async def stream() -> str:
        async with api.stream("GET", f"/api/stream/runs/{run_id}") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            return "".join([chunk async for chunk in response.aiter_text()])

    async def work() -> None:
        await until_subscribed(feed, run_id)  # the stream subscribes first: deltas reach it
        await feed.run_worker(stop_when_idle=True)

    text, _ = await asyncio.gather(stream(), work())
    events = sse_events(text)
    names = [name for name, _ in events]
    assert names[0] == "snapshot"
    assert names[-1] == "end"
    assert events[-1][1] == {"run_id": run_id, "status": "completed"}
    deltas = [data for name, data in events if name == "delta"]
    assert "".join(d["text"] for d in deltas if d["type"] == "TextDelta") == ANSWER
    assert {d["step_key"] for d in deltas} == {"support/infer#1"}
    steps = {data["key"] for name, data in events if name == "step"}
    assert {"support/tool/refund", "support/infer#1"} <= steps
    assert ("status", "completed") in [(n, d.get("status")) for n, d in events if n == "status"]


async def test_the_run_list_feed(kit: AgentKit, feed: Feed) -> None:
    seen: list[tuple[str, str]] = []

    async def watch() -> None:
        async for event in feed.runs():
            seen.append((event.data["function_id"], event.data["status"]))
            if event.data["status"] == "completed":
                return

    watcher = asyncio.create_task(watch())
    await until_subscribed(feed)
    await kit.start(kit.get_function("add"), a=1, b=2)
    await kit.worker(stop_when_idle=True)
    await asyncio.wait_for(watcher, 10)
    # Which intermediate statuses a poll catches depends on timing; the end does not.
    assert {function for function, _ in seen} == {"add"}
    assert seen[-1] == ("add", "completed")


async def test_secrets_are_scrubbed_from_responses(api: httpx.AsyncClient, kit: AgentKit) -> None:
    started = await api.post(
        "/api/runs", json={"function": "agent:support", "input": {"input": API_KEY}}, headers=AUTH
    )
    detail = (await api.get(f"/api/runs/{started.json()['id']}")).json()
    assert API_KEY not in json.dumps(detail)
    assert detail["run"]["input"] == {"input": "[REDACTED]"}


async def test_openapi_ui_and_no_cors(api: httpx.AsyncClient) -> None:
    assert (await api.get("/docs")).status_code == 200
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert {"/api/runs", "/api/runs/{run_id}/fork", "/api/tokens/approve"} <= set(paths)
    page = await api.get("/")
    assert '<script src="/ui/app.js">' in page.text
    assert API_KEY not in page.text  # only agentkit dev puts the key in the page
    assert (await api.get("/ui/app.css")).headers["content-type"].startswith("text/css")
    assert (await api.get("/ui/secret.py")).status_code == 404
    preflight = await api.options(
        "/api/runs",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_the_key_in_the_page_only_for_local_hosts(kit: AgentKit) -> None:
    app = create_app(kit, api_key=API_KEY, key_in_page=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8420") as api:
        assert f'content="{API_KEY}"' in (await api.get("/")).text
    async with httpx.AsyncClient(transport=transport, base_url="http://rebound.example") as api:
        assert (await api.get("/")).status_code == 400

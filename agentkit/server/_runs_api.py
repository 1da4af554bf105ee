"""``/api/runs``: start, list, inspect, cancel, resume, fork and replay runs."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from agentkit.server._bodies import ForkRun, StartRun
from agentkit.server._state import ServerState, require_key, server_state
from agentkit.server._views import (
    completion_detail,
    completion_summary,
    run_detail,
    run_summary,
    step_view,
    token_view,
)
from agentkit.store import RunStatus

__all__ = ["runs_router"]

runs_router = APIRouter(prefix="/api", tags=["runs"])
State = Annotated[ServerState, Depends(server_state)]
Authorized = Depends(require_key)


@runs_router.get("/functions")
def list_functions(state: State) -> dict[str, Any]:
    """The registered durable functions a run can be started of."""
    return {"functions": sorted(state.kit.functions)}


@runs_router.post("/runs", status_code=201, dependencies=[Authorized])
async def start_run(body: StartRun, state: State) -> dict[str, Any]:
    """Queue a run of a registered function; a worker executes it."""
    function = state.kit.get_function(body.function)
    handle = await state.kit.start(function, **body.input)
    return run_summary(state.kit, handle.record())


@runs_router.get("/runs")
def list_runs(
    state: State,
    status: RunStatus | None = None,
    function: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """Runs, newest first, filtered by status and function."""
    runs = state.kit.list_runs(status=status, function_id=function, limit=limit)
    return {"runs": [run_summary(state.kit, run) for run in runs]}


@runs_router.get("/runs/{run_id}")
def get_run(run_id: str, state: State, request: Request) -> dict[str, Any]:
    """A run with its journal, its model calls (without bodies) and its tokens."""
    kit = state.kit
    run = kit.get_run(run_id).record()
    return {
        "run": run_detail(kit, run),
        "journal": [step_view(step) for step in kit.journal(run_id)],
        "completions": [completion_summary(c) for c in kit.completions(run_id)],
        "tokens": [
            _token(token_view(t), state.api_key.authorized(request))
            for t in kit.list_tokens(run_id=run_id, status=None)
        ],
    }


def _token(view: dict[str, Any], reveal: bool) -> dict[str, Any]:
    # The value completes the token: only a caller with the API key sees it.
    return view if reveal else {**view, "token": None}


@runs_router.get("/runs/{run_id}/completions/{completion_id}")
def get_completion(run_id: str, completion_id: str, state: State) -> dict[str, Any]:
    """One model-call attempt: raw request and response, stream events, kept headers."""
    completion = state.kit.store.get_completion(completion_id)
    if completion is None or completion.run_id != run_id:
        raise HTTPException(404, f"run {run_id!r} has no completion {completion_id!r}")
    return completion_detail(completion)


@runs_router.post("/runs/{run_id}/cancel", dependencies=[Authorized])
def cancel_run(run_id: str, state: State) -> dict[str, Any]:
    """Cancel a run that has not ended, with its children and open tokens."""
    cancelled = state.kit.cancel(run_id)
    return {
        "cancelled": cancelled,
        "run": run_summary(state.kit, state.kit.get_run(run_id).record()),
    }


@runs_router.post("/runs/{run_id}/resume", dependencies=[Authorized])
def resume_run(run_id: str, state: State) -> dict[str, Any]:
    """Queue a failed run again; its completed steps are kept."""
    handle = state.kit.resume(run_id)
    return run_summary(state.kit, handle.record())


@runs_router.post("/runs/{run_id}/fork", status_code=201, dependencies=[Authorized])
def fork_run(run_id: str, body: ForkRun, state: State) -> dict[str, Any]:
    """A new run that reuses this one's journal before a step (with edited results)."""
    handle = state.kit.fork(run_id, from_step=body.from_step, results=body.results)
    return run_summary(state.kit, handle.record())


@runs_router.post("/runs/{run_id}/replay", dependencies=[Authorized])
async def replay_run(run_id: str, state: State) -> dict[str, Any]:
    """Replay the run against today's code, offline: the report of what differs."""
    from agentkit.evals import replay

    state.kit.get_run(run_id)
    report = await replay(state.kit, run_id)
    result: dict[str, Any] = report.to_json()
    return result


@runs_router.get("/runs/{run_id}/eval-case")
def eval_case(run_id: str, state: State) -> JSONResponse:
    """The run as an eval case: its input, its answer as expected, and its recording."""
    from agentkit.evals import Case, final_output, load_recording, recording_to_json

    state.kit.get_run(run_id)
    recording = load_recording(state.kit.store, run_id)
    run = recording.run
    if not run.is_terminal:
        raise HTTPException(
            409, f"run {run_id!r} is {run.status}: only an ended run can be an eval case"
        )
    case = Case(
        name=run_id,
        input=json.loads(run.input),
        expected=None if run.output is None else final_output(json.loads(run.output)),
        metadata={"function_id": run.function_id, "recorded_status": run.status},
        recording=f"recordings/{run_id}.json",
    )
    return JSONResponse(
        {"case": case.model_dump(mode="json"), "recording": recording_to_json(recording)},
        headers={"Content-Disposition": f'attachment; filename="{run_id}.case.json"'},
    )

"""The pure formatting helpers behind the tables."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from agentkit.cli._render import (
    decode,
    duration,
    error_summary,
    local_time,
    record_dict,
    relative,
    run_duration,
    schema_summary,
    span,
    step_duration_ms,
)
from agentkit.store import RunRecord, StepRecord


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_local_time(utc: None) -> None:
    assert local_time(1_700_000_000.9) == "2023-11-14 22:13:20"
    assert local_time(None) == "-"


def test_local_time_follows_the_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "IST-05:30")  # POSIX form: UTC+5:30 without tzdata
    time.tzset()
    try:
        assert local_time(1_700_000_000) == "2023-11-15 03:43:20"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-3, "0s"),
        (0, "0s"),
        (59.9, "59s"),
        (60, "1m 00s"),
        (3599, "59m 59s"),
        (3600, "1h 00m"),
        (86399, "23h 59m"),
        (86400, "1d 00h"),
        (7 * 86400 - 1, "6d 23h"),
        (30 * 86400 + 7200, "30d 02h"),
    ],
)
def test_span(seconds: float, text: str) -> None:
    assert span(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0004, "0ms"),
        (0.25, "250ms"),
        (0.9994, "999ms"),
        (1, "1.0s"),
        (59.94, "59.9s"),
        (61, "1m 01s"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_relative() -> None:
    assert relative(1_000 + 90, 1_000) == "in 1m 30s"
    assert relative(1_000 - 7200, 1_000) == "2h 00m ago"
    assert relative(1_000, 1_000) == "0s ago"
    assert relative(None, 1_000) == "never"


def run(**fields: object) -> RunRecord:
    values: dict[str, object] = {
        "id": "run_1",
        "function_id": "f",
        "status": "completed",
        "input": "{}",
        "created_at": 100.0,
        "updated_at": 100.0,
    }
    values.update(fields)
    return RunRecord(**values)  # type: ignore[arg-type]


def test_run_duration_counts_from_first_start() -> None:
    assert run_duration(run(started_at=101.0, ended_at=103.5)) == "2.5s"
    assert run_duration(run(ended_at=100.2)) == "200ms"  # never started: from creation
    assert run_duration(run(status="waiting")) == "-"


def test_step_duration_ms() -> None:
    step = StepRecord(
        run_id="run_1",
        key="k",
        kind="run",
        status="completed",
        seq=0,
        fingerprint="x",
        started_at=10.0,
        ended_at=10.0421,
    )
    assert step_duration_ms(step) == "42"
    step.ended_at = None
    assert step_duration_ms(step) == "-"


def test_decode_and_error_summary() -> None:
    assert decode('{"a": [1]}') == {"a": [1]}
    assert decode("not json") == "not json"
    assert decode(None) is None
    assert error_summary('{"type": "KeyError", "message": "x", "traceback": "..."}') == (
        "KeyError: x"
    )
    assert error_summary('"odd"') == "odd"


def test_record_dict_decodes_json_fields() -> None:
    record = record_dict(run(input='{"n": 1}', output="[1, 2]", error=None))
    assert record["input"] == {"n": 1}
    assert record["output"] == [1, 2]
    assert record["error"] is None
    assert record["id"] == "run_1"
    assert json.loads(json.dumps(record)) == record


@pytest.mark.parametrize(
    ("schema", "summary"),
    [
        (None, "any"),
        ({}, "any"),
        ({"type": "integer"}, "integer"),
        ({"type": ["string", "null"]}, "string | null"),
        ({"type": "array", "items": {"type": "string"}}, "list[string]"),
        ({"enum": ["yes", "no"]}, '"yes" | "no"'),
        (
            {
                "title": "Approval",
                "type": "object",
                "properties": {
                    "approved": {"type": "boolean"},
                    "reviewer": {"$ref": "#/$defs/Person"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "level": {"const": 3},
                    "meta": {"type": "object"},
                },
                "required": ["approved", "reviewer"],
            },
            "Approval {approved: boolean, reviewer: Person, tags?: list[string], level?: 3, "
            "meta?: object}",
        ),
        (
            {"type": "object", "properties": {"x": {"oneOf": [{"type": "number"}, {}]}}},
            "{x?: number | any}",
        ),
    ],
)
def test_schema_summary(schema: object, summary: str) -> None:
    assert schema_summary(None if schema is None else json.dumps(schema)) == summary

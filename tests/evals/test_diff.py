"""json_diff: named lists match by name, others by position; changes render on one line."""

from __future__ import annotations

from agentkit.evals import Change, json_diff


def test_named_lists_match_by_name_so_a_removed_tool_reads_as_removed() -> None:
    before = {"tools": [{"name": "a", "x": 1}, {"name": "b", "x": 1}, {"name": "c", "x": 1}]}
    after = {"tools": [{"name": "a", "x": 1}, {"name": "c", "x": 2}]}
    assert json_diff(before, after) == [
        Change("tools[b]", "removed", {"name": "b", "x": 1}, None),
        Change("tools[c].x", "changed", 1, 2),
    ]


def test_unnamed_lists_match_by_position_and_types_count() -> None:
    assert json_diff({"m": [1, 2]}, {"m": [1, 2, 3], "t": 0.5}) == [
        Change("m[2]", "added", None, 3),
        Change("t", "added", None, 0.5),
    ]
    assert json_diff(1, 1.0) == [Change("<root>", "changed", 1, 1.0)]
    assert json_diff({"a": "x" * 200}, {"a": "y"})[0].render().endswith('... -> "y"')

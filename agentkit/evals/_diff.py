"""Readable differences between two JSON documents (model requests, outputs).

A request is mostly lists: messages by position, tools by name. Lists of
objects that all carry a name (``{"name": ...}`` or ``{"function": {"name":
...}}``) are matched by name, so removing one tool reads as "tools[lookup]
removed", not as every later tool changing. Pure code, no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Change", "json_diff", "render_changes"]

_MISSING: Any = object()
_SHOWN = 120  # characters of a value shown in a rendered change


@dataclass(frozen=True)
class Change:
    """One difference: at ``path``, ``before`` became ``after``.

    ``op`` is ``"changed"``, ``"added"`` (``before`` is None) or ``"removed"``
    (``after`` is None).
    """

    path: str
    op: Literal["changed", "added", "removed"]
    before: Any = None
    after: Any = None

    def render(self) -> str:
        """One line: ``messages[0].content: 'a...' -> 'b...'``."""
        if self.op == "added":
            return f"{self.path}: added {_short(self.after)}"
        if self.op == "removed":
            return f"{self.path}: removed {_short(self.before)}"
        return f"{self.path}: {_short(self.before)} -> {_short(self.after)}"

    def to_json(self) -> dict[str, Any]:
        """The change as JSON."""
        return {"path": self.path, "op": self.op, "before": self.before, "after": self.after}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 3]}..."


def _name(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    name = item.get("name")
    if isinstance(name, str):
        return name
    function = item.get("function")
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return str(function["name"])
    return None


def _named(items: list[Any]) -> dict[str, Any] | None:
    """The items by name, when every item has a distinct one."""
    names = [_name(item) for item in items]
    if not items or any(n is None for n in names) or len(set(names)) != len(names):
        return None
    return {str(n): item for n, item in zip(names, items, strict=True)}


def _join(path: str, part: str) -> str:
    return part if not path else f"{path}.{part}"


def json_diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """Every difference between two JSON values, outermost first."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[Change] = []
        for key in list(before) + [k for k in after if k not in before]:
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            changes.extend(_pair(old, new, _join(path, str(key))))
        return changes
    if isinstance(before, list) and isinstance(after, list):
        return _list_diff(before, after, path)
    if before != after or type(before) is not type(after):
        return [Change(path or "<root>", "changed", before, after)]
    return []


def _pair(old: Any, new: Any, path: str) -> list[Change]:
    if old is _MISSING:
        return [Change(path, "added", None, new)]
    if new is _MISSING:
        return [Change(path, "removed", old, None)]
    return json_diff(old, new, path)


def _list_diff(before: list[Any], after: list[Any], path: str) -> list[Change]:
    old_named, new_named = _named(before), _named(after)
    changes: list[Change] = []
    if old_named is not None and new_named is not None:
        for name in list(old_named) + [n for n in new_named if n not in old_named]:
            old = old_named.get(name, _MISSING)
            new = new_named.get(name, _MISSING)
            changes.extend(_pair(old, new, f"{path}[{name}]"))
        return changes
    for index in range(max(len(before), len(after))):
        old = before[index] if index < len(before) else _MISSING
        new = after[index] if index < len(after) else _MISSING
        changes.extend(_pair(old, new, f"{path}[{index}]"))
    return changes


def render_changes(changes: list[Change], limit: int = 20) -> list[str]:
    """The first ``limit`` changes as lines, and how many more there are."""
    lines = [change.render() for change in changes[:limit]]
    if len(changes) > limit:
        lines.append(f"... and {len(changes) - limit} more change(s)")
    return lines

"""Memory search filters as SQL: the same matches as Python's ``metadata[key] == value``.

Pure: a filter in, a WHERE fragment and its parameters out, or None when the
filter cannot be said exactly in SQL (a list or dict value, a key the JSON
path cannot quote, a non-finite number); the caller then ranks with numpy.

Python's equality is the contract (``agentkit.memory``'s reference): a string
equals only a string; ``None`` only JSON null; numbers compare by value
(``1 == 1.0``) and booleans as 0 and 1 (``True == 1``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["postgres_filter", "sqlite_filter"]

Fragment = tuple[str, list[Any]]


def _simple(filter: Mapping[Any, Any]) -> bool:
    for key, value in filter.items():
        if not isinstance(key, str):
            return False
        if value is not None and not isinstance(value, str | int | float):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
    return True


def sqlite_filter(filter: Mapping[Any, Any] | None) -> Fragment | None:
    """``AND ...`` over SQLite's JSON functions (positional ``?`` parameters)."""
    if not filter:
        return "", []
    if not _simple(filter) or any('"' in key or "\\" in key for key in filter):
        return None
    clauses: list[str] = []
    params: list[Any] = []
    for key, value in filter.items():
        path = f'$."{key}"'
        if value is None:
            clauses.append("json_type(metadata, ?) = 'null'")
            params.append(path)
        elif isinstance(value, str):
            clauses.append("json_type(metadata, ?) = 'text' AND json_extract(metadata, ?) = ?")
            params += [path, path, value]
        else:  # a number or a bool: SQLite's json_extract gives true as 1, false as 0
            clauses.append(
                "json_type(metadata, ?) IN ('integer', 'real', 'true', 'false') "
                "AND json_extract(metadata, ?) = ?"
            )
            params += [path, path, int(value) if isinstance(value, bool) else value]
    return "".join(f" AND ({clause})" for clause in clauses), params


def postgres_filter(filter: Mapping[Any, Any] | None) -> tuple[str, dict[str, Any]] | None:
    """``AND ...`` over ``metadata::jsonb`` (named ``:f<n>`` parameters)."""
    if not filter:
        return "", {}
    if not _simple(filter):
        return None
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for n, (key, value) in enumerate(filter.items()):
        k, v = f"fk{n}", f"fv{n}"
        params[k] = key
        field = f"(CAST(metadata AS jsonb) -> :{k})"
        kind = f"jsonb_typeof{field}"
        if value is None:
            clauses.append(f"{kind} = 'null'")
        elif isinstance(value, str):
            clauses.append(f"{kind} = 'string' AND (CAST(metadata AS jsonb) ->> :{k}) = :{v}")
            params[v] = value
        else:
            number = int(value) if isinstance(value, bool) else value
            params[v] = repr(number)  # exact: numeric compares decimal text by value
            either = [
                f"({kind} = 'number' AND CAST(CAST(metadata AS jsonb) ->> :{k} AS numeric) "
                f"= CAST(:{v} AS numeric))"
            ]
            if number in (0, 1):  # Python: True == 1, False == 0
                literal = "true" if number else "false"
                either.append(f"({kind} = 'boolean' AND {field} = '{literal}')")
            clauses.append(" OR ".join(either))
    return "".join(f" AND ({clause})" for clause in clauses), params

"""Typed shared state: field patches, journaled with tool results, and branch isolation.

A tool that declares a parameter of the state type works on a copy of the
state. When its body returns, the top-level fields it changed (a *field
diff*, ``{field: new value as JSON}``) are the step's *patch*, journaled with
its result; the patched state is validated inside the step, so a tool that
would leave an invalid state fails like a tool that raised (the model is
told) and the state is left as it was. After the step, live or replayed, the
patch is applied to the state object, so a memoized tool leaves exactly the
state a live one did, in journal order.

Agents a router runs concurrently each work on a *fork* of the state (the
state as it was when they started, plus their own patches), so what one of
them reads never depends on how the event loop interleaved them. When they
are done, the forks are merged back in the router's list order. Two of them
patching the same field is a `StateConflictError` at the second write: never
a silent lost update.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from agentkit.errors import AgentkitError, NonRetriableError

__all__ = [
    "BranchWrites",
    "StateConflictError",
    "StatePatch",
    "StateValidationError",
    "apply_patch",
    "diff_state",
    "enter_branch",
    "fork_state",
    "merge_forks",
    "patched_state",
]

StatePatch = dict[str, Any]
"""A field diff: the top-level fields a tool changed, with their new values as JSON."""


class StateValidationError(NonRetriableError):
    """A tool left the state in a form its model refuses; the patch was not applied."""

    def __init__(self, owner: str, state_type: type[BaseModel], problems: str) -> None:
        super().__init__(
            f"{owner} left the state {state_type.__name__} invalid, so its change was "
            f"not applied: {problems}"
        )
        self.owner = owner
        self.problems = problems


class StateConflictError(AgentkitError):
    """Two agents running concurrently wrote the same state field.

    Attributes:
        field: The state field.
        first: The agent that wrote it first.
        second: The agent whose write was refused.
    """

    def __init__(self, field_name: str, first: str, second: str) -> None:
        super().__init__(
            f"agents {first!r} and {second!r} ran concurrently and both wrote state field "
            f"{field_name!r}; give each concurrent agent its own fields, or run them one "
            "after the other"
        )
        self.field = field_name
        self.first = first
        self.second = second


def _dump(state: BaseModel) -> dict[str, Any]:
    return state.model_dump(mode="json")


def diff_state(before: BaseModel | dict[str, Any], after: BaseModel) -> StatePatch:
    """The fields of ``after`` whose JSON value differs from ``before``'s."""
    old = before if isinstance(before, dict) else _dump(before)
    new = _dump(after)
    return {name: value for name, value in new.items() if old.get(name) != value}


def patched_state(state: BaseModel, patch: StatePatch, owner: str) -> BaseModel:
    """A new, validated state: ``state`` with ``patch`` applied.

    Raises:
        StateValidationError: the patched state does not validate.
    """
    try:
        return type(state).model_validate({**_dump(state), **patch})
    except ValidationError as exc:
        raise StateValidationError(owner, type(state), _problems(exc)) from exc


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'state'}: {error['msg']}"
        for error in exc.errors()
    )


def apply_patch(state: BaseModel, patch: StatePatch, owner: str) -> None:
    """Apply ``patch`` to ``state`` in place (validated), recording the write for conflicts.

    Raises:
        StateConflictError: a concurrent agent already wrote one of these fields.
        StateValidationError: the patched state does not validate.
    """
    if not patch:
        return
    writes = _branch.get()
    if writes is not None and writes.state is state:
        writes.record(patch)
    restored = patched_state(state, patch, owner)
    for name in patch:
        setattr(state, name, getattr(restored, name))


@dataclass
class _Group:
    """The fields written by each branch of one concurrent group."""

    written: dict[str, tuple[int, str]] = field(default_factory=dict)


@dataclass
class BranchWrites:
    """One concurrent agent's fork of the state, and the group it belongs to."""

    index: int
    name: str
    state: BaseModel
    group: _Group

    def record(self, patch: StatePatch) -> None:
        """Note that this branch wrote ``patch``'s fields.

        Raises:
            StateConflictError: another branch of the group wrote one of them.
        """
        for name in patch:
            index, first = self.group.written.setdefault(name, (self.index, self.name))
            if index != self.index:
                raise StateConflictError(name, first, self.name)


_branch: contextvars.ContextVar[BranchWrites | None] = contextvars.ContextVar(
    "agentkit_state_branch", default=None
)


def fork_state(state: BaseModel, names: list[str]) -> list[BranchWrites]:
    """One fork of ``state`` per concurrent agent, sharing one conflict group."""
    group = _Group()
    return [
        BranchWrites(index, name, state.model_copy(deep=True), group)
        for index, name in enumerate(names)
    ]


def enter_branch(branch: BranchWrites) -> None:
    """Mark the current task as running ``branch`` (call it inside the branch's task)."""
    _branch.set(branch)


def merge_forks(state: BaseModel, base: dict[str, Any], forks: list[BranchWrites]) -> None:
    """Apply each fork's changes since ``base`` to ``state``, in list order."""
    for fork in forks:
        patch = diff_state(base, fork.state)
        if patch:
            restored = patched_state(state, patch, f"agent {fork.name!r}")
            for name in patch:
                setattr(state, name, getattr(restored, name))

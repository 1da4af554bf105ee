"""The branches of one execution, so that replay can tell "not yet" from "never".

When the code asks for a step the journal does not have while journaled steps
remain unreplayed, the answer depends on the other branches (tasks of an
``asyncio.gather`` or ``TaskGroup``): one of them may still be on its way to
the journaled step, after an ``asyncio.sleep`` or an ``asyncio.to_thread`` of
pure code. Counting event-loop rounds would make that verdict depend on
timing. The rule instead:

    a new step waits until every other branch of the execution has finished,
    suspended, or is itself waiting to run a new step; then the journal decides.

Once every branch is at rest, no further journaled step can be asked for
without a new step running first, so the verdict no longer depends on the
schedule. A task counts as a branch when it was created, directly or not, by
the run's function; a task that is awaiting a branch it created (``gather``,
``TaskGroup``, ``wait_for``) is represented by that branch. A task the function
starts and never awaits (a background ticker) therefore holds new steps back
while journaled steps remain unreplayed; once the journal is fully replayed,
nothing waits.

Tasks are discovered through a task factory on the running loop, which chains
to any factory already installed, and adopts a task only when it is created in
the context of an execution.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["Branches", "all_at_rest"]

_current: contextvars.ContextVar[Branches | None] = contextvars.ContextVar(
    "agentkit_branches", default=None
)

_Factory = Callable[..., "asyncio.Future[Any]"]


def all_at_rest(states: list[tuple[bool, bool, bool]]) -> bool:
    """Whether no other branch can still ask for a journaled step.

    Pure: each state is ``(done, parked, awaiting_own_branch)`` of one other
    branch. A branch at rest has finished (or suspended, which ends its task),
    is parked before a new step, or is waiting on a branch it started.
    """
    return all(done or parked or awaiting for done, parked, awaiting in states)


class Branches:
    """The tasks of one execution, and which of them are parked before a new step."""

    def __init__(self) -> None:
        self._parent: dict[asyncio.Task[Any], asyncio.Task[Any] | None] = {}
        self._children: dict[asyncio.Task[Any], set[asyncio.Task[Any]]] = {}
        self._parked: set[asyncio.Task[Any]] = set()
        self._changed = asyncio.Event()

    # -- discovery -------------------------------------------------------------

    def start(
        self, coro: Coroutine[Any, Any, Any], *, name: str | None = None
    ) -> asyncio.Task[Any]:
        """Create the execution's main task; every task it creates is adopted."""
        loop = asyncio.get_running_loop()
        _install_factory(loop)
        context = contextvars.copy_context()
        context.run(_current.set, self)
        task = loop.create_task(coro, name=name, context=context)
        return task

    def adopt(self, task: asyncio.Task[Any], parent: asyncio.Task[Any] | None) -> None:
        """Track ``task``, created by ``parent`` (None for the main task)."""
        known_parent = parent if parent in self._parent else None
        self._parent[task] = known_parent
        if known_parent is not None:
            self._children.setdefault(known_parent, set()).add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._parked.discard(task)
        self.changed()

    def creation_rank(self, task: asyncio.Task[Any] | None) -> int:
        """The order in which ``task`` was created among the execution's tasks.

        Deterministic for deterministic code: ``gather`` and ``TaskGroup`` create
        their tasks in program order. Unknown tasks rank last.
        """
        for rank, known in enumerate(self._parent):
            if known is task:
                return rank
        return len(self._parent)

    # -- the rule --------------------------------------------------------------

    def changed(self) -> None:
        """Something a waiting new step depends on happened: look again."""
        self._changed.set()

    def _awaiting_own_branch(self, task: asyncio.Task[Any]) -> bool:
        return any(not child.done() for child in self._children.get(task, ()))

    def others_at_rest(self, current: asyncio.Task[Any] | None) -> bool:
        """Whether every branch other than ``current`` is at rest (see module doc)."""
        states = [
            (task.done(), task in self._parked, self._awaiting_own_branch(task))
            for task in self._parent
            if task is not current
        ]
        return all_at_rest(states)

    async def wait_until_decidable(self, decided: Callable[[], bool]) -> None:
        """Park the current task until ``decided()`` or every other branch is at rest.

        ``decided`` says the question went away without a verdict (the journal
        has been replayed completely by other branches).
        """
        current = asyncio.current_task()
        if current is not None:
            self._parked.add(current)
            self.changed()
        try:
            while not decided() and not self.others_at_rest(current):
                self._changed.clear()
                await self._changed.wait()
        finally:
            if current is not None:
                self._parked.discard(current)


def _adopting_factory(previous: _Factory | None) -> _Factory:
    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Future[Any]:
        if previous is not None:
            task = previous(loop, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=loop, **kwargs)
        context = kwargs.get("context")
        branches = context.get(_current) if context is not None else _current.get()
        if branches is not None and isinstance(task, asyncio.Task):
            branches.adopt(task, asyncio.current_task(loop))
        return task

    factory._agentkit_adopting = True  # type: ignore[attr-defined]  # marks ours, see below
    return factory


def _install_factory(loop: asyncio.AbstractEventLoop) -> None:
    """Install the adopting task factory on ``loop`` once, over any existing one."""
    previous = loop.get_task_factory()
    if previous is not None and getattr(previous, "_agentkit_adopting", False):
        return
    loop.set_task_factory(_adopting_factory(previous))

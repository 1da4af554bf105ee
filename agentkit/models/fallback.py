"""``FallbackModel``: a chain of models tried in order."""

from __future__ import annotations

from collections.abc import Sequence

from agentkit.models._base import Model
from agentkit.models._errors import ModelError
from agentkit.models._exchange import EventCallback, RawExchange
from agentkit.models._types import ModelRequest, Usage
from agentkit.retry import RetryPolicy

__all__ = ["FallbackModel"]

_NO_RETRY = RetryPolicy(max_attempts=1)


class FallbackModel(Model):
    """Try ``primary``, then each fallback, as :func:`complete` decides.

    A `Model` like any other: an agent, ``ctx.step.infer``, ``request()`` and
    ``stream()`` take it where they take one model. `complete()` runs each member
    under the member's own rate limit and retry policy, and leaves it for the
    next only after a *retryable* failure that outlasted those retries (429,
    5xx, 529, timeouts, connection errors, cut streams). Caller errors (400,
    401, 403, 404) stop the chain at once, except a context-length error, which
    moves on to the first later model whose ``context_window`` is larger.

    A chain given as a member is flattened into this one.

    Attributes:
        models: The chain, primary first.
    """

    provider = "fallback"

    def __init__(self, primary: Model, *fallbacks: Model) -> None:
        members: list[Model] = []
        for model in (primary, *fallbacks):
            if not isinstance(model, Model):
                raise TypeError(f"FallbackModel takes Model instances, got {type(model).__name__}")
            members.extend(model.chain)
        # The chain's own retry policy and limiter are unused: complete()
        # applies each member's.
        super().__init__(primary.model_name, retry=_NO_RETRY)
        self.models: tuple[Model, ...] = tuple(members)

    @property
    def chain(self) -> Sequence[Model]:
        """The members, primary first."""
        return self.models

    async def call(
        self, request: ModelRequest, *, on_event: EventCallback | None = None
    ) -> RawExchange:
        """One call of each member in turn, without retries, until one answers.

        `complete()` (hence ``request()``, ``stream()`` and ``ctx.step.infer``)
        does not use this: it calls the members itself, with their retries.
        """
        last: ModelError | None = None
        for model in self.models:
            try:
                return await model.call(request, on_event=on_event)
            except ModelError as error:
                if not error.retryable:
                    raise
                last = error
        assert last is not None  # the chain is never empty
        raise last

    def cost(self, usage: Usage, answered_by: str) -> float | None:
        """The cost as the member whose model answered prices it (else the primary)."""
        for model in self.models:
            if model.model_name == answered_by:
                return model.cost(usage, answered_by)
        return self.models[0].cost(usage, answered_by)

    def known_context_window(self) -> int | None:
        """The largest window among the members (None when none is known)."""
        windows = [w for w in (m.known_context_window() for m in self.models) if w is not None]
        return max(windows) if windows else None

    def estimate_tokens(self, request: ModelRequest) -> int:
        """The primary's estimate."""
        return self.models[0].estimate_tokens(request)

    def __repr__(self) -> str:
        chain = ", ".join(repr(model) for model in self.models)
        return f"FallbackModel({chain})"

"""``FallbackModel``: a chain of models tried in order."""

from __future__ import annotations

from agentkit.models._base import Completable, Model

__all__ = ["FallbackModel"]


class FallbackModel(Completable):
    """Try ``primary``, then each fallback, as :func:`complete` decides.

    A model is left for the next one only after a *retryable* failure that
    outlasted its own retry policy (429, 5xx, 529, timeouts, connection errors,
    cut streams). Caller errors (400, 401, 403, 404) stop the chain at once,
    except a context-length error, which moves on to the first later model
    whose ``context_window`` is larger.

    Attributes:
        models: The chain, primary first.
    """

    provider = "fallback"

    def __init__(self, primary: Model, *fallbacks: Model) -> None:
        self.models: tuple[Model, ...] = (primary, *fallbacks)

    @property
    def model_name(self) -> str:
        """The primary model's name."""
        return self.models[0].model_name

    def __repr__(self) -> str:
        chain = ", ".join(repr(model) for model in self.models)
        return f"FallbackModel({chain})"

"""USD cost and context windows: a model's own `Price`, or the public price list.

The public list is `genai-prices <https://pypi.org/project/genai-prices/>`_
(maintained by Pydantic, a core dependency), so a cost never depends on which
provider extra is installed. It is imported on the first lookup, not by
``import agentkit``. Unknown models cost ``None``, never a guess.

Which model is priced is the adapter's business (see ``Model.cost``): the
model the provider reports it answered with, and never a model served from a
custom ``base_url`` unless that model was given a `Price`.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentkit.models._types import Usage

__all__ = ["Price", "context_window_for", "cost_usd"]

# agentkit provider name -> genai-prices provider id. Others ("scripted", a
# registered parser's provider) are matched by the model name alone.
_PROVIDER_IDS = {"openai": "openai", "anthropic": "anthropic", "litellm": "litellm"}


class Price(BaseModel):
    """What a model costs, in USD per million tokens.

    Give one to a model whose price the public list does not know, or must not
    apply (a self-hosted server, a negotiated rate)::

        OpenAIModel("llama-3.1-8b", base_url="http://127.0.0.1:8080/v1",
                    price=Price(input_per_mtok=0.05, output_per_mtok=0.10))

    Attributes:
        input_per_mtok: Prompt tokens.
        output_per_mtok: Completion tokens.
        cached_input_per_mtok: Prompt tokens read from the provider's cache
            (default: the input price).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(default=None, ge=0)

    def cost(self, usage: Usage) -> float:
        """The USD cost of ``usage``."""
        cached_rate = (
            self.input_per_mtok
            if self.cached_input_per_mtok is None
            else self.cached_input_per_mtok
        )
        uncached = max(usage.input_tokens - usage.cached_tokens, 0)
        return (
            uncached * self.input_per_mtok
            + usage.cached_tokens * cached_rate
            + usage.output_tokens * self.output_per_mtok
        ) / 1_000_000


def _candidates(model: str, provider: str | None) -> list[tuple[str, str | None]]:
    provider_id = _PROVIDER_IDS.get(provider or "")
    names = [(model, provider_id)]
    if "/" in model and provider_id is None:
        prefix, bare = model.split("/", 1)  # "openai/gpt-4o": LiteLLM's spelling
        names.append((bare, _PROVIDER_IDS.get(prefix)))
    return names


@functools.lru_cache(maxsize=2048)
def _listed(model: str, provider_id: str | None) -> Any:
    """The genai-prices ``ModelInfo`` of ``model``, or None. Misses are cached too."""
    import genai_prices  # ~60 ms on first use; not paid by ``import agentkit``

    try:
        found = genai_prices.calc_price(genai_prices.Usage(), model, provider_id=provider_id)
    except LookupError:
        return None
    return found.model


def cost_usd(usage: Usage, *models: str, provider: str | None = None) -> float | None:
    """Cost of ``usage`` for the first of ``models`` the public price list knows.

    Cached input tokens are priced at the cache-read rate when the list has one.

    Args:
        usage: The tokens of one call.
        *models: Model names to try in order.
        provider: ``"openai"``, ``"anthropic"`` or ``"litellm"`` narrows the
            lookup to that provider's list; anything else matches by name.
    """
    import genai_prices

    for model in models:
        for name, provider_id in _candidates(model, provider):
            if _listed(name, provider_id) is None:
                continue
            calculation = genai_prices.calc_price(
                genai_prices.Usage(
                    input_tokens=usage.input_tokens,
                    cache_read_tokens=usage.cached_tokens,
                    output_tokens=usage.output_tokens,
                ),
                name,
                provider_id=provider_id,
            )
            return float(calculation.total_price)
    return None


def context_window_for(model: str, provider: str | None = None) -> int | None:
    """The model's maximum input tokens from the public list, if it says."""
    for name, provider_id in _candidates(model, provider):
        info = _listed(name, provider_id)
        if info is not None:
            window = info.context_window
            return window if isinstance(window, int) else None
    return None

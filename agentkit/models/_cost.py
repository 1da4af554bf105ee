"""USD cost and context windows from LiteLLM's model price map.

The map is the JSON file LiteLLM ships (``model_prices_and_context_window_backup.json``).
It is located with ``importlib.util.find_spec``, which finds the installed
package without running it: ``importlib.resources.files("litellm")`` would
import LiteLLM, which takes seconds and tries to fetch the map over the network.
Unknown models cost ``None``, never a guess.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Any

from agentkit.models._types import Usage

__all__ = ["context_window_for", "cost_usd", "price_entry"]

_PRICE_FILE = "model_prices_and_context_window_backup.json"


@functools.cache
def _price_map() -> dict[str, dict[str, Any]]:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    for location in spec.submodule_search_locations:
        path = Path(location) / _PRICE_FILE
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            return {key: value for key, value in data.items() if isinstance(value, dict)}
    return {}


def _candidates(model: str, provider: str | None) -> list[str]:
    names = [model]
    if "/" in model:
        names.append(model.split("/", 1)[1])  # "openai/gpt-4o" -> "gpt-4o"
    if provider:
        names.append(f"{provider}/{model}")
    return names


def price_entry(model: str, provider: str | None = None) -> dict[str, Any] | None:
    """The price-map entry for ``model``, or ``None`` when the map does not know it."""
    prices = _price_map()
    for name in _candidates(model, provider):
        if name != "sample_spec" and name in prices:
            return prices[name]
    return None


def _number(entry: dict[str, Any], key: str) -> float | None:
    value = entry.get(key)
    return float(value) if isinstance(value, int | float) else None


def cost_usd(usage: Usage, *models: str, provider: str | None = None) -> float | None:
    """Cost of ``usage`` for the first of ``models`` the price map knows.

    Cached input tokens are priced at the cache-read rate when the map has one.
    """
    for model in models:
        entry = price_entry(model, provider)
        if entry is None:
            continue
        input_price = _number(entry, "input_cost_per_token")
        output_price = _number(entry, "output_cost_per_token")
        if input_price is None or output_price is None:
            return None
        cached_price = _number(entry, "cache_read_input_token_cost")
        if cached_price is None:
            cached_price = input_price
        uncached = max(usage.input_tokens - usage.cached_tokens, 0)
        return (
            uncached * input_price
            + usage.cached_tokens * cached_price
            + usage.output_tokens * output_price
        )
    return None


def context_window_for(model: str, provider: str | None = None) -> int | None:
    """The model's maximum input tokens from the price map, if it says."""
    entry = price_entry(model, provider)
    if entry is None:
        return None
    value = entry.get("max_input_tokens")
    return value if isinstance(value, int) else None

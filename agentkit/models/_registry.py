"""Offline re-parsing of stored exchanges, by provider name.

The engine re-parses journaled completions on replay with :func:`parse_raw`:
no client, no API key and no SDK is needed, only the pure parser of the
provider that made the call. Parsers are looked up by attribute at call time,
so a fixed (or monkeypatched) parser takes effect on the next replay.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from agentkit.models._exchange import RawExchange
from agentkit.models._types import ModelResponse

__all__ = ["parse_raw", "register_parser"]

Parser = Callable[[RawExchange], ModelResponse]

# provider -> (module, function name); LiteLLM replies are OpenAI-shaped.
_PARSERS: dict[str, tuple[str, str]] = {
    "openai": ("agentkit.models._openai_wire", "parse_openai_exchange"),
    "litellm": ("agentkit.models._openai_wire", "parse_openai_exchange"),
    "anthropic": ("agentkit.models._anthropic_wire", "parse_anthropic_exchange"),
    "scripted": ("agentkit.models.scripted", "parse_scripted_exchange"),
}


def register_parser(provider: str, module: str, function: str) -> None:
    """Make :func:`parse_raw` read exchanges of ``provider`` with ``module.function``."""
    _PARSERS[provider] = (module, function)


def parse_raw(raw: RawExchange) -> ModelResponse:
    """Parse a stored exchange with its provider's parser.

    Raises:
        ValueError: No parser is registered for ``raw.provider``.
    """
    try:
        module_name, function_name = _PARSERS[raw.provider]
    except KeyError:
        known = ", ".join(sorted(_PARSERS))
        raise ValueError(f"no parser for provider {raw.provider!r} (known: {known})") from None
    # sys.modules first: import_module costs ~10 µs a call, on every model call.
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    parser: Parser = getattr(module, function_name)
    return parser(raw)

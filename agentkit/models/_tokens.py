"""Token estimates for rate limiting, made before a call.

With ``tiktoken`` the prompt is counted with the model's encoding
(``tiktoken.encoding_name_for_model``; unknown models fall back to
``o200k_base``, then ``cl100k_base``). ``tiktoken`` downloads an encoding on
first use, so an encoding is used only when its file is already in tiktoken's
cache (``TIKTOKEN_CACHE_DIR``, ``DATA_GYM_CACHE_DIR`` or
``<tmp>/data-gym-cache``, as tiktoken resolves it); this module never causes a
network call. Otherwise the estimate is ``ceil(characters / 4)``, the usual
rule of thumb for English text with BPE tokenizers, which the reported usage
then corrects (``Permit.settle``).

To count exactly offline, point ``TIKTOKEN_CACHE_DIR`` at a directory holding
the encodings (LiteLLM ships ``o200k_base`` and ``cl100k_base`` in
``litellm/litellm_core_utils/tokenizers``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import tempfile
from typing import TYPE_CHECKING

from agentkit.models._types import (
    ModelRequest,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)

if TYPE_CHECKING:
    from tiktoken import Encoding

__all__ = ["CHARS_PER_TOKEN", "count_tokens", "estimate_request_tokens", "loaded_encoding"]

CHARS_PER_TOKEN = 4
_MESSAGE_OVERHEAD = 4  # role and separators per message, as chat formats add
_REPLY_PRIMING = 3

_BLOB_ROOT = "https://openaipublic.blob.core.windows.net/encodings/"
_ENCODINGS = ("o200k_base", "cl100k_base", "p50k_base", "r50k_base")
_FALLBACKS = ("o200k_base", "cl100k_base")


def _tiktoken_cache_dir() -> str | None:
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        directory = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        directory = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        directory = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    return directory or None  # "" disables tiktoken's cache: every load would download


def _cached_file(name: str, directory: str) -> str:
    key = hashlib.sha1(f"{_BLOB_ROOT}{name}.tiktoken".encode()).hexdigest()
    return os.path.join(directory, key)


@functools.cache
def _load(name: str, directory: str) -> Encoding | None:
    import tiktoken

    try:
        return tiktoken.get_encoding(name)
    except Exception:  # an unreadable cache file: count with the approximation instead
        return None


def loaded_encoding(model: str) -> Encoding | None:
    """The tiktoken encoding for ``model`` if it can be had without the network."""
    try:
        import tiktoken
    except ImportError:
        return None
    directory = _tiktoken_cache_dir()
    if directory is None:
        return None
    names: list[str] = []
    for candidate in (model, model.split("/", 1)[-1]):
        try:
            names.append(tiktoken.encoding_name_for_model(candidate))
        except KeyError:
            continue
    for name in dict.fromkeys([*names, *_FALLBACKS]):
        if name in _ENCODINGS and os.path.isfile(_cached_file(name, directory)):
            encoding = _load(name, directory)
            if encoding is not None:
                return encoding
    return None


def count_tokens(model: str, text: str) -> int:
    """Tokens in ``text`` for ``model``: exact with a cached encoding, else chars / 4."""
    encoding = loaded_encoding(model)
    if encoding is None:
        return math.ceil(len(text) / CHARS_PER_TOKEN)
    return len(encoding.encode(text, disallowed_special=()))


def _request_text(request: ModelRequest) -> str:
    pieces: list[str] = []
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, TextPart | ThinkingPart):
                pieces.append(part.text)
            elif isinstance(part, ToolCallPart):
                pieces.append(part.name)
                pieces.append(part.raw_arguments)
            elif isinstance(part, ToolResultPart):
                pieces.append(part.content)
    for tool in request.tools:
        pieces.append(tool.name)
        pieces.append(tool.description)
        pieces.append(json.dumps(tool.parameters))
    if request.output_schema is not None:
        pieces.append(json.dumps(request.output_schema))
    return "\n".join(pieces)


def estimate_request_tokens(
    model: str, request: ModelRequest, *, default_max_tokens: int | None = None
) -> int:
    """Prompt tokens (estimated) plus the output cap (``max_tokens``, else the model's default)."""
    prompt = count_tokens(model, _request_text(request))
    prompt += _MESSAGE_OVERHEAD * len(request.messages) + _REPLY_PRIMING
    output = request.max_tokens if request.max_tokens is not None else default_max_tokens or 0
    return prompt + output

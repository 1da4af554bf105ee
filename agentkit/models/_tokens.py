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
``litellm/litellm_core_utils/tokenizers``). Counts that must be exact, such as
a context window's (`count_message_tokens`, used by ``agentkit.memory``), also
look in that LiteLLM folder when the ``litellm`` extra is installed; it is found
without importing LiteLLM.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
import os
import tempfile
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentkit.models._types import (
    Message,
    ModelRequest,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)

if TYPE_CHECKING:
    from tiktoken import Encoding

__all__ = [
    "CHARS_PER_TOKEN",
    "count_message_tokens",
    "count_tokens",
    "estimate_request_tokens",
    "loaded_encoding",
]

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
def _bundled_dir() -> str | None:
    """LiteLLM's folder of tiktoken files (named as tiktoken's cache names them), if installed."""
    try:
        spec = importlib.util.find_spec("litellm")  # finds the package without importing it
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = os.path.join(
        next(iter(spec.submodule_search_locations)), "litellm_core_utils", "tokenizers"
    )
    return folder if os.path.isdir(folder) else None


_CACHE_ENV_LOCK = threading.Lock()


@functools.cache
def _load(name: str, directory: str) -> Encoding | None:
    import tiktoken

    # tiktoken reads its cache folder from the environment; the file is known to
    # be in ``directory``, so pointing it there for this one load needs no network.
    with _CACHE_ENV_LOCK:
        saved = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = directory
        try:
            return tiktoken.get_encoding(name)
        except Exception:  # an unreadable cache file: count with the approximation instead
            return None
        finally:
            if saved is None:
                del os.environ["TIKTOKEN_CACHE_DIR"]
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = saved


def loaded_encoding(model: str, *, bundled: bool = False) -> Encoding | None:
    """The tiktoken encoding for ``model`` if it can be had without the network.

    With ``bundled``, the encoding files LiteLLM ships are used too.
    """
    try:
        import tiktoken
    except ImportError:
        return None
    folders = [_tiktoken_cache_dir(), _bundled_dir() if bundled else None]
    directories = [d for d in folders if d]
    if not directories:
        return None
    names: list[str] = []
    for candidate in (model, model.split("/", 1)[-1]):
        try:
            names.append(tiktoken.encoding_name_for_model(candidate))
        except KeyError:
            continue
    for name in dict.fromkeys([*names, *_FALLBACKS]):
        for directory in directories:
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


def _message_pieces(message: Message) -> list[str]:
    pieces: list[str] = []
    for part in message.parts:
        if isinstance(part, TextPart | ThinkingPart):
            pieces.append(part.text)
        elif isinstance(part, ToolCallPart):
            pieces.append(part.name)
            pieces.append(part.raw_arguments)
        elif isinstance(part, ToolResultPart):
            pieces.append(part.content)
    return pieces


def message_text(message: Message) -> str:
    """What of a message is counted: its texts, tool names, arguments and results."""
    return "\n".join(_message_pieces(message))


def count_message_tokens(model: str, messages: Sequence[Message]) -> list[int]:
    """Tokens of each message for ``model``: its text (`message_text`) plus 4 for its framing.

    Exact with tiktoken for OpenAI models (their own encoding), from tiktoken's
    cache or the files LiteLLM ships; for other models (Anthropic, Gemini,
    open models) the ``o200k_base`` count is an estimate; with no encoding at
    hand it is characters / 4.
    """
    encoding = loaded_encoding(model, bundled=True)
    counts: list[int] = []
    for message in messages:
        text = message_text(message)
        if encoding is None:
            tokens = math.ceil(len(text) / CHARS_PER_TOKEN)
        else:
            tokens = len(encoding.encode(text, disallowed_special=()))
        counts.append(tokens + _MESSAGE_OVERHEAD)
    return counts


def _request_text(request: ModelRequest) -> str:
    pieces: list[str] = []
    for message in request.messages:
        pieces.extend(_message_pieces(message))
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

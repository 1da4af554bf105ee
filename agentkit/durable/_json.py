"""JSON text of stored model exchanges: orjson where it can, the standard library otherwise.

Every model call stores its request, response and headers as JSON and reads
them back to parse the reply: four encodings and three decodings per call, a
visible share of a run's CPU with thousands of runs (``bench/scale.py``).
orjson does each in a tenth of the time. The text is compact rather than
``json.dumps``' spaced form; readers only ever parse it. What orjson refuses
(integers beyond 64 bits, ``NaN`` read back from text the standard library
wrote) takes the standard library's path, so nothing that encoded before fails
now. Fingerprints keep their own canonical encoding (`_serde.fingerprint`).
"""

from __future__ import annotations

import json
from typing import Any

_orjson: Any = None  # the module, imported by the first call: not on `import agentkit`


def _fast() -> Any:
    """orjson, or False when it is not installed (kept optional for vendored installs)."""
    global _orjson
    if _orjson is None:
        try:
            import orjson
        except ImportError:  # pragma: no cover - a core dependency
            _orjson = False
        else:
            _orjson = orjson
    return _orjson


def dumps(value: Any) -> str:
    """``value`` as JSON text."""
    orjson = _fast()
    if orjson:
        try:
            text: str = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
            return text
        except TypeError:  # orjson.JSONEncodeError: e.g. an int beyond 64 bits
            pass
    return json.dumps(value)


def loads(text: str) -> Any:
    """The value of JSON ``text``."""
    orjson = _fast()
    if orjson:
        try:
            return orjson.loads(text)
        except ValueError:  # orjson.JSONDecodeError: e.g. NaN, which json.dumps writes
            pass
    return json.loads(text)

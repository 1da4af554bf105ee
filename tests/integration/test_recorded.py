"""The recordings under ``recorded/`` are what the live server answers today.

Provider tests use these llama.cpp envelopes as fixtures (a context overflow,
the 500 for malformed past arguments, a tool call cut off at ``max_tokens``,
a streamed tool call). Each is re-sent here, and the answer must be the
recorded one, but for what changes on every call (ids, timestamps, timings).
A difference means llama.cpp (the pinned ``xllamacpp``) or the template
changed: re-record with ``python -m tests.integration.recorded_exchanges``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.harness import LARGE_CONTEXT
from tests.integration.recorded_exchanges import RECORDINGS, Recording, send

# Generous: the first test of a session also waits for the servers to load.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

_PER_CALL = {"id", "created", "timings", "system_fingerprint"}


def _stable(value: Any) -> Any:
    """``value`` without the fields that differ on every call."""
    if isinstance(value, dict):
        return {key: _stable(item) for key, item in value.items() if key not in _PER_CALL}
    if isinstance(value, list):
        return [_stable(item) for item in value]
    return value


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda recording: recording.name)
def test_live_server_answers_as_recorded(
    recording: Recording, llama_url: str, small_llama_url: str
) -> None:
    recorded = recording.load()
    assert recorded["request"]["body"] == recording.body  # the file matches its definition
    url = llama_url if recording.context == LARGE_CONTEXT else small_llama_url
    assert _stable(send(url, recording.body)) == _stable(recorded["response"])

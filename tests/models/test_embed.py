"""Embedders: OpenAI's /embeddings and LiteLLM's, faked with respx; the offline HashEmbedder.

No recorded embeddings payload exists in tests/fixtures, so the replies are
built from the OpenAI SDK's own response type (``CreateEmbeddingResponse``,
the documented shape of ``POST /v1/embeddings``) and dumped to JSON.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from openai.types import CreateEmbeddingResponse

from agentkit import ConfigError
from agentkit.models import (
    BadRequest,
    EmbeddingRequest,
    HashEmbedder,
    LiteLLMEmbedder,
    OpenAIEmbedder,
    RateLimited,
    RetryPolicy,
)

from .conftest import OPENAI_KEY, sent_json

NO_WAIT = RetryPolicy(max_attempts=3, initial_backoff=0, max_backoff=0, jitter=0)


def embeddings_reply(
    vectors: list[list[float]], model: str = "text-embedding-3-small"
) -> dict[str, Any]:
    response = CreateEmbeddingResponse.model_validate(
        {
            "object": "list",
            # Out of order on purpose: clients must sort by index.
            "data": [
                {"object": "embedding", "index": i, "embedding": v}
                for i, v in reversed(list(enumerate(vectors)))
            ],
            "model": model,
            "usage": {"prompt_tokens": 7, "total_tokens": 7},
        }
    )
    return response.model_dump(mode="json")


async def test_openai_embeddings(openai_router: respx.MockRouter) -> None:
    route = openai_router.post("/embeddings").mock(
        return_value=httpx.Response(200, json=embeddings_reply([[0.1, 0.2], [0.3, 0.4]]))
    )
    embedder = OpenAIEmbedder(api_key=OPENAI_KEY, dimensions=2)
    assert await embedder.embed(["a", "b"]) == [[0.1, 0.2], [0.3, 0.4]]
    assert sent_json(route) == {
        "model": "text-embedding-3-small",
        "input": ["a", "b"],
        "encoding_format": "float",
        "dimensions": 2,
    }
    exchange = await embedder.call(["a", "b"])
    assert embedder.parse(exchange).usage.input_tokens == 7
    assert OPENAI_KEY not in exchange.model_dump_json()


async def test_openai_embeddings_retry_429_and_stop_on_400(openai_router: respx.MockRouter) -> None:
    route = openai_router.post("/embeddings").mock(
        side_effect=[
            httpx.Response(429, json={"error": {"message": "slow down", "type": "rate_limit"}}),
            httpx.Response(200, json=embeddings_reply([[1.0, 0.0]])),
        ]
    )
    embedder = OpenAIEmbedder(api_key=OPENAI_KEY, retry=NO_WAIT)
    assert await embedder.embed(["x"]) == [[1.0, 0.0]]
    assert route.call_count == 2
    openai_router.post("/embeddings").mock(
        return_value=httpx.Response(400, json={"error": {"message": "bad input", "type": "x"}})
    )
    with pytest.raises(BadRequest, match="bad input"):
        await embedder.embed(["x"])
    attempts = []

    async def seen(attempt: object) -> None:
        attempts.append(attempt)

    openai_router.post("/embeddings").mock(
        return_value=httpx.Response(429, json={"error": {"message": "no", "type": "rate_limit"}})
    )
    with pytest.raises(RateLimited):
        await embedder.call_recorded(
            EmbeddingRequest(texts=["x"]),
            on_attempt=seen,
            on_event=None,
            sleep=_no_sleep,
            clock=lambda: 0.0,
        )
    assert len(attempts) == 3  # every failed attempt is reported, to be stored


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
async def test_litellm_embeddings(openai_router: respx.MockRouter) -> None:
    pytest.importorskip("litellm")
    route = openai_router.post("/embeddings").mock(
        return_value=httpx.Response(200, json=embeddings_reply([[0.5, 0.5]]))
    )
    embedder = LiteLLMEmbedder("openai/text-embedding-3-small", api_key=OPENAI_KEY)
    assert await embedder.embed(["hello"]) == [[0.5, 0.5]]
    assert sent_json(route)["input"] == ["hello"]
    exchange = await embedder.call(["hello"])
    assert OPENAI_KEY not in exchange.model_dump_json()


async def test_hash_embedder_is_deterministic_and_normalized() -> None:
    embedder = HashEmbedder(64)
    first, second, other = await embedder.embed(["Ada likes green", "ada LIKES green", "tea"])
    assert first == second
    assert len(first) == 64
    assert sum(x * x for x in first) == pytest.approx(1.0)
    assert first != other
    with pytest.raises(ConfigError, match="embed\\(\\) takes a list of strings"):
        await embedder.embed("one string")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="HashEmbedder dimensions must be an int >= 8"):
        HashEmbedder(2)

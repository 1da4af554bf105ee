"""Model calls: canonical types, provider adapters, retries, failover, rate limits.

The engine drives every call through :func:`complete`; stored exchanges are
re-parsed offline with :func:`parse_raw`. Importing this package does not
import ``openai``, ``anthropic`` or ``litellm``: each adapter imports its SDK on
first use.
"""

from agentkit.models._base import Model
from agentkit.models._complete import Attempt, complete
from agentkit.models._cost import Price, context_window_for, cost_usd
from agentkit.models._embed import Embedder, EmbeddingRequest, Embeddings, HashEmbedder
from agentkit.models._errors import (
    AuthenticationFailed,
    BadRequest,
    ContextLengthExceeded,
    ModelConfigError,
    ModelConnectionError,
    ModelError,
    ModelNotFound,
    ModelTimeout,
    ProviderOverloaded,
    ProviderServerError,
    RateLimited,
    ResponseParseError,
    ScriptExhausted,
    StreamInterrupted,
)
from agentkit.models._exchange import EventCallback, RawExchange
from agentkit.models._registry import parse_raw, register_parser
from agentkit.models._shared_ratelimit import SharedRateLimit
from agentkit.models._tokens import count_tokens, estimate_request_tokens
from agentkit.models._types import (
    FinishReason,
    Message,
    ModelRequest,
    ModelResponse,
    Part,
    PartAdapter,
    Role,
    StreamDone,
    StreamEvent,
    StreamEventAdapter,
    TextDelta,
    TextPart,
    ThinkingPart,
    ToolCallDelta,
    ToolCallPart,
    ToolResultPart,
    ToolSpec,
    Usage,
)
from agentkit.models.anthropic import AnthropicModel
from agentkit.models.embed import LiteLLMEmbedder, OpenAIEmbedder
from agentkit.models.fallback import FallbackModel
from agentkit.models.litellm import LiteLLMModel
from agentkit.models.openai import OpenAIModel
from agentkit.models.ratelimit import Limiter, Permit, RateLimit
from agentkit.models.scripted import ScriptedModel
from agentkit.retry import RetryPolicy

__all__ = [
    "AnthropicModel",
    "Attempt",
    "AuthenticationFailed",
    "BadRequest",
    "ContextLengthExceeded",
    "Embedder",
    "EmbeddingRequest",
    "Embeddings",
    "EventCallback",
    "FallbackModel",
    "FinishReason",
    "HashEmbedder",
    "Limiter",
    "LiteLLMEmbedder",
    "LiteLLMModel",
    "Message",
    "Model",
    "ModelConfigError",
    "ModelConnectionError",
    "ModelError",
    "ModelNotFound",
    "ModelRequest",
    "ModelResponse",
    "ModelTimeout",
    "OpenAIEmbedder",
    "OpenAIModel",
    "Part",
    "PartAdapter",
    "Permit",
    "Price",
    "ProviderOverloaded",
    "ProviderServerError",
    "RateLimit",
    "RateLimited",
    "RawExchange",
    "ResponseParseError",
    "RetryPolicy",
    "Role",
    "ScriptExhausted",
    "ScriptedModel",
    "SharedRateLimit",
    "StreamDone",
    "StreamEvent",
    "StreamEventAdapter",
    "StreamInterrupted",
    "TextDelta",
    "TextPart",
    "ThinkingPart",
    "ToolCallDelta",
    "ToolCallPart",
    "ToolResultPart",
    "ToolSpec",
    "Usage",
    "complete",
    "context_window_for",
    "cost_usd",
    "count_tokens",
    "estimate_request_tokens",
    "parse_raw",
    "register_parser",
]

"""What the OpenAI and Anthropic adapters share: the options and a lazily built SDK client.

The client is built on first use (so ``import agentkit.models`` never imports an
SDK) and always with the SDK's own retries off: retry policy lives in
:func:`agentkit.models.complete`, where every attempt is seen and stored.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

from agentkit.models._base import Model, RawExchange
from agentkit.models._errors import AuthenticationFailed, ModelError, error_for_transport
from agentkit.models._http import error_from_response

if TYPE_CHECKING:
    from agentkit.models._retry import RetryPolicy
    from agentkit.models.ratelimit import Limiter


class SDKClient(Protocol):
    """The one method both official SDK clients share that we rely on."""

    def with_options(self, *, max_retries: int) -> Self: ...


ClientT = TypeVar("ClientT", bound=SDKClient)


class SDKModel(Model, Generic[ClientT]):
    """A model called through an official SDK client."""

    #: How errors name the SDK, e.g. "OpenAI".
    sdk_name: str

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None,
        base_url: str | None,
        client: ClientT | None,
        rate_limit: Limiter | None,
        retry: RetryPolicy | None,
        context_window: int | None,
        defaults: dict[str, Any],
    ) -> None:
        super().__init__(model, rate_limit=rate_limit, retry=retry, context_window=context_window)
        self._api_key = api_key
        self._base_url = base_url
        self._given_client = client
        self._client: ClientT | None = None
        self.defaults = defaults

    @abstractmethod
    def _new_client(self) -> ClientT:
        """Build the SDK client with ``max_retries=0`` (importing the SDK here)."""

    @abstractmethod
    def _client_error(self) -> type[Exception]:
        """The SDK's error for a client that cannot be built (e.g. no API key)."""

    def _sdk(self) -> ClientT:
        if self._client is None:
            if self._given_client is not None:
                self._client = self._given_client.with_options(max_retries=0)
            else:
                try:
                    self._client = self._new_client()
                except self._client_error() as exc:
                    raise AuthenticationFailed(
                        f"cannot build an {self.sdk_name} client for {self.model_name!r}: {exc}",
                        provider=self.provider,
                        model=self.model_name,
                    ) from exc
        return self._client

    def _error(
        self,
        response: Any,
        body: dict[str, Any],
        started: float,
        error_body: Any = None,
        stream_events: list[dict[str, Any]] | None = None,
    ) -> ModelError:
        """The typed error for an HTTP error response."""
        return error_from_response(
            response,
            provider=self.provider,
            model=self.model_name,
            request_body=body,
            started=started,
            body=error_body,
            stream_events=stream_events,
        )

    def _transport(
        self, exc: BaseException, *, timed_out: bool, exchange: RawExchange | None = None
    ) -> ModelError:
        """The typed error for a transport failure; mid-stream when an exchange exists."""
        return error_for_transport(
            exc,
            provider=self.provider,
            model=self.model_name,
            timed_out=timed_out,
            mid_stream=exchange is not None,
            exchange=exchange,
        )

"""What the OpenAI and Anthropic adapters share: the options and a lazily built SDK client.

The client is built on first use (so ``import agentkit.models`` never imports an
SDK) and always with the SDK's own retries off: retry policy lives in
:func:`agentkit.models.complete`, where every attempt is seen and stored.

What can be checked without a network is checked when the model is built: the
SDK is installed, and an API key is given or in the environment (unless a
client or a custom ``base_url`` is given: local servers need no key). The key
and any credential headers are registered with `agentkit._redact`, so that a
provider echoing them back never gets them into the store or the logs.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, Self, TypeVar
from urllib.parse import urlsplit

from agentkit._redact import register_secret, register_secret_headers
from agentkit.models._base import Model
from agentkit.models._errors import (
    ModelConfigError,
    ModelError,
    error_for_transport,
    missing_package,
)
from agentkit.models._exchange import RawExchange
from agentkit.models._http import error_from_response, installed

if TYPE_CHECKING:
    from agentkit.models._cost import Price
    from agentkit.models._retry import RetryPolicy
    from agentkit.models.ratelimit import Limiter

NO_KEY = "no-key-needed"
"""The API key sent to a custom ``base_url`` when none is configured (local servers ignore it)."""


class SDKClient(Protocol):
    """The one method both official SDK clients share that we rely on."""

    def with_options(self, *, max_retries: int) -> Self: ...


ClientT = TypeVar("ClientT", bound=SDKClient)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class SDKModel(Model, Generic[ClientT]):
    """A model called through an official SDK client.

    Raises:
        ModelConfigError: when built without the SDK installed, or without an
            API key (argument or environment) for the provider's own endpoint.
    """

    #: How errors name the SDK, e.g. "OpenAI".
    sdk_name: str
    #: The SDK's import name and the extra that installs it.
    sdk_module: ClassVar[str]
    #: Environment variables the SDK reads credentials from; the first is the key's.
    key_env: ClassVar[tuple[str, ...]]
    #: The environment variable the SDK reads its base URL from.
    base_url_env: ClassVar[str]
    #: The provider's own endpoint; only its replies are priced from the public list.
    official_url: ClassVar[str]

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
        price: Price | None = None,
        default_headers: Mapping[str, str] | None = None,
        defaults: dict[str, Any],
    ) -> None:
        super().__init__(
            model, rate_limit=rate_limit, retry=retry, context_window=context_window, price=price
        )
        if client is None and not installed(self.sdk_module):
            raise ModelConfigError(
                f"{type(self).__name__}({model!r}) needs the {self.sdk_module!r} package: "
                f"pip install 'agentkit[{self.sdk_module}]'",
                provider=self.provider,
                model=model,
            )
        self.base_url = self._effective_base_url(base_url, client)
        self._api_key = self._resolve_key(api_key, client)
        self._base_url = base_url
        self._given_client = client
        self._client: ClientT | None = None
        # ``extra_headers=`` among the body defaults means headers, not a body field.
        extra_headers = defaults.pop("extra_headers", None) or {}
        self.default_headers: dict[str, str] = {**(default_headers or {}), **extra_headers}
        register_secret_headers(self.default_headers)
        self.defaults = defaults

    def _effective_base_url(self, base_url: str | None, client: ClientT | None) -> str:
        if client is not None:
            return str(getattr(client, "base_url", "") or self.official_url)
        return base_url or os.environ.get(self.base_url_env) or self.official_url

    @property
    def uses_public_prices(self) -> bool:
        """True only for the provider's own endpoint (see :attr:`Model.uses_public_prices`)."""
        return _host(self.base_url) == _host(self.official_url)

    def _resolve_key(self, api_key: str | None, client: ClientT | None) -> str | None:
        """The key to build the client with (None: the SDK reads its environment).

        Every credential found is registered as a secret, to be scrubbed.
        """
        if client is not None:
            given = getattr(client, "api_key", None)
            register_secret(given if isinstance(given, str) else None)
            headers = getattr(client, "default_headers", None)
            if isinstance(headers, Mapping):
                register_secret_headers(headers)
            return api_key
        found = [os.environ.get(name) for name in self.key_env]
        for value in (api_key, *found):
            register_secret(value)
        if api_key or any(found):
            return api_key
        if self.uses_public_prices:  # the provider's own endpoint: a key is required
            names = " or ".join(self.key_env)
            raise ModelConfigError(
                f"{type(self).__name__}({self.model_name!r}) has no API key: set {names} "
                f"in the environment or pass api_key=",
                provider=self.provider,
                model=self.model_name,
            )
        return NO_KEY

    @abstractmethod
    def _new_client(self) -> ClientT:
        """Build the SDK client with ``max_retries=0`` (importing the SDK here)."""

    @abstractmethod
    def _client_error(self) -> type[Exception]:
        """The SDK's error for a client that cannot be built (e.g. no API key)."""

    def _sdk(self) -> ClientT:
        """The client, built on first use; imports the SDK.

        Raises:
            ModelConfigError: the SDK is not installed, or refuses to build a client.
        """
        if self._client is None:
            if self._given_client is not None:
                self._client = self._given_client.with_options(max_retries=0)
            else:
                try:
                    self._client = self._new_client()
                except ImportError as exc:
                    raise missing_package(
                        exc, provider=self.provider, model=self.model_name, extra=self.sdk_module
                    ) from exc
                except self._client_error() as exc:
                    raise ModelConfigError(
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

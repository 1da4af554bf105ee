"""JSON round-trips for step results, run inputs and outputs, and input fingerprints.

A step's value is dumped with a pydantic `TypeAdapter` built from the callable's
return annotation and validated back, and the *validated* value is what the
caller receives on the first run as on replay. Adapters are cached: building one
costs far more than using it.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import typing
from collections.abc import Callable
from typing import Any

import pydantic_core
from pydantic import TypeAdapter, ValidationError
from pydantic.errors import PydanticSchemaGenerationError

from agentkit.errors import ConfigError, StepSerializationError


@functools.lru_cache(maxsize=1024)
def _adapter_for_hashable(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def adapter_for(annotation: Any, owner: str) -> TypeAdapter[Any]:
    """A (cached) TypeAdapter for ``annotation``; ``owner`` names it in errors."""
    try:
        try:
            return _adapter_for_hashable(annotation)
        except TypeError:  # unhashable annotation, e.g. Annotated with a dict in it
            return TypeAdapter(annotation)
    except PydanticSchemaGenerationError as exc:
        raise StepSerializationError(
            f"{owner} is annotated with {annotation!r}, which cannot be serialized to JSON; "
            "return a pydantic model, dataclass, TypedDict or plain JSON types"
        ) from exc


_RETURN_TYPES: dict[Any, Any] = {}


def return_annotation(fn: Callable[..., Any]) -> Any:
    """The declared return type of ``fn`` (awaited type for coroutines), or Any."""
    cache_key = getattr(fn, "__func__", fn)
    try:
        return _RETURN_TYPES[cache_key]
    except (KeyError, TypeError):
        pass
    target = fn
    if not (inspect.isfunction(target) or inspect.ismethod(target)) and callable(target):
        target = getattr(target, "__call__", target)  # noqa: B004 - callable objects
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # unresolvable forward refs, builtins, partials: fall back to Any
        hints = {}
    annotation = hints.get("return", Any)
    try:
        _RETURN_TYPES[cache_key] = annotation
    except TypeError:
        pass
    return annotation


def round_trip(adapter: TypeAdapter[Any], value: Any, what: str) -> tuple[str, Any]:
    """Dump ``value`` to JSON text and validate it back; errors name ``what``."""
    try:
        text = adapter.dump_json(value, warnings=False).decode()
    except pydantic_core.PydanticSerializationError as exc:
        raise StepSerializationError(
            f"{what} returned {type(value).__name__}, which is not JSON-serializable ({exc})"
        ) from exc
    return text, load(adapter, text, what)


def load(adapter: TypeAdapter[Any], text: str, what: str) -> Any:
    """Validate journaled JSON text back into the declared type."""
    try:
        return adapter.validate_json(text)
    except ValidationError as exc:
        raise StepSerializationError(
            f"{what} returned a value that does not match its declared return type: "
            f"{exc.errors(include_url=False)}"
        ) from exc


def _fallback(value: Any) -> str:
    # Objects without a JSON form (clients, sessions) count by their type only, so
    # that an address in a repr cannot make every replay look different.
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def fingerprint(*parts: Any) -> str:
    """A short stable hash of a step's inputs, for non-determinism checks."""
    data = pydantic_core.to_json(parts, fallback=_fallback)
    return hashlib.sha256(data).hexdigest()[:16]


class InputCodec:
    """Encodes a durable function's arguments as a JSON object, by its signature."""

    def __init__(self, fn: Callable[..., Any], function_id: str) -> None:
        signature = inspect.signature(fn)
        params = list(signature.parameters.values())
        if not params or params[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            raise ConfigError(
                f"durable function {function_id!r} must take the run context as its first "
                "parameter: async def f(ctx: Context, ...)"
            )
        try:
            hints = typing.get_type_hints(fn)
        except Exception:
            hints = {}
        self._function_id = function_id
        self._signature = signature.replace(parameters=params[1:])
        self._adapters = {
            p.name: adapter_for(hints.get(p.name, Any), f"parameter {p.name!r} of {function_id!r}")
            for p in params[1:]
        }

    def encode(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        """Bind and dump the arguments; a TypeError names the function."""
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ConfigError(
                f"bad input for durable function {self._function_id!r}: {exc}"
            ) from exc
        out: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            try:
                out[name] = self._adapters[name].dump_python(value, mode="json", warnings=False)
            except pydantic_core.PydanticSerializationError as exc:
                raise StepSerializationError(
                    f"input {name!r} of durable function {self._function_id!r} is "
                    f"{type(value).__name__}, which is not JSON-serializable"
                ) from exc
        return json.dumps(out)

    def decode(self, text: str) -> dict[str, Any]:
        """Validate stored input back into typed keyword arguments."""
        raw = json.loads(text)
        return {name: self._adapters[name].validate_python(value) for name, value in raw.items()}

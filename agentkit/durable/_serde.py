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
import weakref
from collections.abc import Callable
from typing import Any

import pydantic_core
from pydantic import ConfigDict, TypeAdapter, ValidationError
from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError

from agentkit.errors import ConfigError, StepSerializationError, UsageError

_BASE64_BYTES = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")
_BYTES_HINT = (
    "; bytes are journaled as base64 where the annotation says bytes (bytes, list[bytes], "
    "...); inside a pydantic model, dataclass or TypedDict they follow its own config: "
    "set ser_json_bytes='base64' and val_json_bytes='base64' in it"
)


# Adapters whose bytes travel as base64, each with the adapter that reads values
# journaled before, when bytes were stored as their UTF-8 text.
_LEGACY_BYTES: weakref.WeakKeyDictionary[TypeAdapter[Any], TypeAdapter[Any]] = (
    weakref.WeakKeyDictionary()
)


def _holds_bytes(schema: Any) -> bool:
    if isinstance(schema, dict):
        return schema.get("type") == "bytes" or any(_holds_bytes(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_holds_bytes(v) for v in schema)
    return False


def _build_adapter(annotation: Any) -> TypeAdapter[Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    if not _holds_bytes(adapter.core_schema):
        return adapter
    # Raw bytes are not JSON text unless they happen to be UTF-8, so a type that
    # holds bytes (bytes, list[bytes], dict[str, bytes], ...) journals them as
    # base64 (URL-safe alphabet). Values journaled before as UTF-8 text stay
    # readable: `load` falls back to the old adapter for text that is not valid
    # base64 (an old value that is also valid base64, like "abcd", reads as
    # base64). Models, dataclasses and TypedDicts keep their own config.
    try:
        base64_adapter: TypeAdapter[Any] = TypeAdapter(annotation, config=_BASE64_BYTES)
    except PydanticUserError:  # a model, dataclass or TypedDict: its own config rules
        return adapter
    _LEGACY_BYTES[base64_adapter] = adapter
    return base64_adapter


@functools.lru_cache(maxsize=1024)
def _adapter_for_hashable(annotation: Any) -> TypeAdapter[Any]:
    return _build_adapter(annotation)


def adapter_for(annotation: Any, owner: str) -> TypeAdapter[Any]:
    """A (cached) TypeAdapter for ``annotation``; ``owner`` names it in errors."""
    try:
        try:
            return _adapter_for_hashable(annotation)
        except TypeError:  # unhashable annotation, e.g. Annotated with a dict in it
            return _build_adapter(annotation)
    except PydanticSchemaGenerationError as exc:
        raise StepSerializationError(
            f"{owner} is annotated with {annotation!r}, which cannot be serialized to JSON; "
            "return a pydantic model, dataclass, TypedDict or plain JSON types"
        ) from exc


# Weakly keyed: a step's lambda or closure is new on every run, and a strong
# cache kept each one (and what it closes over) alive for the process's life.
_RETURN_TYPES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def return_annotation(fn: Callable[..., Any]) -> Any:
    """The declared return type of ``fn`` (awaited type for coroutines), or Any."""
    cache_key = getattr(fn, "__func__", fn)
    if inspect.isfunction(cache_key) and "return" not in cache_key.__annotations__:
        return Any  # what get_type_hints would say, without its cost (lambdas)
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
        hint = _BYTES_HINT if "utf-8" in str(exc) else ""
        raise StepSerializationError(
            f"{what} returned {type(value).__name__}, which is not JSON-serializable ({exc}){hint}"
        ) from exc
    return text, load(adapter, text, what)


def load(adapter: TypeAdapter[Any], text: str, what: str) -> Any:
    """Validate journaled JSON text back into the declared type."""
    try:
        try:
            return adapter.validate_json(text)
        except ValidationError:
            legacy = _LEGACY_BYTES.get(adapter)
            if legacy is None:
                raise
            try:
                return legacy.validate_json(text)
            except ValidationError:
                pass
            raise
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


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


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
        """Bind, dump and validate the arguments, as the run will receive them.

        Raises:
            UsageError: the arguments do not fit the signature, or a value fails
                validation against its parameter's annotation.
            StepSerializationError: a value cannot be dumped to JSON.
        """
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise UsageError(
                f"bad input for durable function {self._function_id!r}: {exc} "
                f"(its parameters after ctx: {self._parameters_text()})"
            ) from None
        out: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            try:
                out[name] = self._adapters[name].dump_python(value, mode="json", warnings=False)
            except pydantic_core.PydanticSerializationError as exc:
                raise StepSerializationError(
                    f"input {name!r} of durable function {self._function_id!r} is "
                    f"{type(value).__name__}, which is not JSON-serializable"
                ) from exc
        text = json.dumps(out)
        self.decode(text)  # fail here, before a run exists, not in the worker
        return text

    def _parameters_text(self) -> str:
        parts = []
        for p in self._signature.parameters.values():
            prefix = "*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else ""
            default = "" if p.default is p.empty else f"={p.default!r}"
            parts.append(f"{prefix}{p.name}{default}")
        return ", ".join(parts) or "none"

    def has_parameter(self, name: str) -> bool:
        """Whether the function takes a parameter called ``name`` (after ctx)."""
        return name in self._signature.parameters

    def _decode_one(self, name: str, value: Any) -> Any:
        adapter = self._adapters[name]
        try:
            if adapter in _LEGACY_BYTES:
                return load(adapter, json.dumps(value), f"input {name!r}")
            return adapter.validate_python(value)
        except (ValidationError, StepSerializationError) as exc:
            cause = exc.__cause__ if isinstance(exc, StepSerializationError) else exc
            errors = cause.errors(include_url=False) if isinstance(cause, ValidationError) else []
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '<value>'}: {e['msg']}" for e in errors
            )
            raise UsageError(
                f"bad input for durable function {self._function_id!r}: parameter {name!r} "
                f"got {_short_repr(value)}, which fails validation ({detail or exc})"
            ) from None

    def decode(self, text: str) -> dict[str, Any]:
        """Validate stored input back into typed keyword arguments."""
        raw = json.loads(text)
        return {name: self._decode_one(name, value) for name, value in raw.items()}

    def fingerprint(self, text: str) -> str:
        """A hash of a stored input with defaults filled in, to compare two starts."""
        raw = json.loads(text)
        for name, param in self._signature.parameters.items():
            if name in raw or param.default is inspect.Parameter.empty:
                continue
            try:
                raw[name] = self._adapters[name].dump_python(
                    param.default, mode="json", warnings=False
                )
            except pydantic_core.PydanticSerializationError:
                continue  # a default with no JSON form counts as absent in both inputs
        canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

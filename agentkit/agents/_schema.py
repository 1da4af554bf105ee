"""JSON schemas for tools and structured output, from Python signatures and types.

Pure code: a signature goes in, a pydantic arguments model and a JSON schema
come out. The strict form follows OpenAI's strict mode (structured outputs):
every object closes with ``additionalProperties: false`` and lists all its
properties as ``required``; ``default`` and ``title`` are dropped; a ``$ref``
with sibling keywords moves into ``anyOf``; keywords strict mode rejects move
into the description (pydantic still enforces them when the arguments come
back). A top-level parameter with a default becomes nullable, and ``null``
from the model means "use the default".
"""

from __future__ import annotations

import copy
import inspect
import json
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model
from pydantic.fields import FieldInfo

from agentkit.errors import ConfigError

__all__ = [
    "ArgumentsSchema",
    "build_arguments_schema",
    "describe_validation_error",
    "parse_docstring",
    "strict_schema",
]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Returns|Return|Yields|Raises|Examples?|Notes?|Attributes"
    r"|Warnings?|See Also|Todo):\s*$"
)
_ARG_LINE = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
# Keywords OpenAI strict mode does not accept; pydantic still enforces them on our side.
_STRICT_UNSUPPORTED = (
    "minLength",
    "maxLength",
    "patternProperties",
    "unevaluatedProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
)
_STRICT_FORMATS = ("date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6")
_TYPED = ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const")


def check_tool_name(name: str) -> str:
    """Return ``name`` if providers accept it as a tool name, else raise ConfigError."""
    if not _NAME.match(name):
        raise ConfigError(
            f"tool name {name!r} is not accepted by model providers: use 1-64 letters, "
            "digits, '_' or '-'"
        )
    return name


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """The first paragraph of a Google-style docstring, and its ``Args:`` descriptions."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    for line in lines:
        if not line.strip() or _SECTION.match(line.strip()):
            break
        summary.append(line.strip())
    args: dict[str, str] = {}
    in_args, current, args_indent = False, None, 0
    for line in lines:
        stripped = line.strip()
        if _SECTION.match(stripped):
            in_args, current = stripped.split(":")[0] in ("Args", "Arguments", "Parameters"), None
            continue
        if not in_args or not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        match = _ARG_LINE.match(stripped)
        if match and (current is None or indent <= args_indent):
            current, args_indent = match.group(1).lstrip("*"), indent
            args[current] = match.group(2).strip()
        elif current is not None:
            args[current] = f"{args[current]} {stripped}".strip()
    return " ".join(summary), args


def describe_validation_error(error: ValidationError, root: str = "arguments") -> str:
    """The problems as ``location: message``, joined by ``; ``, for a model to read."""
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or root
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


@dataclass(frozen=True)
class ArgumentsSchema:
    """What the model sees of a function's parameters, and how its answer is checked.

    Attributes:
        model: Pydantic model of the visible parameters (extra keys forbidden).
        parameters: The JSON schema sent to the model.
        strict: Whether ``parameters`` is in strict form (the request was strict
            and the types allow it).
        defaults_on_null: Parameters whose ``null`` means "use the default".
    """

    model: type[BaseModel]
    parameters: dict[str, Any]
    strict: bool
    defaults_on_null: frozenset[str]

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Validate the model's arguments; return them as keyword arguments.

        Raises:
            ValidationError: the arguments do not fit the parameters.
        """
        cleaned = {
            key: value
            for key, value in arguments.items()
            if not (value is None and key in self.defaults_on_null)
        }
        validated = self.model.model_validate(cleaned)
        return {name: getattr(validated, name) for name in type(validated).model_fields}


def _accepts_none(annotation: Any) -> bool:
    try:
        TypeAdapter(annotation).validate_python(None)
    except ValidationError:
        return False
    except Exception:  # unusual annotations: be conservative, keep the null mapping
        return False
    return True


def build_arguments_schema(
    owner: str,
    parameters: list[inspect.Parameter],
    hints: dict[str, Any],
    descriptions: dict[str, str],
    *,
    strict: bool,
) -> ArgumentsSchema:
    """The arguments model and JSON schema of ``parameters`` (already without injected ones)."""
    fields: dict[str, Any] = {}
    nullable_defaults: set[str] = set()
    for param in parameters:
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise ConfigError(f"{owner} cannot take *args or **kwargs: the model needs names")
        annotation = hints.get(param.name, Any)
        description = descriptions.get(param.name)
        if description and not _has_description(annotation):
            annotation = Annotated[annotation, Field(description=description)]
        if param.default is inspect.Parameter.empty:
            fields[param.name] = (annotation, ...)
        else:
            fields[param.name] = (annotation, param.default)
            if not _accepts_none(annotation):
                nullable_defaults.add(param.name)
    model_name = re.sub(r"\W", "_", owner) + "_arguments"
    model = create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)
    schema = model.model_json_schema()
    loose = _loose(schema)
    if strict:
        strict_form = strict_schema(schema, nullable=nullable_defaults)
        if strict_form is not None:
            return ArgumentsSchema(model, strict_form, True, frozenset(nullable_defaults))
    return ArgumentsSchema(model, loose, False, frozenset())


def _has_description(annotation: Any) -> bool:
    if typing.get_origin(annotation) is not Annotated:
        return False
    return any(isinstance(meta, FieldInfo) and meta.description for meta in annotation.__metadata__)


def _loose(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-strict form: pydantic's schema without titles."""
    out = copy.deepcopy(schema)
    _walk(out, _drop_titles)
    out.setdefault("properties", {})
    return out


def _drop_titles(node: dict[str, Any]) -> bool:
    node.pop("title", None)
    return True


def strict_schema(
    schema: dict[str, Any], *, nullable: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    """The OpenAI strict-mode form of an object ``schema``, or None if its types forbid it.

    ``nullable`` names top-level properties to make nullable (parameters with a
    default). Free-form maps (``dict[str, X]``), untyped values (``Any``) and
    untyped lists have no strict form.
    """
    out = copy.deepcopy(schema)
    if out.get("type") != "object":
        return None
    for name in nullable:
        prop = out.get("properties", {}).get(name)
        if prop is not None:
            out["properties"][name] = _nullable(prop)
    if not _walk(out, _strict_node):
        return None
    return out


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    description = prop.get("description")
    default = prop.get("default")
    inner = {k: v for k, v in prop.items() if k not in ("description", "title", "default")}
    note = f"null means the default, {json.dumps(default)}" if "default" in prop else "may be null"
    wrapped: dict[str, Any] = {"anyOf": [inner, {"type": "null"}]}
    text = f"{description.rstrip('.')} ({note})" if description else note[0].upper() + note[1:]
    wrapped["description"] = text
    return wrapped


def _strict_node(node: dict[str, Any]) -> bool:
    node.pop("title", None)
    node.pop("default", None)
    node.pop("discriminator", None)
    if "$ref" in node and len(node) > 1:  # strict mode refuses siblings of $ref
        node["anyOf"] = [{"$ref": node.pop("$ref")}]
    notes = [f"{key}={node.pop(key)}" for key in _STRICT_UNSUPPORTED if key in node]
    if "format" in node and node["format"] not in _STRICT_FORMATS:
        notes.append(f"format={node.pop('format')}")
    if notes:
        text = ", ".join(notes)
        node["description"] = f"{node['description']} ({text})" if "description" in node else text
    if "oneOf" in node:
        node["anyOf"] = node.pop("oneOf")
    kind = node.get("type")
    if kind == "object":
        extra = node.get("additionalProperties")
        if extra not in (None, False):
            return False
        node.setdefault("properties", {})
        node["additionalProperties"] = False
        node["required"] = list(node["properties"])
    if kind == "array":
        items = node.get("items")
        if not (isinstance(items, dict) and any(key in items for key in _TYPED)):
            return bool(node.get("prefixItems"))
    return any(key in node for key in _TYPED)


def _walk(node: Any, visit: Callable[[dict[str, Any]], bool]) -> bool:
    """Apply ``visit`` to every schema node; False if any visit returns False."""
    if not isinstance(node, dict):
        return True
    ok = visit(node)
    for key in ("properties", "$defs"):
        for child in (node.get(key) or {}).values():
            ok = _walk(child, visit) and ok
    for key in ("anyOf", "allOf", "prefixItems"):
        for child in node.get(key) or []:
            ok = _walk(child, visit) and ok
    if isinstance(node.get("items"), dict):
        ok = _walk(node["items"], visit) and ok
    return ok


def signature_of(fn: Callable[..., Any], owner: str) -> tuple[list[inspect.Parameter], Any]:
    """The parameters of ``fn`` and its resolved type hints."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"cannot read the signature of {owner}: {exc}") from exc
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:
        raise ConfigError(f"cannot resolve the type hints of {owner}: {exc}") from exc
    return list(signature.parameters.values()), hints

"""Structured output: an agent's ``output_type`` as a JSON schema, and its validation.

The schema goes out as ``ModelRequest.output_schema`` (OpenAI
``response_format`` json_schema, Anthropic ``output_config`` format), in strict
form when the type allows. A type whose schema is not an object (``int``,
``list[str]``) is wrapped as ``{"result": ...}``, since providers want an
object at the root. The reply's text is validated with pydantic; an invalid
reply is answered with a message telling the model what to fix.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError, create_model

from agentkit.agents._schema import describe_validation_error, strict_schema

__all__ = ["OutputSpec"]

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n?```\s*$", re.DOTALL)


class OutputSpec:
    """How one ``output_type`` is requested and checked.

    Attributes:
        schema: The JSON schema sent with each request.
        name: The schema's name (OpenAI requires one).
        strict: Whether ``schema`` is in strict form.
    """

    def __init__(self, output_type: Any) -> None:
        self.output_type = output_type
        self._adapter: TypeAdapter[Any] = TypeAdapter(output_type)
        schema = self._adapter.json_schema()
        self._wrapper: type[BaseModel] | None = None
        if schema.get("type") != "object":
            self._wrapper = create_model("Output", result=(output_type, ...))
            schema = self._wrapper.model_json_schema()
        strict = strict_schema(schema)
        self.strict = strict is not None
        self.schema = strict if strict is not None else schema
        raw_name = getattr(output_type, "__name__", "") or "output"
        self.name = re.sub(r"[^A-Za-z0-9_-]", "_", raw_name)[:64]

    def parse(self, text: str) -> Any:
        """The validated output in ``text`` (a JSON code fence around it is allowed).

        Raises:
            ValidationError: the text is not valid JSON for the type.
        """
        fenced = _FENCE.match(text)
        if fenced:
            text = fenced.group(1)
        if self._wrapper is not None:
            return vars(self._wrapper.model_validate_json(text))["result"]
        return self._adapter.validate_json(text)

    @staticmethod
    def retry_message(error: ValidationError) -> str:
        """What the model reads after an invalid answer."""
        problems = describe_validation_error(error, root="reply")
        return (
            f"Your reply does not match the required JSON schema: {problems}. "
            "Reply again with only the JSON, matching the schema."
        )

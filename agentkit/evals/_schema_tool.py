"""`SchemaTool`: a tool defined by its JSON schema, for agents rebuilt from recordings.

A recording from elsewhere (an OpenAI-format log, a benchmark) knows its
tools only as JSON schemas. Its arguments pass through unvalidated, as the
model sent them, so that replay runs whatever call the recording holds;
``fn`` (optional) implements the tool for live runs.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any, cast

from agentkit.agents import Tool
from agentkit.agents._tool import ToolInvocation
from agentkit.errors import ConfigError
from agentkit.models import ToolSpec

__all__ = ["SchemaTool"]


class SchemaTool(Tool):
    """A tool from a name, a description and a JSON schema of its parameters.

    Args:
        name: The name the model calls it by.
        description: What the model reads about it.
        parameters: The JSON schema of its arguments, sent as is.
        fn: Called with the model's arguments as keyword arguments when the
            tool runs live; a non-string result is sent as JSON. Without it a
            live call fails (the model is told so): replay never calls it.
    """

    def __init__(
        self,
        name: str,
        description: str,
        parameters: dict[str, Any],
        fn: Callable[..., Any] | None = None,
    ) -> None:
        if not isinstance(parameters, dict):
            raise ConfigError(f"tool {name!r}: parameters must be a JSON schema object")
        # Tool's arguments schema is for typed functions; this tool has none.
        super().__init__(name=name, description=description, arguments=cast(Any, None))
        self.parameters = parameters
        self.fn = fn

    @classmethod
    def from_openai(
        cls, definition: dict[str, Any], fn: Callable[..., Any] | None = None
    ) -> SchemaTool:
        """From an OpenAI tool definition ``{"type": "function", "function": {...}}``."""
        function = definition.get("function", definition)
        return cls(
            str(function["name"]),
            str(function.get("description", "")),
            dict(function.get("parameters") or {"type": "object", "properties": {}}),
            fn,
        )

    @property
    def strict(self) -> bool:
        return False

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(name=self.name, description=self.description, parameters=self.parameters)

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        return dict(arguments)

    async def _call(self, arguments: dict[str, Any]) -> str:
        if self.fn is None:
            raise RuntimeError(f"tool {self.name!r} has no implementation here (replay only)")
        value = self.fn(**arguments)
        if inspect.isawaitable(value):
            value = await value
        return value if isinstance(value, str) else json.dumps(value)

    async def execute(self, invocation: ToolInvocation) -> str:
        """One ``ctx.step.run`` whose input is the model's arguments."""
        return await invocation.ctx.step.run(invocation.step_id, self._call, invocation.arguments)

"""``@tool``: schemas from signatures and docstrings, strict form, injection, validation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from agentkit import Agent, AgentKit, Context, FunctionTool, function_as_tool, tool
from agentkit.errors import ConfigError
from agentkit.models import ScriptedModel, ToolSpec


class Point(BaseModel):
    x: int
    y: int = 0


class Notes(BaseModel):
    items: list[str] = []


def test_bare_decorator_spec_with_docstring_args_and_nullable_default() -> None:
    @tool
    def search(query: str, limit: int = 5) -> list[str]:
        """Search the web for pages.

        Longer text that the model does not need.

        Args:
            query: What to look for,
                over two lines.
            limit: How many results.
        """
        return [query] * limit

    assert isinstance(search, FunctionTool)
    assert search.spec == ToolSpec(
        name="search",
        description="Search the web for pages.",
        parameters={
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What to look for, over two lines."},
                "limit": {
                    "anyOf": [{"type": "integer"}, {"type": "null"}],
                    "description": "How many results (null means the default, 5)",
                },
            },
            "required": ["query", "limit"],
            "additionalProperties": False,
        },
        strict=True,
    )
    assert search("a", limit=2) == ["a", "a"]  # still callable as the function
    # null from the model means the default; a missing optional argument too.
    assert search.validate({"query": "q", "limit": None}) == {"query": "q", "limit": 5}
    assert search.validate({"query": "q"}) == {"query": "q", "limit": 5}
    assert search.validate({"query": "q", "limit": 2}) == {"query": "q", "limit": 2}


def test_options_annotated_fields_context_injection_and_optional_none() -> None:
    @tool(name="find-user", description="Look a user up.", strict=True)
    async def find(
        ctx: Context,
        user_id: Annotated[int, Field(description="The numeric id", ge=1)],
        team: str | None = None,
        kind: Literal["admin", "member"] = "member",
    ) -> str:
        """Ignored docstring."""
        return "x"

    assert find.name == "find-user"
    assert find.context_params == ["ctx"]
    assert find.spec.description == "Look a user up."
    assert find.spec.parameters == {
        "type": "object",
        "properties": {
            "user_id": {"type": "integer", "description": "The numeric id", "minimum": 1},
            "team": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
            },
            "kind": {
                "anyOf": [{"type": "string", "enum": ["admin", "member"]}, {"type": "null"}],
                "description": 'Null means the default, "member"',
            },
        },
        "required": ["user_id", "team", "kind"],
        "additionalProperties": False,
    }
    # ``team`` accepts None itself, so null stays null rather than meaning "default".
    assert find.validate({"user_id": 3, "team": None, "kind": None}) == {
        "user_id": 3,
        "team": None,
        "kind": "member",
    }
    with pytest.raises(ValidationError) as raised:
        find.validate({"user_id": 0, "extra": 1})
    assert sorted(e["loc"][0] for e in raised.value.errors()) == ["extra", "user_id"]


def test_nested_models_are_strict_and_ref_siblings_move_into_any_of() -> None:
    @tool
    def plot(origin: Annotated[Point, Field(description="Where to start")], tag: str) -> str:
        """Plot a point."""
        return "ok"

    parameters = plot.spec.parameters
    assert parameters["$defs"] == {
        "Point": {
            "type": "object",
            "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
            "required": ["x", "y"],
            "additionalProperties": False,
        }
    }
    assert parameters["properties"]["origin"] == {
        "anyOf": [{"$ref": "#/$defs/Point"}],
        "description": "Where to start",
    }
    assert plot.strict is True


def test_unsupported_keywords_move_into_the_description_but_are_still_enforced() -> None:
    @tool
    def name_it(name: Annotated[str, Field(min_length=2, max_length=5)]) -> str:
        """Name it."""
        return name

    assert name_it.spec.parameters["properties"]["name"] == {
        "type": "string",
        "description": "minLength=2, maxLength=5",
    }
    with pytest.raises(ValidationError):
        name_it.validate({"name": "a"})


def test_types_without_a_strict_form_fall_back_to_a_loose_schema() -> None:
    @tool
    def tally(counts: dict[str, int], limit: int = 3) -> int:
        """Add counts up."""
        return sum(counts.values())

    assert tally.strict is False
    assert tally.spec.strict is False
    assert tally.spec.parameters == {
        "type": "object",
        "properties": {
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "limit": {"type": "integer", "default": 3},
        },
        "required": ["counts"],
        "additionalProperties": False,
    }
    # Without the strict form, null is not a stand-in for the default.
    with pytest.raises(ValidationError):
        tally.validate({"counts": {}, "limit": None})


def test_strict_false_keeps_defaults_and_optional_parameters() -> None:
    @tool(strict=False)
    def echo(text: str, times: int = 1) -> str:
        """Echo."""
        return text * times

    assert echo.spec.parameters == {
        "type": "object",
        "properties": {"text": {"type": "string"}, "times": {"type": "integer", "default": 1}},
        "required": ["text"],
        "additionalProperties": False,
    }


def test_state_parameters_are_injected_for_an_agent_with_that_state_type() -> None:
    @tool
    def remember(note: str, notes: Notes) -> str:
        """Remember a note."""
        notes.items.append(note)
        return "ok"

    # Without an agent state type, a model-typed parameter is an ordinary argument.
    assert set(remember.spec.parameters["properties"]) == {"note", "notes"}
    agent = Agent("a", "s", ScriptedModel([]), [remember], state_type=Notes)
    bound = agent.bound_tools["remember"]
    assert bound is not remember
    assert bound.takes_state is True
    assert bound.spec.parameters["properties"] == {"note": {"type": "string"}}


def test_tool_names_and_signatures_are_checked() -> None:
    with pytest.raises(ConfigError, match="tool name 'has space'"):
        tool(name="has space")(lambda: None)

    def variadic(*items: str) -> str:
        return ""

    with pytest.raises(ConfigError, match=r"cannot take \*args"):
        tool(variadic)
    with pytest.raises(ConfigError, match="two tools named 'variadic2'"):

        def variadic2(x: int) -> int:
            return x

        Agent("a", "s", ScriptedModel([]), [variadic2, tool(variadic2)])
    with pytest.raises(ConfigError, match="tool_choice 'nope' names no tool"):
        Agent("a", "s", ScriptedModel([]), [], tool_choice="nope")
    with pytest.raises(ConfigError, match="agent name 'a#b'"):
        Agent("a#b", "s", ScriptedModel([]))


def test_plain_functions_in_an_agent_become_tools() -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    agent = Agent("calc", "s", ScriptedModel([]), [add])
    assert agent.bound_tools["add"].spec.description == "Add two numbers."


def test_docstring_parsing() -> None:
    def annotate(a: int, rest: list[str], b: str) -> str:
        """Summary line
        continues here.

        Args:
            a (int): First.
            *rest: Others,
                continued.
            b: Second.

        Returns:
            nothing: not an argument.
        """
        return ""

    def bare(a: int) -> str:
        return ""

    spec = tool(annotate).spec
    assert spec.description == "Summary line continues here."
    assert {
        name: prop.get("description") for name, prop in spec.parameters["properties"].items()
    } == {
        "a": "First.",
        "rest": "Others, continued.",
        "b": "Second.",
    }
    # No docstring: the name stands in for the description, and no parameter has one.
    assert tool(bare).spec.description == "bare"
    assert tool(bare).spec.parameters["properties"] == {"a": {"type": "integer"}}


def test_function_as_tool_schema_skips_ctx(kit: AgentKit) -> None:
    @kit.function(id="ship.order")
    async def ship(ctx: Context, order_id: str, express: bool = False) -> dict[str, Any]:
        """Ship an order.

        Args:
            order_id: The order.
        """
        return {}

    shipping = function_as_tool(ship)
    assert shipping.spec == ToolSpec(
        name="ship",
        description="Ship an order.",
        parameters={
            "type": "object",
            "properties": {
                "order_id": {"type": "string", "description": "The order."},
                "express": {
                    "anyOf": [{"type": "boolean"}, {"type": "null"}],
                    "description": "Null means the default, false",
                },
            },
            "required": ["order_id", "express"],
            "additionalProperties": False,
        },
        strict=True,
    )
    assert function_as_tool(ship, name="send", description="Send it.").spec.name == "send"
    with pytest.raises(ConfigError, match="needs a durable function"):
        function_as_tool(ship.fn)  # type: ignore[arg-type]  # the plain function on purpose

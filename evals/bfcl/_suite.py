"""BFCL cases as agentkit runs, and the AST-style matcher against possible answers."""

from __future__ import annotations

import importlib.resources
import json
import string
from dataclasses import dataclass
from typing import Any

from agentkit.durable import AgentKit, Context, DurableFunction
from agentkit.evals import Case, Custom, Dataset, EvalReport, Observation, Score, evaluate
from agentkit.models import Message, Model, ModelRequest, ToolSpec

# category -> the data file of bfcl-eval
CATEGORIES = {
    "simple": "BFCL_v4_simple_python.json",
    "multiple": "BFCL_v4_multiple.json",
    "parallel": "BFCL_v4_parallel.json",
    "irrelevance": "BFCL_v4_irrelevance.json",
}
_TYPES = {"dict": "object", "float": "number", "tuple": "array", "any": None}


@dataclass(frozen=True)
class BFCLCase:
    """One BFCL entry: its id, category, question, function docs and possible answers."""

    id: str
    category: str
    question: list[dict[str, Any]]
    functions: list[dict[str, Any]]
    possible: list[dict[str, dict[str, list[Any]]]]


def _data() -> Any:
    return importlib.resources.files("bfcl_eval") / "data"


def load_category(category: str) -> list[BFCLCase]:
    """The entries of one category, with their possible answers (none for irrelevance)."""
    name = CATEGORIES[category]
    data = _data()
    answers: dict[str, Any] = {}
    answer_file = data / "possible_answer" / name
    if answer_file.is_file():
        for line in answer_file.read_text("utf-8").splitlines():
            entry = json.loads(line)
            answers[entry["id"]] = entry["ground_truth"]
    cases = []
    for line in (data / name).read_text("utf-8").splitlines():
        entry = json.loads(line)
        cases.append(
            BFCLCase(
                id=entry["id"],
                category=category,
                question=entry["question"][0],
                functions=entry["function"],
                possible=answers.get(entry["id"], []),
            )
        )
    return cases


def wire_name(name: str) -> str:
    """Providers refuse dots in tool names; BFCL's OpenAI handler uses underscores too."""
    return name.replace(".", "_")


def _schema(node: Any) -> Any:
    """A BFCL parameter schema in JSON Schema (dict -> object, float -> number, ...)."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _schema(prop) for name, prop in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _schema(value)
        elif key == "type" and isinstance(value, str):
            mapped = _TYPES.get(value, value)
            if mapped is not None:
                out[key] = mapped
        else:
            out[key] = value
    return out


def tool_specs(case: BFCLCase) -> list[ToolSpec]:
    """The case's functions as tools."""
    return [
        ToolSpec(
            name=wire_name(f["name"]),
            description=f.get("description", ""),
            parameters=_schema(f["parameters"]),
        )
        for f in case.functions
    ]


def register(kit: AgentKit, model: Model) -> DurableFunction[..., list[dict[str, Any]]]:
    """Register ``bfcl`` on ``kit``: one model call; returns the calls as ``{name: args}``."""

    async def bfcl(
        ctx: Context, question: list[dict[str, Any]], functions: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        names = {wire_name(f["name"]): f["name"] for f in functions}
        messages = [
            Message.system(m["content"]) if m["role"] == "system" else Message.user(m["content"])
            for m in question
        ]
        request = ModelRequest(
            messages=messages,
            tools=tool_specs(BFCLCase("", "", question, functions, [])),
            temperature=0.0,
        )
        response = await ctx.step.infer("bfcl/infer", model, request)
        return [{names.get(c.name, c.name): dict(c.arguments)} for c in response.tool_calls]

    function: DurableFunction[..., list[dict[str, Any]]] = kit.function(id="bfcl")(bfcl)
    return function


# -- the AST-style matcher ---------------------------------------------------------

_DROP = str.maketrans("", "", string.punctuation + " ")


def _standard(text: str) -> str:
    """BFCL compares strings without case, spaces and punctuation."""
    return text.translate(_DROP).lower()


def _value_matches(got: Any, acceptable: Any) -> bool:
    if isinstance(acceptable, bool) or isinstance(got, bool):
        return (
            got is acceptable if isinstance(got, bool) and isinstance(acceptable, bool) else False
        )
    if isinstance(acceptable, int | float) and isinstance(got, int | float):
        return float(got) == float(acceptable)
    if isinstance(acceptable, str) and isinstance(got, str):
        return _standard(got) == _standard(acceptable)
    if isinstance(acceptable, list) and isinstance(got, list | tuple):
        return len(got) == len(acceptable) and all(
            _value_matches(g, a) for g, a in zip(got, acceptable, strict=True)
        )
    if isinstance(acceptable, dict) and isinstance(got, dict):
        # Nested dicts hold, per key, a list of acceptable values ("" = may be omitted).
        for key, options in acceptable.items():
            options = options if isinstance(options, list) else [options]
            if key not in got:
                if "" not in options:
                    return False
            elif not any(_value_matches(got[key], o) for o in options if o != ""):
                return False
        return set(got) <= set(acceptable)
    return bool(got == acceptable)


def _call_matches(call: dict[str, Any], answer: dict[str, dict[str, list[Any]]]) -> bool:
    """One call ``{name: args}`` against one possible answer ``{name: {param: [values]}}``."""
    ((name, params),) = answer.items()
    if list(call) != [name]:
        return False
    args = call[name]
    if not isinstance(args, dict) or not set(args) <= set(params):
        return False
    for param, options in params.items():
        if param not in args:
            if "" not in options:
                return False
        elif not any(_value_matches(args[param], o) for o in options if o != ""):
            return False
    return True


def ast_match(case: BFCLCase, calls: list[dict[str, Any]]) -> Score:
    """Whether ``calls`` is a correct answer: irrelevance calls nothing; the others make
    exactly one matching call per possible answer (parallel: in any order)."""
    if case.category == "irrelevance":
        ok = not calls
        return Score("bfcl-ast", float(ok), ok, "" if ok else f"called {next(iter(calls[0]))}")
    if len(calls) != len(case.possible):
        return Score("bfcl-ast", 0.0, False, f"{len(calls)} call(s), expected {len(case.possible)}")
    unused = list(case.possible)
    for call in calls:
        hit = next((a for a in unused if _call_matches(call, a)), None)
        if hit is None:
            return Score("bfcl-ast", 0.0, False, f"no possible answer matches {call}")
        unused.remove(hit)
    return Score("bfcl-ast", 1.0, True)


def ground_truth_answer(case: BFCLCase) -> list[dict[str, Any]]:
    """A correct answer built from the possible answers (the first acceptable value each)."""
    calls = []
    for answer in case.possible:
        ((name, params),) = answer.items()
        args = {}
        for param, options in params.items():
            chosen = next((o for o in options if o != ""), None)
            if chosen is not None:
                args[param] = _first_values(chosen)
        calls.append({name: args})
    return calls


def _first_values(value: Any) -> Any:
    if isinstance(value, list):
        return [_first_values(item) for item in value]
    if isinstance(value, dict):
        return {
            k: _first_values(next((o for o in v if o != ""), v[0]) if isinstance(v, list) else v)
            for k, v in value.items()
            if not (isinstance(v, list) and all(o == "" for o in v))
        }
    return value


def bfcl_dataset(categories: list[str], limit: int | None = None) -> Dataset:
    """The chosen categories as a `Dataset` scored by `ast_match`."""
    cases: list[Case] = []
    by_name: dict[str, BFCLCase] = {}
    for category in categories:
        for entry in load_category(category)[:limit]:
            by_name[entry.id] = entry
            cases.append(
                Case(
                    name=entry.id,
                    input={"question": entry.question, "functions": entry.functions},
                    expected=entry.possible,
                    metadata={"category": category, "id": entry.id},
                )
            )

    def score(observation: Observation) -> Score:
        entry = by_name[str(observation.metadata["id"])]
        return ast_match(entry, list(observation.output or []))

    return Dataset(cases, [Custom(score, name="bfcl-ast")], name="bfcl")


async def run_suite(
    kit: AgentKit,
    model: Model,
    categories: list[str],
    limit: int | None = None,
    concurrency: int = 4,
    progress: bool = False,
) -> EvalReport:
    """Run the categories live against ``model`` (every call recorded in ``kit.store``)."""
    function = register(kit, model)
    return await evaluate(
        bfcl_dataset(categories, limit),
        kit,
        function,
        concurrency=concurrency,
        progress=progress,
    )

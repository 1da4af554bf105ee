"""Load an example program (examples/NAME.py) and turn scripted answers into models."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from agentkit.evals import Case, EvalReport, ExpectedCall
from agentkit.models import Message, Model, ModelResponse, ScriptedModel, ToolCallPart, Usage

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str) -> ModuleType:
    """The module of ``examples/{name}.py`` (examples are scripts, not a package)."""
    module_name = f"agentkit_example_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"no example {name!r} in {EXAMPLES}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def scripted(answers: list[Any]) -> ScriptedModel:
    """A `ScriptedModel` from a case's script: each answer is a text, a tool call
    ``{"tool": NAME, "args": {...}}`` or a routing choice ``{"select": [AGENT, ...]}``.
    """
    responses: list[ModelResponse | str] = []
    for turn, answer in enumerate(answers):
        if isinstance(answer, str):
            responses.append(answer)
        elif "select" in answer:
            parts = [
                ToolCallPart.from_arguments(
                    f"route_{turn}_{n}", "select_agent", {"name": n, "reason": "next"}
                )
                for n in answer["select"]
            ]
            responses.append(
                ModelResponse(
                    message=Message(role="assistant", parts=list(parts)),
                    finish_reason="tool_calls",
                    usage=Usage(input_tokens=120, output_tokens=12),
                    model="scripted",
                    provider="scripted",
                )
            )
        else:
            responses.append(
                ScriptedModel.tool_call(
                    answer["tool"], dict(answer.get("args", {})), id=f"call_{turn}"
                )
            )
    return ScriptedModel(responses)


def load_model(spec: str) -> Model:
    """``openai:NAME``, ``anthropic:NAME`` or ``litellm:NAME``."""
    from agentkit import models

    provider, _, name = spec.partition(":")
    classes: dict[str, type[Model]] = {
        "openai": models.OpenAIModel,
        "anthropic": models.AnthropicModel,
        "litellm": models.LiteLLMModel,
    }
    if provider not in classes or not name:
        raise SystemExit(
            f"--model must be openai:NAME, anthropic:NAME or litellm:NAME, not {spec!r}"
        )
    return classes[provider](name)


def arguments(description: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--model",
        default=None,
        help="openai:NAME, anthropic:NAME, litellm:NAME (default: scripted)",
    )
    parser.add_argument("--report", default=None, help="write the JSON (or .html) report here")
    return parser.parse_args()


def show(report: EvalReport) -> None:
    """Print each case's scores, then the means."""
    for case in report.cases:
        scores = ", ".join(f"{s.scorer} {s.value:.2f}" for s in case.scores)
        verdict = "pass" if case.passed else "FAIL"
        print(f"{case.name}: {verdict} ({scores}){f' [{case.error}]' if case.error else ''}")
    means = ", ".join(f"{name} {value:.2f}" for name, value in report.score_means.items())
    print(f"{report.dataset}: {report.pass_rate:.0%} of {len(report.cases)} passed; means: {means}")


def expected_calls(case: Case) -> list[ExpectedCall]:
    """The case's expected calls; the arguments it names must match, others may differ."""
    return [
        ExpectedCall(c["name"], dict(c.get("arguments", {})), exact_arguments=False)
        for c in case.expected
    ]

"""``python -m evals.bfcl --model openai:gpt-4o-mini``: the BFCL suite against a live model."""

from __future__ import annotations

import argparse
import asyncio

from agentkit.durable import AgentKit
from agentkit.models import Model
from evals.bfcl import CATEGORIES, run_suite


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="openai:NAME, anthropic:NAME, litellm:NAME")
    parser.add_argument("--category", action="append", choices=sorted(CATEGORIES))
    parser.add_argument("--limit", type=int, default=None, help="cases per category")
    parser.add_argument("--database-url", default="sqlite:///.agentkit/bfcl.db")
    parser.add_argument("--report", default=None, help="write the JSON (or .html) report here")
    args = parser.parse_args()
    kit = AgentKit(args.database_url)
    report = asyncio.run(
        run_suite(
            kit,
            load_model(args.model),
            args.category or list(CATEGORIES),
            args.limit,
            progress=True,
        )
    )
    by_category: dict[str, list[bool]] = {}
    for case in report.cases:
        by_category.setdefault(case.name.rsplit("_", 1)[0], []).append(case.passed)
    for category, passed in by_category.items():
        print(f"{category}: {sum(passed)}/{len(passed)} ({sum(passed) / len(passed):.1%})")
    print(f"overall: {report.pass_rate:.1%} of {len(report.cases)}")
    if args.report:
        report.save(args.report)


if __name__ == "__main__":
    main()

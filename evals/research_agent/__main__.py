"""``python -m evals.research_agent [--model openai:gpt-4o]``: the research agent's eval suite."""

from __future__ import annotations

import asyncio

from evals._examples import arguments, load_model, show
from evals.research_agent import run_suite


def main() -> None:
    args = arguments(__doc__)
    report = asyncio.run(run_suite(None if args.model is None else load_model(args.model)))
    show(report)
    if args.report:
        report.save(args.report)


if __name__ == "__main__":
    main()

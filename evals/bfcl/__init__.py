"""BFCL (Berkeley Function Calling Leaderboard): single-turn tool calls, AST-matched.

The data ships in the ``bfcl-eval`` package (Apache-2.0; install it with
``pip install --no-deps bfcl-eval``: its own checker pulls in heavy model
configs, so only its data is used, read with ``importlib.resources``). Four
categories: ``simple`` (simple_python), ``multiple``, ``parallel`` and
``irrelevance``. Each case is one durable run (``bfcl``): one model call with
the case's functions as tools, recorded like any run; the calls it makes are
scored by `ast_match` against ``possible_answer`` (irrelevance: passing means
calling nothing).

    python -m evals.bfcl --model openai:gpt-4o-mini [--limit 20] [--category simple]
"""

from evals.bfcl._suite import (
    CATEGORIES,
    BFCLCase,
    ast_match,
    bfcl_dataset,
    ground_truth_answer,
    load_category,
    register,
    run_suite,
    wire_name,
)

__all__ = [
    "CATEGORIES",
    "BFCLCase",
    "ast_match",
    "bfcl_dataset",
    "ground_truth_answer",
    "load_category",
    "register",
    "run_suite",
    "wire_name",
]

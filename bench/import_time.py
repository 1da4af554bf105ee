"""Import cost: ``import agentkit`` (and its layers) next to pydantic's and asyncio's.

Each import runs in a fresh interpreter, ``--runs`` times; the best time counts
(the least disturbed by the rest of the machine). The floor is asyncio plus
pydantic's `BaseModel`, which every layer of agentkit uses. The script also
lists the heavy packages each import loaded, which is where the time goes when
a ratio grows.

    python bench/import_time.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

# pydantic loads its model machinery on first use of BaseModel; that is the floor.
FLOOR = "import asyncio; from pydantic import BaseModel, TypeAdapter"
MODULES = ("agentkit.durable", "agentkit", "agentkit.models", "agentkit.store.sql")
HEAVY = ("sqlalchemy", "sqlmodel", "openai", "anthropic", "litellm", "tiktoken", "httpx")
PROBE = (
    "import sys, time; t = time.perf_counter(); {statement}; "
    "took = time.perf_counter() - t; "
    "print(took, ','.join(m for m in {heavy!r} if m in sys.modules))"
)


# Bytecode is cached as on a user's machine: with PYTHONDONTWRITEBYTECODE (some
# CI images set it) every process would compile agentkit from source anew.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def best_of(statement: str, runs: int) -> tuple[float, str]:
    best, loaded = float("inf"), ""
    for _ in range(runs):
        code = PROBE.format(statement=statement, heavy=HEAVY)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV)
        out.check_returncode()
        took, loaded = out.stdout.split(" ", 1)
        best = min(best, float(took))
    return best, loaded.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    floor, _ = best_of(FLOOR, runs)
    print(f"{'import':<60}{'ms':>8}{'÷ floor':>9}  heavy packages loaded")
    for statement in (FLOOR, *(f"import {m}" for m in MODULES)):
        took, loaded = best_of(statement, runs)
        print(f"{statement:<60}{took * 1000:>8.1f}{took / floor:>9.2f}  {loaded or '-'}")


if __name__ == "__main__":
    main()

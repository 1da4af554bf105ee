"""The README's code runs as written, or at least compiles and names the current API.

Each ```python block must compile as a module (so no top-level ``await``: async
calls live in ``async def main()`` run by ``asyncio.run``), its imports must
resolve, and the only names it leaves undefined are the placeholders listed
here (the reader's own functions). A block with no placeholder is run as a
script. Every ``kit.method(...)`` the README shows exists, and is written with
``await`` exactly when it is a coroutine.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import re
import symtable
import sys
from pathlib import Path

import pytest

from agentkit import AgentKit
from tests.killing import run_process

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")

# Names a block uses without defining: stand-ins for the reader's own code.
PLACEHOLDERS = {
    "A durable function": [{"search_web", "read", "publish"}, set()],
    "Agents and tools": [{"archive", "mailer", "summarize"}],
    "Networks": [{"fetch_sources"}],
    "Model calls": [{"print_delta"}],
    "Memory": [{"model", "small_model"}],
    "Tools": [{"model"}],
    "Many runs in one process": [{"answer"}],
    "Dev UI and HTTP API": [{"kit"}, set()],
    "Flow control and triggers": [{"search_web", "index_document", "send_report"}],
}
RUNS_AS_WRITTEN = {
    ("A durable function", 1): "HELLO DURABLE AGENTS\n",
    ("Dev UI and HTTP API", 1): "",
}


def _blocks() -> list[tuple[str, int, str]]:
    """(section heading, index within the section, code) of each ```python block."""
    found: list[tuple[str, int, str]] = []
    section, index = "", 0
    for match in re.finditer(r"^## ([^\n]+)$|^```python\n(.*?)^```$", README, re.M | re.S):
        if match.group(1):
            section, index = match.group(1), 0
        else:
            found.append((section, index, match.group(2)))
            index += 1
    return found


BLOCKS = _blocks()
IDS = [f"{section}#{index}" for section, index, _ in BLOCKS]


def _undefined_names(code: str) -> set[str]:
    """Global names the code reads but neither defines, imports nor gets from builtins."""
    module = symtable.symtable(code, "<readme>", "exec")
    defined = {s.get_name() for s in module.get_symbols() if s.is_assigned() or s.is_imported()}
    used: set[str] = set()
    tables = [module]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        used |= {
            s.get_name()
            for s in table.get_symbols()
            if s.is_referenced() and (s.is_global() or table is module)
        }
    return used - defined - set(dir(builtins))


def test_the_readme_has_the_blocks_this_test_knows() -> None:
    sections = {section: index + 1 for section, index, _ in BLOCKS}
    assert sections == {section: len(names) for section, names in PLACEHOLDERS.items()}


@pytest.mark.parametrize(("section", "index", "code"), BLOCKS, ids=IDS)
def test_block_compiles_without_top_level_await(section: str, index: int, code: str) -> None:
    compile(code, f"README.md, {section} #{index}", "exec")


@pytest.mark.parametrize(("section", "index", "code"), BLOCKS, ids=IDS)
def test_block_imports_resolve(section: str, index: int, code: str) -> None:
    imports = [n for n in ast.parse(code).body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert imports, "a block shows its imports"
    exec(compile(ast.Module(body=imports, type_ignores=[]), "<readme imports>", "exec"), {})


@pytest.mark.parametrize(("section", "index", "code"), BLOCKS, ids=IDS)
def test_block_leaves_only_its_placeholders_undefined(section: str, index: int, code: str) -> None:
    assert _undefined_names(code) == PLACEHOLDERS[section][index]


@pytest.mark.parametrize(
    ("section", "index", "code"),
    [block for block in BLOCKS if not PLACEHOLDERS[block[0]][block[1]]],
    ids=[i for i, b in zip(IDS, BLOCKS, strict=True) if not PLACEHOLDERS[b[0]][b[1]]],
)
def test_complete_block_runs_as_written(
    section: str, index: int, code: str, tmp_path: Path
) -> None:
    script = tmp_path / "readme_block.py"
    script.write_text(code, encoding="utf-8")
    done = run_process([sys.executable, str(script)], cwd=tmp_path, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == RUNS_AS_WRITTEN[section, index]


def test_kit_methods_exist_and_are_awaited_when_async() -> None:
    shown = re.findall(r"(await\s+)?\bkit\.(\w+)\(", README)
    assert len(shown) >= 10
    wrong = []
    for awaited, name in shown:
        method = getattr(AgentKit, name, None)
        if method is None:
            wrong.append(f"kit.{name} does not exist")
        elif inspect.iscoroutinefunction(method) != bool(awaited):
            wrong.append(f"kit.{name} is {'' if awaited else 'not '}awaited")
    assert wrong == []

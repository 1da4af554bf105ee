"""The file tools: line ranges, writes, lists, globs, grep, edits and diffs; in an agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit import Agent, AgentKit, ToolRetry, start_agent
from agentkit.models import ScriptedModel
from agentkit.tools import FileLimits, Toolset, file_tools
from tests.tools.conftest import drain


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "calc.py").write_text("def add(a, b):\n    return a - b\n\n\nX = 1\n")
    (tmp_path / "README.md").write_text("calc\n")
    return tmp_path


def test_read_with_line_numbers_and_ranges(ws: Path) -> None:
    read = file_tools(ws).get("read_file").fn
    assert read(path="src/calc.py") == (
        "     1\tdef add(a, b):\n     2\t    return a - b\n     3\t\n     4\t\n     5\tX = 1"
    )
    assert read(path="src/calc.py", start_line=2, end_line=2) == "     2\t    return a - b"
    assert read(path="src/calc.py", start_line=9) == "[src/calc.py has 5 lines; none in 9..None]"
    with pytest.raises(ToolRetry, match=r"bad line range 3\.\.2"):
        read(path="src/calc.py", start_line=3, end_line=2)


def test_a_long_read_stops_at_the_limit_and_says_where_to_read_on(ws: Path) -> None:
    (ws / "long.txt").write_text("".join(f"line {i}\n" for i in range(1, 101)))
    read = file_tools(ws, limits=FileLimits(max_read_chars=60)).get("read_file").fn
    assert read(path="long.txt") == (
        "     1\tline 1\n     2\tline 2\n     3\tline 3\n     4\tline 4\n"
        "[read limit reached: lines 1-4 of 100 shown; read on with start_line=5]"
    )


def test_write_creates_folders_and_list_glob_grep_see_it(ws: Path) -> None:
    files = file_tools(ws)
    assert files.get("write_file").fn(path="tests/test_calc.py", content="import calc\n") == (
        "wrote 12 bytes to tests/test_calc.py"
    )
    assert (ws / "tests" / "test_calc.py").read_text() == "import calc\n"
    assert files.get("list_dir").fn() == "README.md  5 bytes\nsrc/\ntests/"
    assert files.get("glob").fn(pattern="*.py") == "src/calc.py\ntests/test_calc.py"
    assert (
        files.get("grep").fn(pattern=r"calc\b")
        == "README.md:1: calc\ntests/test_calc.py:1: import calc"
    )
    assert files.get("grep").fn(pattern="calc", include="tests/*") == (
        "tests/test_calc.py:1: import calc"
    )


def test_edit_replaces_exactly_one_occurrence(ws: Path) -> None:
    edit = file_tools(ws).get("edit_file").fn
    assert edit(path="src/calc.py", old="a - b", new="a + b") == (
        "replaced 1 occurrence(s) in src/calc.py"
    )
    assert (ws / "src" / "calc.py").read_text().startswith("def add(a, b):\n    return a + b\n")
    assert edit(path="src/calc.py", old="a - b", new="a + b") == (
        "already replaced in src/calc.py (the new text is there, the old is not)"
    )
    with pytest.raises(ToolRetry, match=r"is not in .src/calc\.py."):
        edit(path="src/calc.py", old="a * b", new="x")
    with pytest.raises(ToolRetry, match="occurs 2 times"):
        edit(path="src/calc.py", old="b", new="c")


def test_a_unified_diff_applies_even_with_shifted_line_numbers(ws: Path) -> None:
    patch = file_tools(ws).get("apply_patch").fn
    diff = (
        "--- a/src/calc.py\n+++ b/src/calc.py\n@@ -4,3 +4,3 @@\n def add(a, b):\n"
        "-    return a - b\n+    return a + b\n \n"
        "--- /dev/null\n+++ b/NEW.md\n@@ -0,0 +1,2 @@\n+new\n+file\n"
    )
    assert patch(diff=diff) == "patched src/calc.py, NEW.md"
    assert (ws / "src" / "calc.py").read_text() == "def add(a, b):\n    return a + b\n\n\nX = 1\n"
    assert (ws / "NEW.md").read_text() == "new\nfile\n"
    # Applied again (a step re-run after a crash): already there, nothing changes.
    assert patch(diff=diff) == "patched src/calc.py, NEW.md"
    assert (ws / "src" / "calc.py").read_text() == "def add(a, b):\n    return a + b\n\n\nX = 1\n"
    (ws / "NEW.md").write_text("other\n")
    with pytest.raises(ToolRetry, match=r"'NEW\.md' already exists; the diff creates it"):
        patch(diff=diff)


def test_a_diff_that_does_not_apply_changes_nothing(ws: Path) -> None:
    patch = file_tools(ws).get("apply_patch").fn
    diff = (
        "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-calc\n+CALC\n"
        "--- a/src/calc.py\n+++ b/src/calc.py\n@@ -1 +1 @@\n-def sub(a, b):\n+def f():\n"
    )
    with pytest.raises(ToolRetry, match=r"hunk 1 of 'src/calc.py' does not apply.*'def sub"):
        patch(diff=diff)
    assert (ws / "README.md").read_text() == "calc\n"
    with pytest.raises(ToolRetry, match="no hunks found"):
        patch(diff="just some text")


def test_read_only_leaves_out_the_tools_that_change_files(ws: Path) -> None:
    assert [t.name for t in file_tools(ws, read_only=True)] == [
        "read_file",
        "list_dir",
        "glob",
        "grep",
    ]
    gated = file_tools(ws, writes_need_approval=True)
    assert {t.name: t.needs_approval for t in gated} == {
        "read_file": False,
        "list_dir": False,
        "glob": False,
        "grep": False,
        "write_file": True,
        "edit_file": True,
        "apply_patch": True,
    }


async def test_an_agent_takes_a_toolset_and_each_call_is_a_step(kit: AgentKit, ws: Path) -> None:
    model = ScriptedModel(
        [
            ScriptedModel.tool_call(
                "edit_file", {"path": "src/calc.py", "old": "a - b", "new": "a + b"}
            ),
            ScriptedModel.tool_call(
                "read_file", {"path": "src/calc.py", "start_line": 2, "end_line": 2}
            ),
            "fixed",
        ]
    )
    agent = Agent("coder", "You fix code.", model, [file_tools(ws)])
    handle = await start_agent(kit, agent, "fix add")
    await drain(kit)
    result = await handle.result()
    assert result.output == "fixed"
    assert [r.content for r in result.tool_results] == [
        "replaced 1 occurrence(s) in src/calc.py",
        "     2\t    return a + b",
    ]
    assert [s.key for s in kit.journal(handle.id)] == [
        "coder/infer",
        "coder/tool/edit_file",
        "coder/infer#1",
        "coder/tool/read_file",
        "coder/infer#2",
    ]


async def test_a_toolset_can_require_approval_for_its_whole_group(kit: AgentKit, ws: Path) -> None:
    toolset = Toolset(file_tools(ws), name="files", needs_approval=True)
    model = ScriptedModel([ScriptedModel.tool_call("list_dir", {"path": "."}), "listed"])
    handle = await start_agent(kit, Agent("lister", "List.", model, [toolset]), "ls")
    await drain(kit)
    assert handle.status() == "waiting"
    [token] = handle.tokens()
    assert token.step_key == "lister/approve/list_dir"
    kit.complete_token(token.token, {"approved": True})
    await drain(kit)
    result = await handle.result()
    assert [r.content for r in result.tool_results] == ["README.md  5 bytes\nsrc/"]

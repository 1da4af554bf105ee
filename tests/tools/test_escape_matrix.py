"""The escape matrix: attempts to leave the workspace or the shell's limits, all stopped.

Every row is one attempt against the real tools (files, shell, Python) on a
real temporary workspace, next to an ``outside`` folder holding a secret. A
refused attempt raises `ToolRetry` (the model reads why) and changes nothing;
a contained one runs but cannot reach past its limits.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentkit import ToolRetry
from agentkit.tools import FileLimits, Limits, file_tools, python_tools, shell_tools
from tests.killing import deadline

SECRET = "TOP-SECRET-outside-the-workspace"


@dataclass
class Sandbox:
    root: Path
    outside: Path
    files: Any
    shell: Any
    python: Any

    def call(self, toolset: Any, name: str, **arguments: Any) -> Any:
        return toolset.get(name).fn(**arguments)


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    root = tmp_path / "ws"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (root / "notes.txt").write_text("inside\n")
    return Sandbox(
        root=root,
        outside=outside,
        files=file_tools(root, limits=FileLimits(max_file_bytes=100_000)),
        shell=shell_tools(
            root,
            allow=["cat", "ls", "env", "echo"],
            limits=Limits(timeout=10),
        ),
        python=python_tools(root, limits=Limits(timeout=10, memory_bytes=512 * 1024**2)),
    )


def _refused(box: Sandbox, toolset: str, name: str, match: str, **arguments: Any) -> None:
    with pytest.raises(ToolRetry, match=match):
        result = box.call(getattr(box, toolset), name, **arguments)
        if hasattr(result, "__await__"):
            import asyncio

            asyncio.run(result)


def _untouched(box: Sandbox) -> None:
    assert (box.outside / "secret.txt").read_text() == SECRET
    assert sorted(p.name for p in box.outside.iterdir()) == ["secret.txt"]


Row = Callable[[Sandbox], None]
ROWS: dict[str, Row] = {}


def row(name: str) -> Callable[[Row], Row]:
    def register(fn: Row) -> Row:
        ROWS[name] = fn
        return fn

    return register


@row("traversal: read ../outside/secret.txt")
def _(box: Sandbox) -> None:
    _refused(box, "files", "read_file", "contains '..'", path="../outside/secret.txt")


@row("traversal: nested a/../../outside/secret.txt")
def _(box: Sandbox) -> None:
    _refused(box, "files", "read_file", "contains '..'", path="a/../../outside/secret.txt")


@row("traversal: write ../outside/new.txt")
def _(box: Sandbox) -> None:
    _refused(box, "files", "write_file", "contains '..'", path="../outside/new.txt", content="x")
    _untouched(box)


@row("absolute: read /etc/passwd")
def _(box: Sandbox) -> None:
    _refused(box, "files", "read_file", "is absolute", path="/etc/passwd")


@row("absolute: the workspace's own absolute path")
def _(box: Sandbox) -> None:
    _refused(box, "files", "read_file", "is absolute", path=str(box.root / "notes.txt"))


@row("home: ~/.ssh/id_rsa")
def _(box: Sandbox) -> None:
    _refused(box, "files", "read_file", "is absolute", path="~/.ssh/id_rsa")


@row("NUL byte in a path")
def _(box: Sandbox) -> None:
    _refused(box, "files", "read_file", "NUL byte", path="notes.txt\x00../../etc/passwd")


@row("symlink: a file link to the secret")
def _(box: Sandbox) -> None:
    (box.root / "link.txt").symlink_to(box.outside / "secret.txt")
    _refused(box, "files", "read_file", "symlink", path="link.txt")


@row("symlink: write through a file link")
def _(box: Sandbox) -> None:
    (box.root / "link.txt").symlink_to(box.outside / "secret.txt")
    _refused(box, "files", "write_file", "symlink", path="link.txt", content="pwned")
    _untouched(box)


@row("symlink: a folder link to outside")
def _(box: Sandbox) -> None:
    (box.root / "out").symlink_to(box.outside)
    _refused(box, "files", "read_file", "symlink", path="out/secret.txt")
    _refused(box, "files", "write_file", "symlink", path="out/new.txt", content="x")
    _untouched(box)


@row("symlink: grep and glob do not walk into a folder link")
def _(box: Sandbox) -> None:
    (box.root / "out").symlink_to(box.outside)
    assert SECRET not in box.call(box.files, "grep", pattern="SECRET")
    assert box.call(box.files, "glob", pattern="*secret*") == "[no file matches '*secret*']"


@row("symlink race: a folder swapped for a link while reading")
def _(box: Sandbox) -> None:
    inner = box.root / "d"
    inner.mkdir()
    (inner / "secret.txt").write_text("inside copy\n")
    real = box.root / "d.real"
    stop = threading.Event()

    def swap() -> None:  # d is a real folder, then a link to outside, and back
        while not stop.is_set():
            os.rename(inner, real)
            os.symlink(box.outside, inner)
            os.unlink(inner)
            os.rename(real, inner)

    swapper = threading.Thread(target=swap)
    swapper.start()
    seen: set[str] = set()
    attempts = 0
    # At least 2,000 reads, and on until one landed while d was the real
    # folder (on a loaded machine the swapper may win many in a row).
    limit = time.monotonic() + deadline(30)
    try:
        while attempts < 2000 or ("     1\tinside copy" not in seen and time.monotonic() < limit):
            attempts += 1
            try:
                seen.add(box.call(box.files, "read_file", path="d/secret.txt"))
            except ToolRetry:
                seen.add("refused")
    finally:
        stop.set()
        swapper.join()
    assert not any(SECRET in text for text in seen)
    assert "     1\tinside copy" in seen


@row("hard link to a file outside")
def _(box: Sandbox) -> None:
    os.link(box.outside / "secret.txt", box.root / "hard.txt")
    _refused(box, "files", "read_file", "hard links", path="hard.txt")
    _refused(box, "files", "write_file", "hard links", path="hard.txt", content="pwned")
    _refused(box, "files", "edit_file", "hard links", path="hard.txt", old="TOP", new="x")
    _untouched(box)


@row("device file: a character device in the workspace")
def _(box: Sandbox) -> None:
    os.mknod(box.root / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    _refused(box, "files", "read_file", "special file", path="null")
    _refused(box, "files", "write_file", "special file", path="null", content="x")


@row("special file: a FIFO (a read would block forever)")
def _(box: Sandbox) -> None:
    os.mkfifo(box.root / "pipe")
    _refused(box, "files", "read_file", "special file", path="pipe")


@row("special file: a unix socket")
def _(box: Sandbox) -> None:
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(box.root / "sock"))
        _refused(box, "files", "read_file", "special file", path="sock")
    finally:
        server.close()


@row("huge file refused")
def _(box: Sandbox) -> None:
    (box.root / "big.txt").write_text("x" * 200_000)
    _refused(box, "files", "read_file", "over the 100000-byte limit", path="big.txt")


@row("binary file refused")
def _(box: Sandbox) -> None:
    (box.root / "blob.bin").write_bytes(b"\x7fELF\x00\x01\x02")
    _refused(box, "files", "read_file", "binary file", path="blob.bin")


@row("patch: a diff whose file is ../outside/secret.txt")
def _(box: Sandbox) -> None:
    diff = (
        "--- a/../outside/secret.txt\n+++ b/../outside/secret.txt\n"
        f"@@ -1 +1 @@\n-{SECRET}\n+pwned\n"
    )
    _refused(box, "files", "apply_patch", "contains '..'", diff=diff)
    _untouched(box)


@row("git hook: writing .git/hooks/pre-commit (run by the next commit)")
def _(box: Sandbox) -> None:
    (box.root / ".git" / "hooks").mkdir(parents=True)
    _refused(
        box, "files", "write_file", "inside .git", path=".git/hooks/pre-commit", content="#!/bin/sh"
    )
    _refused(box, "files", "write_file", "inside .git", path="sub/./.git/config", content="x")
    assert list((box.root / ".git" / "hooks").iterdir()) == []


@row("list the folder above the workspace")
def _(box: Sandbox) -> None:
    _refused(box, "files", "list_dir", "contains '..'", path="..")


@row("shell: a command not on the allow-list")
def _(box: Sandbox) -> None:
    _refused(box, "shell", "run_command", "not allowed", argv=["rm", "-rf", "."])
    _refused(box, "shell", "run_command", "not allowed", argv=["sh", "-c", "cat ../x"])
    assert (box.root / "notes.txt").exists()


@row("shell: metacharacters are one argument, not a shell")
def _(box: Sandbox) -> None:
    _refused(box, "shell", "run_command", "not allowed", argv=["ls; cat /etc/passwd"])
    out = _run(box.call(box.shell, "run_command", argv=["echo", "$(id)", ";", "|", "x"]))
    assert out == "$(id) ; | x\n[exit code 0]"


@row("shell: absolute and climbing arguments")
def _(box: Sandbox) -> None:
    secret = str(box.outside / "secret.txt")
    _refused(box, "shell", "run_command", "absolute path", argv=["cat", secret])
    _refused(box, "shell", "run_command", "contains '..'", argv=["cat", "../outside/secret.txt"])
    _refused(box, "shell", "run_command", "absolute path", argv=["cat", f"--file={secret}"])
    _refused(box, "shell", "run_command", "contains '..'", argv=["ls"], cwd="..")


@row("shell: a cwd that is a folder link to outside")
def _(box: Sandbox) -> None:
    (box.root / "sub").mkdir()
    (box.root / "sub" / "here.txt").write_text("inside\n")
    _refused(box, "shell", "run_command", "does not exist", argv=["ls"], cwd="out")
    (box.root / "out").symlink_to(box.outside)
    _refused(box, "shell", "run_command", "symlink", argv=["ls"], cwd="out")
    assert _run(box.call(box.shell, "run_command", argv=["ls"], cwd="sub")) == (
        "here.txt\n[exit code 0]"
    )


@row("shell: secrets in the environment are not passed")
def _(box: Sandbox) -> None:
    os.environ["OPENAI_API_KEY"] = "sk-test-should-not-leak"
    try:
        out = _run(box.call(box.shell, "run_command", argv=["env"]))
    finally:
        del os.environ["OPENAI_API_KEY"]
    assert "sk-test-should-not-leak" not in out
    assert "OPENAI_API_KEY" not in out
    assert f"HOME={box.root}" in out
    with pytest.raises(ValueError, match="GITHUB_TOKEN"):
        shell_tools(box.root, allow=["env"], env={"GITHUB_TOKEN": "ghp_x"})


@row("huge output: capped, the rest counted")
def _(box: Sandbox) -> None:
    python = python_tools(box.root, limits=Limits(timeout=20, max_output=1000))
    out = _run(box.call(python, "run_python", code="print('y' * 5_000_000)"))
    assert out.startswith("y" * 1000 + "\n[output truncated: 4999001 more bytes not shown]")
    assert out.endswith("[exit code 0]")


@row("timeout: the process group is killed")
def _(box: Sandbox) -> None:
    python = python_tools(box.root, limits=Limits(timeout=1))
    out = _run(box.call(python, "run_python", code="import time\ntime.sleep(60)"))
    assert out == "[killed: timed out]"


@row("fork bomb under the limits: every process killed")
def _(box: Sandbox) -> None:
    code = (
        "import os, time\n"
        "for _ in range(6):\n"
        "    if os.fork() == 0:\n"
        "        pass\n"
        "with open('pids.txt', 'a') as f:\n"
        "    f.write(f'{os.getpid()}\\n')\n"
        "time.sleep(120)\n"
    )
    python = python_tools(box.root, limits=Limits(timeout=3))
    out = _run(box.call(python, "run_python", code=code))
    assert out == "[killed: timed out]"
    pids = [int(p) for p in (box.root / "pids.txt").read_text().split()]
    assert len(pids) >= 2
    # SIGKILL is delivered asynchronously: give the kernel a moment to finish them.
    stop = time.monotonic() + deadline(10)
    while any(_alive(pid) for pid in pids) and time.monotonic() < stop:
        time.sleep(0.05)
    assert [pid for pid in pids if _alive(pid)] == []


@row("memory limit: a 2 GB allocation fails")
def _(box: Sandbox) -> None:
    out = _run(box.call(box.python, "run_python", code="b = bytearray(2 * 1024**3)"))
    assert "MemoryError" in out
    assert out.endswith("[exit code 1]")


@row("file size limit: a command cannot write a huge file")
def _(box: Sandbox) -> None:
    python = python_tools(box.root, limits=Limits(timeout=10, file_bytes=1024**2))
    out = _run(
        box.call(python, "run_python", code="open('huge.bin', 'wb').write(b'x' * 10 * 1024**2)")
    )
    assert "File too large" in out or "exit code -25" in out
    assert (box.root / "huge.bin").stat().st_size <= 1024**2


def _run(result: Any) -> str:
    import asyncio

    return str(asyncio.run(result)) if hasattr(result, "__await__") else str(result)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_matrix_has_at_least_twenty_attempts() -> None:
    assert len(ROWS) >= 20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="rlimits and /proc are Linux")
@pytest.mark.parametrize("name", list(ROWS))
def test_escape_attempt_is_refused_or_contained(box: Sandbox, name: str) -> None:
    ROWS[name](box)

"""File tools jailed to a `Workspace`: read, write, list, glob, grep, edit, patch.

Each tool is a `FunctionTool`, so each call is one durable step. A refusal
(a path out of the workspace, a binary or huge file) is a `ToolRetry`: the
model reads why and may try again; nothing is touched.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass

from agentkit.agents import FunctionTool, ToolRetry, Toolset
from agentkit.tools._patch import PatchError, apply_hunks, parse_unified_diff
from agentkit.tools._workspace import PathRefused, Workspace

__all__ = ["FileLimits", "file_tools"]

_BINARY_SNIFF = 8192


@dataclass(frozen=True)
class FileLimits:
    """Caps for the file tools.

    Attributes:
        max_file_bytes: Files larger than this are refused outright (read, edit, grep).
        max_read_chars: Most characters one read returns (then it says how to read on).
        max_write_bytes: Largest content one write or edit may produce.
        max_results: Most entries a list, glob or grep returns.
    """

    max_file_bytes: int = 2_000_000
    max_read_chars: int = 50_000
    max_write_bytes: int = 2_000_000
    max_results: int = 200


class _Files:
    def __init__(self, workspace: Workspace, limits: FileLimits) -> None:
        self.ws = workspace
        self.limits = limits

    # -- bytes in and out ---------------------------------------------------

    def load(self, path: str) -> str:
        with self.ws.open_file(path) as fd:
            size = os.fstat(fd).st_size
            if size > self.limits.max_file_bytes:
                raise ToolRetry(
                    f"{path!r} is {size} bytes, over the {self.limits.max_file_bytes}-byte "
                    "limit; it is refused"
                )
            data = _read_all(fd, self.limits.max_file_bytes + 1)
        return _decode(data, path)

    def store(self, path: str, text: str, *, create: bool) -> int:
        data = text.encode()
        if len(data) > self.limits.max_write_bytes:
            raise ToolRetry(
                f"content for {path!r} is {len(data)} bytes, over the "
                f"{self.limits.max_write_bytes}-byte limit"
            )
        if create:
            self.make_parents(path)
        with self.ws.open_file(path, write=True, create=create) as fd:
            os.ftruncate(fd, 0)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        return len(data)

    def make_parents(self, path: str) -> None:
        parts = self.ws.parts(path)
        for depth in range(1, len(parts)):
            parent, name = "/".join(parts[: depth - 1]) or ".", parts[depth - 1]
            with self.ws.directory(parent) as fd:
                try:
                    os.mkdir(name, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass

    # -- tools ----------------------------------------------------------------

    def read_file(self, path: str, start_line: int = 1, end_line: int | None = None) -> str:
        """Read a text file of the workspace, with line numbers.

        Args:
            path: Path relative to the workspace root.
            start_line: First line to return (1-based).
            end_line: Last line to return (default: as many as fit the read limit).
        """
        lines = self.load(path).splitlines()
        if start_line < 1 or (end_line is not None and end_line < start_line):
            raise ToolRetry(f"bad line range {start_line}..{end_line}; lines start at 1")
        last = len(lines) if end_line is None else min(end_line, len(lines))
        shown: list[str] = []
        used = 0
        for number in range(start_line, last + 1):
            line = f"{number:>6}\t{lines[number - 1]}"
            if used + len(line) > self.limits.max_read_chars and shown:
                shown.append(
                    f"[read limit reached: lines {start_line}-{number - 1} of {len(lines)} shown; "
                    f"read on with start_line={number}]"
                )
                break
            shown.append(line)
            used += len(line) + 1
        if not shown:
            return f"[{path} has {len(lines)} lines; none in {start_line}..{end_line}]"
        return "\n".join(shown)

    def write_file(self, path: str, content: str) -> str:
        """Create or overwrite a text file in the workspace (parent folders are created).

        Args:
            path: Path relative to the workspace root.
            content: The whole new content.
        """
        size = self.store(path, content, create=True)
        return f"wrote {size} bytes to {path}"

    def list_dir(self, path: str = ".") -> str:
        """List a folder of the workspace: names, with '/' after folders, and file sizes.

        Args:
            path: Folder relative to the workspace root.
        """
        with self.ws.directory(path) as fd:
            names = sorted(os.listdir(fd))
            rows = [
                _describe(name, os.stat(name, dir_fd=fd, follow_symlinks=False)) for name in names
            ]
        return _capped(rows, self.limits.max_results) or f"[{path} is empty]"

    def glob(self, pattern: str) -> str:
        """Find files whose workspace-relative path matches a glob ('*' also crosses folders).

        Args:
            pattern: For example 'src/*.py' or '*test_*.py'.
        """
        found = [rel for rel, _ in self.walk(".") if fnmatch.fnmatchcase(rel, pattern)]
        return _capped(found, self.limits.max_results) or f"[no file matches {pattern!r}]"

    def grep(self, pattern: str, path: str = ".", include: str | None = None) -> str:
        """Search text files for a regular expression; lines as 'path:line: text'.

        Args:
            pattern: A Python regular expression.
            path: Folder to search, relative to the workspace root.
            include: Only files whose path matches this glob.
        """
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ToolRetry(f"bad regular expression {pattern!r}: {exc}") from exc
        hits: list[str] = []
        for rel, size in self.walk(path):
            if include is not None and not fnmatch.fnmatchcase(rel, include):
                continue
            if size > self.limits.max_file_bytes:
                continue
            try:
                text = self.load(rel)
            except ToolRetry:  # binary, special or vanished: not searchable
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if regex.search(line):
                    hits.append(f"{rel}:{number}: {line[:300]}")
            if len(hits) > self.limits.max_results:
                break
        return _capped(hits, self.limits.max_results) or f"[no match for {pattern!r}]"

    def edit_file(self, path: str, old: str, new: str, replace_all: bool = False) -> str:
        """Replace an exact piece of text in a file (it must occur once unless replace_all).

        Args:
            path: Path relative to the workspace root.
            old: The exact text to replace, with enough context to be unique.
            new: The replacement text.
            replace_all: Replace every occurrence.
        """
        if not old:
            raise ToolRetry("old must not be empty; use write_file to create a file")
        text = self.load(path)
        count = text.count(old)
        if count == 0 and new and new in text:
            # A step re-run after a crash (or a repeated call): the edit is there.
            return f"already replaced in {path} (the new text is there, the old is not)"
        if count == 0:
            raise ToolRetry(f"the text to replace is not in {path!r}; read the file again")
        if count > 1 and not replace_all:
            raise ToolRetry(
                f"the text to replace occurs {count} times in {path!r}; add context "
                "to make it unique, or set replace_all"
            )
        self.store(path, text.replace(old, new), create=False)
        return f"replaced {count if replace_all else 1} occurrence(s) in {path}"

    def apply_patch(self, diff: str) -> str:
        """Apply a unified diff ('--- a/path', '+++ b/path', '@@' hunks) to workspace files.

        Args:
            diff: The unified diff; every hunk must apply or nothing changes.
        """
        try:
            patches = parse_unified_diff(diff)
            results: list[tuple[str, str | None]] = []
            for patch in patches:
                target = patch.new_path or patch.old_path
                if target is None:
                    raise PatchError("a file patch names /dev/null on both sides")
                old = "" if patch.old_path is None else self.load(patch.old_path)
                new = apply_hunks(old, patch.hunks, target)
                if patch.old_path is None and self.exists(target) and self.load(target) != new:
                    raise PatchError(f"{target!r} already exists; the diff creates it")
                results.append((target, None if patch.new_path is None else new))
        except PatchError as exc:
            raise ToolRetry(str(exc)) from exc
        for target, text in results:
            if text is None:
                self.remove(target)
            else:
                self.store(target, text, create=True)
        return "patched " + ", ".join(target for target, _ in results)

    def exists(self, path: str) -> bool:
        try:
            with self.ws.open_file(path):
                return True
        except PathRefused as exc:
            if "does not exist" in str(exc):
                return False
            raise

    def remove(self, path: str) -> None:
        parts = self.ws.parts(path)
        with self.ws.open_file(path):  # a regular file with one link, inside
            pass
        with self.ws.directory("/".join(parts[:-1]) or ".") as fd:
            os.unlink(parts[-1], dir_fd=fd)

    def walk(self, path: str) -> list[tuple[str, int]]:
        """Regular files under ``path`` (never through a symlink), sorted, with sizes."""
        found: list[tuple[str, int]] = []
        base = self.ws.parts(path)
        with self.ws.directory(path) as top:
            for folder, dirs, files, fd in os.fwalk(".", dir_fd=top, follow_symlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".git"))
                for name in sorted(files):
                    info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    if stat.S_ISREG(info.st_mode):
                        rel = os.path.normpath(os.path.join(*base, folder, name))
                        found.append((rel, info.st_size))
        return found


def _read_all(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = os.read(fd, min(1 << 16, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _decode(data: bytes, path: str) -> str:
    if b"\x00" in data[:_BINARY_SNIFF]:
        raise ToolRetry(f"{path!r} is a binary file; only text files can be read")
    try:
        return data.decode()
    except UnicodeDecodeError as exc:
        raise ToolRetry(f"{path!r} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _describe(name: str, info: os.stat_result) -> str:
    if stat.S_ISDIR(info.st_mode):
        return f"{name}/"
    if stat.S_ISLNK(info.st_mode):
        return f"{name} (symlink, not followed)"
    if not stat.S_ISREG(info.st_mode):
        return f"{name} (special file)"
    return f"{name}  {info.st_size} bytes"


def _capped(rows: list[str], limit: int) -> str:
    if len(rows) > limit:
        return "\n".join([*rows[:limit], f"[{len(rows) - limit} more not shown]"])
    return "\n".join(rows)


def file_tools(
    root: str | os.PathLike[str] | Workspace,
    *,
    limits: FileLimits | None = None,
    writes_need_approval: bool | Callable[..., bool] = False,
    read_only: bool = False,
) -> Toolset:
    """The file tools for a workspace, as a `Toolset` named ``files``.

    Tools: ``read_file``, ``list_dir``, ``glob``, ``grep`` and, unless
    ``read_only``, ``write_file``, ``edit_file`` and ``apply_patch``.

    Args:
        root: The workspace root (a directory) or a `Workspace`.
        limits: Size and result caps.
        writes_need_approval: ``needs_approval`` for the tools that change files.
        read_only: Leave out the tools that change files.
    """
    workspace = root if isinstance(root, Workspace) else Workspace(root)
    files = _Files(workspace, limits or FileLimits())
    tools = [
        FunctionTool(files.read_file, name="read_file"),
        FunctionTool(files.list_dir, name="list_dir"),
        FunctionTool(files.glob, name="glob"),
        FunctionTool(files.grep, name="grep"),
    ]
    if not read_only:
        for method in (files.write_file, files.edit_file, files.apply_patch):
            tools.append(
                FunctionTool(method, name=method.__name__, needs_approval=writes_need_approval)
            )
    return Toolset(tools, name="files")

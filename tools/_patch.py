"""Unified diffs: parse them and apply their hunks to text, pure functions.

Hunks are matched on their context and removed lines, at the line the header
names or, failing that, at the nearest line where they match exactly (a model's
line numbers are often a little off; its context lines are usually right).
Nothing is applied unless every hunk of every file matches; a hunk whose
result is already in the file counts as applied, so applying a diff twice is
harmless (a step re-run after a crash).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["FilePatch", "PatchError", "apply_hunks", "parse_unified_diff"]

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(ValueError):
    """The diff cannot be read, or does not apply; the message says where."""


@dataclass
class Hunk:
    """One ``@@`` block: its old start line (1-based) and its lines with their prefixes."""

    old_start: int
    lines: list[str] = field(default_factory=list)

    @property
    def old(self) -> list[str]:
        return [line[1:] for line in self.lines if line[:1] in (" ", "-")]

    @property
    def new(self) -> list[str]:
        return [line[1:] for line in self.lines if line[:1] in (" ", "+")]


@dataclass
class FilePatch:
    """The hunks for one file; ``old_path`` is None for a new file, ``new_path`` for a deletion."""

    old_path: str | None
    new_path: str | None
    hunks: list[Hunk] = field(default_factory=list)


def _path(header: str) -> str | None:
    name = header.split("\t", 1)[0].strip()
    if name == "/dev/null":
        return None
    if name.startswith(("a/", "b/")):
        name = name[2:]
    return name


def parse_unified_diff(diff: str) -> list[FilePatch]:
    """The file patches of a unified diff (``---``/``+++`` headers, ``@@`` hunks)."""
    patches: list[FilePatch] = []
    lines = diff.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if (
            line.startswith("--- ")
            and index + 1 < len(lines)
            and lines[index + 1].startswith("+++ ")
        ):
            patches.append(FilePatch(_path(line[4:]), _path(lines[index + 1][4:])))
            index += 2
            continue
        match = _HUNK.match(line)
        if match:
            if not patches:
                raise PatchError(f"line {index + 1}: a hunk before any '--- '/'+++ ' file header")
            hunk = Hunk(old_start=int(match.group(1)))
            patches[-1].hunks.append(hunk)
            index += 1
            while index < len(lines) and lines[index][:1] in (" ", "-", "+", "\\", ""):
                body = lines[index]
                if body.startswith(("--- ", "+++ ")) and _is_header(lines, index):
                    break
                if body.startswith("\\"):  # "\ No newline at end of file"
                    index += 1
                    continue
                hunk.lines.append(body if body else " ")
                index += 1
            continue
        index += 1
    if not patches or not any(p.hunks for p in patches):
        raise PatchError("no hunks found; send a unified diff with '--- a/x', '+++ b/x' and '@@'")
    return patches


def _is_header(lines: list[str], index: int) -> bool:
    return (
        lines[index].startswith("--- ")
        and index + 1 < len(lines)
        and lines[index + 1].startswith("+++ ")
    )


def _find(lines: list[str], wanted: list[str], hint: int) -> int | None:
    if not wanted:
        return min(max(hint, 0), len(lines))
    candidates = range(len(lines) - len(wanted) + 1)
    for start in sorted(candidates, key=lambda s: abs(s - hint)):
        if lines[start : start + len(wanted)] == wanted:
            return start
    return None


def apply_hunks(text: str, hunks: list[Hunk], path: str) -> str:
    """``text`` with ``hunks`` applied, in order.

    Raises:
        PatchError: a hunk's context or removed lines are not in the file.
    """
    lines = text.splitlines()
    trailing_newline = text.endswith("\n") or not text
    offset = 0
    for number, hunk in enumerate(hunks, 1):
        expected = hunk.old_start - 1 + offset
        start = _find(lines, hunk.old, expected)
        if start is None and hunk.new != hunk.old:
            # Already applied (a step re-run after a crash, or a model repeating
            # itself): the hunk's result is there, so it is skipped, as patch -N does.
            done = _find(lines, hunk.new, expected)
            if done is not None and hunk.new:
                offset += done - expected
                continue
        if start is None:
            first = hunk.old[0] if hunk.old else ""
            raise PatchError(
                f"hunk {number} of {path!r} does not apply: its context and removed lines "
                f"(starting {first!r}) are not in the file; read the file and diff again"
            )
        lines[start : start + len(hunk.old)] = hunk.new
        offset += (start - expected) + len(hunk.new) - len(hunk.old)
    result = "\n".join(lines)
    return result + "\n" if trailing_newline and lines else result

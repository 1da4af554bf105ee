"""A workspace root that file, shell and git tools cannot leave.

Paths are resolved component by component with ``openat`` (``dir_fd``) and
``O_NOFOLLOW``, from a descriptor of the root: a symlink anywhere on the way is
refused when it is opened, not when it was checked, so a symlink swapped in
after a check still cannot lead out. ``..``, absolute paths and NUL bytes are
refused before any I/O, and so is ``.git`` (a hook written there would run
on the next commit); files must be regular files with one link (a hard link
to a file outside would otherwise be writable through the workspace).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from agentkit.agents import ToolRetry
from agentkit.errors import ConfigError

__all__ = ["PathRefused", "Workspace"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class PathRefused(ToolRetry):
    """A path names something outside the workspace or not a plain file; the model reads why."""


@dataclass(frozen=True)
class Workspace:
    """The directory tools work in. Every path a model gives is relative to it.

    Args:
        root: An existing directory.
    """

    root: Path

    def __init__(self, root: str | os.PathLike[str]) -> None:
        path = Path(root).resolve()
        if not path.is_dir():
            raise ConfigError(f"workspace root {str(root)!r} is not a directory")
        object.__setattr__(self, "root", path)

    def parts(self, path: str) -> list[str]:
        """The components of a relative ``path``, or `PathRefused` naming why not."""
        if "\x00" in path:
            raise PathRefused(f"path {path!r} contains a NUL byte")
        if path.startswith(("/", "\\", "~")) or PurePosixPath(path).is_absolute():
            raise PathRefused(
                f"path {path!r} is absolute; give a path relative to the workspace root"
            )
        parts = [p for p in PurePosixPath(path).parts if p not in ("", ".")]
        if ".." in parts:
            raise PathRefused(f"path {path!r} contains '..'; paths stay inside the workspace")
        if ".git" in parts:
            raise PathRefused(f"path {path!r} is inside .git; use the git tools")
        return parts

    @contextmanager
    def directory(self, path: str = ".") -> Iterator[int]:
        """A descriptor of the directory ``path``, reached without following any symlink."""
        fd = os.open(self.root, _DIR_FLAGS)
        try:
            for part in self.parts(path):
                child = self._step(fd, part, path)
                os.close(fd)
                fd = child
            yield fd
        finally:
            os.close(fd)

    def _step(self, parent: int, part: str, path: str) -> int:
        try:
            return os.open(part, _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            raise _refusal(exc, path) from exc

    @contextmanager
    def open_file(self, path: str, *, write: bool = False, create: bool = False) -> Iterator[int]:
        """A descriptor of the regular file ``path``, for reading or writing.

        Writing never truncates through a link: the file is checked on its
        descriptor first, then truncated by the caller.
        """
        parts = self.parts(path)
        if not parts:
            raise PathRefused(f"path {path!r} names the workspace root, not a file")
        parent_path = "/".join(parts[:-1]) or "."
        flags = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY
        flags |= os.O_RDWR if write else os.O_RDONLY
        if create:
            flags |= os.O_CREAT
        with self.directory(parent_path) as parent:
            try:
                fd = os.open(parts[-1], flags, 0o644, dir_fd=parent)
            except OSError as exc:
                raise _refusal(exc, path) from exc
        try:
            check_regular(os.fstat(fd), path)
            os.set_blocking(fd, True)
            yield fd
        finally:
            os.close(fd)

    def relative(self, parts: list[str]) -> str:
        """The display form of a path inside the workspace."""
        return "/".join(parts) or "."


def check_regular(info: os.stat_result, path: str) -> None:
    """Refuse anything but a regular file with a single link."""
    if stat.S_ISDIR(info.st_mode):
        raise PathRefused(f"{path!r} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise PathRefused(
            f"{path!r} is a special file (device, FIFO or socket); only regular files are allowed"
        )
    if info.st_nlink > 1:
        raise PathRefused(
            f"{path!r} has {info.st_nlink} hard links; a file linked from elsewhere is refused"
        )


def _refusal(exc: OSError, path: str) -> PathRefused:
    if exc.errno == errno.ENOENT:
        return PathRefused(f"{path!r} does not exist")
    if exc.errno in (errno.ELOOP, errno.EMLINK):
        return PathRefused(f"{path!r} goes through a symlink; symlinks are not followed")
    if exc.errno == errno.ENOTDIR:
        return PathRefused(f"{path!r}: a component is a symlink or not a directory")
    if exc.errno in (errno.ENXIO, errno.ENODEV, errno.EWOULDBLOCK):
        return PathRefused(f"{path!r} is a special file; only regular files are allowed")
    if exc.errno == errno.EISDIR:
        return PathRefused(f"{path!r} is a directory, not a file")
    return PathRefused(f"{path!r}: {os.strerror(exc.errno or 0)}")

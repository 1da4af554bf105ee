"""What a fresh clone's install gives: every test dependency, and types an IDE can read.

A setuptools ``package-dir`` mapping (``tools/`` -> ``agentkit.tools``) makes an
editable install an import hook that mypy and pyright cannot follow. With every
package at its dotted path (``agentkit/tools`` is a symlink to ``tools/``), a
strict editable install is a static path, and the source tree imports the same
packages as the installation.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
README = (REPO / "README.md").read_text(encoding="utf-8")


def _expand(extra: str) -> set[str]:
    """The requirements of ``extra``, with ``agentkit[...]`` self-references expanded."""
    extras: dict[str, list[str]] = PYPROJECT["project"]["optional-dependencies"]
    found: set[str] = set()
    for requirement in extras[extra]:
        own = re.fullmatch(r"agentkit\[([\w,.-]+)\]", requirement)
        if own:
            for name in own.group(1).split(","):
                found |= _expand(name)
        else:
            found.add(requirement)
    return found


def test_dev_extra_installs_every_other_extra() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    missing = {
        name: sorted(_expand(name) - _expand("dev")) for name in extras if name not in ("dev",)
    }
    assert {name: reqs for name, reqs in missing.items() if reqs} == {}
    assert "psycopg[binary]>=3.1" in _expand("dev")


def test_every_package_sits_at_its_dotted_path() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert "package-dir" not in setuptools
    misplaced = [
        package
        for package in setuptools["packages"]
        if not (REPO.joinpath(*package.split(".")) / "__init__.py").is_file()
    ]
    assert misplaced == []


def test_every_package_in_the_tree_is_installed() -> None:
    # A package left out of the list imports from the source tree but is missing
    # from a strict editable install (and from a wheel).
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    in_tree = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "agentkit").glob("**/__init__.py")
        if "__pycache__" not in init.parts
    }
    for name in ("tools", "memory"):  # symlinks to the top-level folders, not followed by glob
        in_tree |= {
            ".".join(("agentkit", *init.parent.relative_to(REPO).parts))
            for init in (REPO / name).glob("**/__init__.py")
            if "__pycache__" not in init.parts
        }
    assert sorted(in_tree - listed) == []


def test_tools_and_memory_are_the_top_level_folders() -> None:
    for name in ("tools", "memory"):
        module = importlib.import_module(f"agentkit.{name}")
        assert module.__file__ is not None
        assert Path(module.__file__).resolve() == REPO / name / "__init__.py"


def test_readme_installs_are_strict_editable() -> None:
    installs = re.findall(r"\.venv/bin/pip install [^&\n]*", README)
    project = [i for i in installs if " -e " in i]
    assert len(project) >= 2
    assert [i for i in project if "editable_mode=strict" not in i] == []
    # The one other install is BFCL's data, pinned and without its dependencies.
    assert [i.strip() for i in installs if " -e " not in i] == [
        ".venv/bin/pip install -q --no-deps bfcl-eval==2026.3.23"
    ]

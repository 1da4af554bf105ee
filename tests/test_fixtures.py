"""The recorded fixtures live in the repository, licensed, and every one is used.

A user's clone has nothing beside it, so no test may read outside the
repository; a missing fixture fails its test instead of skipping it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.models.cassettes import PROVIDERS, load_cassette

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
CASSETTE_NAME = re.compile(r"[\"']((?:pydantic-ai|openllmetry)/[\w.-]+\.yaml)[\"']")
# Spelled in pieces so that this file does not match the check it makes (and the
# grep in .ci/run); the quoted forms catch a path built as Path(...) / "sh...".
_SHARED = "sh" + "ared"
OUTSIDE_PATHS = (f"../{_SHARED}", f"/{_SHARED}/fixtures", f"'{_SHARED}'", f'"{_SHARED}"')


def _test_sources() -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in TESTS.rglob("*.py")
        if "__pycache__" not in path.parts
    }


def _cassettes_named_in_tests() -> set[str]:
    # The loader's docstring and this file name made-up cassettes.
    readers = {TESTS / "models" / "cassettes.py", Path(__file__).resolve()}
    return {
        name
        for path, text in _test_sources().items()
        if path not in readers
        for name in CASSETTE_NAME.findall(text)
    }


def test_no_test_reads_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}: {needle}"
        for path, text in _test_sources().items()
        for needle in OUTSIDE_PATHS
        if needle in text
    ]
    assert offenders == []


def test_every_cassette_a_test_names_is_in_the_repository() -> None:
    named = _cassettes_named_in_tests()
    assert len(named) >= 9
    assert sorted(name for name in named if not (PROVIDERS / name).is_file()) == []


def test_every_cassette_in_the_repository_is_used() -> None:
    stored = {path.relative_to(PROVIDERS).as_posix() for path in PROVIDERS.rglob("*.yaml")}
    assert sorted(stored - _cassettes_named_in_tests()) == []


@pytest.mark.parametrize(
    ("folder", "license_start", "source"),
    [
        ("pydantic-ai", "The MIT License (MIT)", "pydantic/pydantic-ai, commit 4fda38988f29"),
        ("openllmetry", "Apache License", "traceloop/openllmetry, commit 93429cfb9767"),
    ],
)
def test_each_origin_keeps_its_license_and_provenance(
    folder: str, license_start: str, source: str
) -> None:
    origin = PROVIDERS / folder
    assert (origin / "LICENSE").read_text(encoding="utf-8").strip().startswith(license_start)
    readme = (origin / "README.md").read_text(encoding="utf-8")
    assert f"https://github.com/{source}" in readme
    listed = set(re.findall(r"`([\w.-]+\.yaml)`", readme))
    assert listed == {path.name for path in origin.glob("*.yaml")}


def test_a_missing_cassette_fails_instead_of_skipping() -> None:
    with pytest.raises(FileNotFoundError, match=r"recorded fixture .*nope\.yaml is missing"):
        load_cassette("pydantic-ai/nope.yaml")

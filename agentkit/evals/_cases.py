"""`Case` and `Dataset`: what to evaluate, loadable and savable as YAML or JSON.

Named as in pydantic-evals (``Case(name, inputs, expected_output, metadata)``,
``Dataset(cases, evaluators)``), with agentkit's words: ``input``,
``expected``, ``scorers``; and one more field, ``recording``, the recorded run
a case replays or re-scores.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from agentkit.errors import ConfigError
from agentkit.evals._scorers import Scorer

__all__ = ["Case", "Dataset"]


class Case(BaseModel):
    """One input to evaluate.

    Attributes:
        name: Unique within its dataset; reports and baselines match cases by it.
        input: The run's input: for an agent, its input text or conversation
            (or ``{"input": ..., "state": ...}``, as ``eval add-run`` writes);
            for a durable function, a mapping of its keyword arguments.
        expected: What scorers compare with (an output, expected tool calls...).
        metadata: Anything else (tags, difficulty), passed to scorers.
        recording: The recorded run this case replays (replay mode) or
            re-scores (score-only mode): a run id in the kit's store, or a path
            to an exported recording (``.json``), relative to the dataset file.
    """

    name: str
    input: Any = None
    expected: Any = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    recording: str | None = None


class _DatasetFile(BaseModel):
    name: str | None = None
    cases: list[Case]


class Dataset:
    """Cases and the scorers that judge every one of them.

    Args:
        cases: The cases (names must be unique).
        scorers: Scorers applied to every case.
        name: The dataset's name in reports.
        path: Where it was loaded from (recordings are relative to it).
    """

    def __init__(
        self,
        cases: Sequence[Case],
        scorers: Sequence[Scorer] = (),
        *,
        name: str | None = None,
        path: Path | None = None,
    ) -> None:
        seen: set[str] = set()
        for case in cases:
            if case.name in seen:
                raise ConfigError(f"dataset has two cases named {case.name!r}")
            seen.add(case.name)
        self.cases = list(cases)
        self.scorers = list(scorers)
        self.name = name or (path.stem if path is not None else "dataset")
        self.path = path

    @classmethod
    def load(cls, path: str | Path, scorers: Sequence[Scorer] = ()) -> Dataset:
        """Read cases from a ``.yaml``/``.yml`` or ``.json`` file.

        Raises:
            ConfigError: the file is missing or does not hold a valid dataset
                (the message names the file and the field).
        """
        path = Path(path)
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read dataset {str(path)!r}: {exc.strerror}") from None
        try:
            if path.suffix in (".yaml", ".yml"):
                import yaml  # only YAML datasets need it

                raw = yaml.safe_load(text)
            else:
                raw = json.loads(text)
            data = _DatasetFile.model_validate(raw or {"cases": []})
        except (ValueError, ValidationError) as exc:
            raise ConfigError(f"dataset {str(path)!r} is not valid: {exc}") from None
        return cls(data.cases, scorers, name=data.name or path.stem, path=path)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the cases (not the scorers, which are code) as YAML or JSON by suffix."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ConfigError("dataset.save() needs a path (this dataset was not loaded from one)")
        data = _DatasetFile(name=self.name, cases=self.cases).model_dump(mode="json")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix in (".yaml", ".yml"):
            import yaml

            target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
        else:
            target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        self.path = target
        return target

    def add(self, case: Case) -> None:
        """Add a case (its name must be new)."""
        if any(c.name == case.name for c in self.cases):
            raise ConfigError(f"dataset already has a case named {case.name!r}")
        self.cases.append(case)

    def recording_path(self, case: Case) -> Path | None:
        """The exported recording file a case names, if it names a file."""
        if case.recording is None or not case.recording.endswith(".json"):
            return None
        base = self.path.parent if self.path is not None else Path.cwd()
        return base / case.recording

"""`EvalReport`: per-case scores, per-scorer means, JSON, HTML and a baseline comparison."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentkit.errors import ConfigError
from agentkit.evals._scorers import Score

__all__ = ["CaseResult", "Delta", "EvalReport"]

Mode = Literal["live", "replay", "score-only"]


@dataclass
class CaseResult:
    """One case's outcome: its scores, output, and (in replay) what diverged.

    Attributes:
        name: The case.
        scores: One per scorer.
        output: The output scored (JSON).
        error: Why the case could not be scored (a run failed, no recording).
        run_id: The run scored: live, or the recording replayed or re-scored.
        replay: Replay mode: counts of same/changed/new/missing steps, the
            replay's status and its first divergence.
    """

    name: str
    scores: list[Score] = field(default_factory=list)
    output: Any = None
    error: str | None = None
    run_id: str | None = None
    replay: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        """No error and every scorer passed."""
        return self.error is None and all(score.passed for score in self.scores)

    def score(self, scorer: str) -> Score | None:
        """This case's score from ``scorer``, if any."""
        return next((s for s in self.scores if s.scorer == scorer), None)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON."""
        return {
            "name": self.name,
            "passed": self.passed,
            "scores": [s.to_json() for s in self.scores],
            "output": self.output,
            "error": self.error,
            "run_id": self.run_id,
            "replay": self.replay,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseResult:
        """The result `to_json` wrote."""
        return cls(
            name=data["name"],
            scores=[Score(**s) for s in data.get("scores", [])],
            output=data.get("output"),
            error=data.get("error"),
            run_id=data.get("run_id"),
            replay=data.get("replay"),
        )


@dataclass(frozen=True)
class Delta:
    """A score that moved against the baseline: ``kind`` is regression or improvement."""

    case: str
    scorer: str
    before: float | None
    after: float | None
    kind: Literal["regression", "improvement"]

    def render(self) -> str:
        """One line for the terminal."""
        show = "missing" if self.before is None else f"{self.before:.2f}"
        now = "missing" if self.after is None else f"{self.after:.2f}"
        return f"{self.kind}: {self.case} / {self.scorer}: {show} -> {now}"


@dataclass
class EvalReport:
    """The results of evaluating a dataset in one mode."""

    dataset: str
    mode: Mode
    cases: list[CaseResult]
    scorers: list[str]
    seconds: float = 0.0

    @property
    def score_means(self) -> dict[str, float]:
        """The mean value of each scorer over the cases (errors count as 0)."""
        means = {}
        for name in self.scorers:
            values = [
                (score.value if (score := c.score(name)) is not None else 0.0) for c in self.cases
            ]
            means[name] = sum(values) / len(values) if values else 0.0
        return means

    @property
    def overall(self) -> float:
        """The mean of every scorer's mean (1.0 with no scorers or no cases)."""
        means = self.score_means
        return sum(means.values()) / len(means) if means and self.cases else 1.0

    @property
    def pass_rate(self) -> float:
        """The fraction of cases that passed every scorer."""
        return sum(c.passed for c in self.cases) / len(self.cases) if self.cases else 1.0

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (what ``--baseline`` reads back)."""
        return {
            "format": "agentkit-eval-report/1",
            "dataset": self.dataset,
            "mode": self.mode,
            "scorers": self.scorers,
            "overall": self.overall,
            "pass_rate": self.pass_rate,
            "score_means": self.score_means,
            "seconds": self.seconds,
            "cases": [c.to_json() for c in self.cases],
        }

    def save(self, path: str | Path) -> Path:
        """Write the JSON report (``.json``) or the HTML report (``.html``)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix == ".html":
            target.write_text(self.to_html(), "utf-8")
        else:
            target.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n", "utf-8")
        return target

    @classmethod
    def load(cls, path: str | Path) -> EvalReport:
        """Read a JSON report.

        Raises:
            ConfigError: the file is missing or is not a report.
        """
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read report {str(path)!r}: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != "agentkit-eval-report/1":
            raise ConfigError(f"{str(path)!r} is not an agentkit eval report")
        return cls(
            dataset=data["dataset"],
            mode=data["mode"],
            cases=[CaseResult.from_json(c) for c in data["cases"]],
            scorers=list(data["scorers"]),
            seconds=float(data.get("seconds", 0.0)),
        )

    def compare(self, baseline: EvalReport) -> list[Delta]:
        """Scores that went down (regressions) or up (improvements), per case and scorer."""
        before = {c.name: c for c in baseline.cases}
        deltas = []
        for case in self.cases:
            old = before.get(case.name)
            for name in self.scorers:
                now = case.score(name)
                was = None if old is None else old.score(name)
                after = None if now is None else now.value
                prior = None if was is None else was.value
                if prior is None or after is None:
                    continue
                if after < prior:
                    deltas.append(Delta(case.name, name, prior, after, "regression"))
                elif after > prior:
                    deltas.append(Delta(case.name, name, prior, after, "improvement"))
        return deltas

    def rows(self) -> list[list[str]]:
        """The results table: one row per case, one column per scorer."""
        rows = []
        for case in self.cases:
            cells = []
            for name in self.scorers:
                score = case.score(name)
                cells.append("-" if score is None else _cell(score))
            status = "error" if case.error else ("pass" if case.passed else "fail")
            rows.append([case.name, status, *cells])
        return rows

    def to_html(self) -> str:
        """A self-contained HTML page: summary, per-scorer means, the results table."""
        head = "".join(f"<th>{html.escape(n)}</th>" for n in ["case", "status", *self.scorers])
        body = []
        for case, row in zip(self.cases, self.rows(), strict=True):
            reasons = "; ".join(s.reason for s in case.scores if s.reason and not s.passed)
            detail = html.escape(case.error or reasons)
            cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
            body.append(f'<tr class="{row[1]}">{cells}<td class="why">{detail}</td></tr>')
        means = "".join(f"<li>{html.escape(n)}: {v:.3f}</li>" for n, v in self.score_means.items())
        title = html.escape(f"{self.dataset} ({self.mode})")
        return _PAGE.format(
            title=title,
            overall=f"{self.overall:.3f}",
            pass_rate=f"{self.pass_rate:.1%}",
            cases=len(self.cases),
            means=means,
            head=head,
            rows="\n".join(body),
        )


def _cell(score: Score) -> str:
    mark = "✓" if score.passed else "✗"
    return f"{mark} {score.value:.2f}"


def render_deltas(deltas: Sequence[Delta]) -> list[str]:
    """Regressions first, then improvements."""
    ordered = sorted(deltas, key=lambda d: (d.kind != "regression", d.case, d.scorer))
    return [d.render() for d in ordered]


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agentkit eval: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
tr.fail td {{ background: #fde8e8; }} tr.error td {{ background: #fff3cd; }}
td.why {{ color: #555; font-size: 90%; }}
</style></head><body>
<h1>agentkit eval: {title}</h1>
<p>overall {overall} &middot; {pass_rate} of {cases} case(s) passed</p>
<ul>{means}</ul>
<table><thead><tr>{head}<th>why</th></tr></thead><tbody>
{rows}
</tbody></table></body></html>
"""

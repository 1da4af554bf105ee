"""`LLMJudge`: a model grades the output; its call is a stored completion.

Each judgement is a durable run of ``judge:{name}`` on the judge's kit,
started with an idempotency key made of the rubric, the model, the output and
the expected value. Scoring the same output again (re-scoring a report, a
score-only eval) finds that run and its stored completion: the judge is
replayed for free, and its verdict cannot drift between two reports.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ValidationError

from agentkit.agents import AgentKit
from agentkit.durable import Context, DurableFunction
from agentkit.evals._observation import Observation
from agentkit.evals._scorers import Score, Scorer
from agentkit.models import Message, Model, ModelRequest
from agentkit.store import InMemoryStore

__all__ = ["LLMJudge"]

_INSTRUCTIONS = (
    "You grade an AI system's output against a rubric. Answer with a JSON object "
    '{"score": <number from 0 to 1>, "passed": <true|false>, "reason": "<one sentence>"} '
    "and nothing else."
)


class _Verdict(BaseModel):
    score: float
    passed: bool
    reason: str = ""


class LLMJudge(Scorer):
    """Asks ``model`` whether the output meets ``rubric``.

    Args:
        model: The judging model (any `Model`).
        rubric: What a good output is.
        name: The scorer's name in reports.
        kit: Where judgements are stored (default: an in-memory kit, so only
            this process re-uses them; pass your eval kit to keep them).
        include_expected: Show the case's expected value to the judge.
    """

    def __init__(
        self,
        model: Model,
        rubric: str,
        *,
        name: str = "llm-judge",
        kit: AgentKit | None = None,
        include_expected: bool = True,
    ) -> None:
        self.model = model
        self.rubric = rubric
        self.name = name
        self.kit = kit or AgentKit(store=InMemoryStore())
        self.include_expected = include_expected
        self._function = self._register()

    def _register(self) -> DurableFunction[..., dict[str, Any]]:
        function_id = f"judge:{self.name}"
        existing = self.kit.functions.get(function_id)
        if existing is not None:
            return existing
        model = self.model

        async def judge(ctx: Context, prompt: str) -> dict[str, Any]:
            request = ModelRequest(
                messages=[Message.system(_INSTRUCTIONS), Message.user(prompt)], temperature=0.0
            )
            response = await ctx.step.infer("judge", model, request)
            return {"text": response.text}

        function: DurableFunction[..., dict[str, Any]] = self.kit.function(id=function_id)(judge)
        return function

    def _prompt(self, observation: Observation) -> str:
        parts = [f"Rubric:\n{self.rubric}", f"Output:\n{_show(observation.output)}"]
        if self.include_expected and observation.expected is not None:
            parts.append(f"Expected:\n{_show(observation.expected)}")
        return "\n\n".join(parts)

    async def score(self, observation: Observation) -> Score:
        prompt = self._prompt(observation)
        key = hashlib.sha256(
            json.dumps([self.model.model_name, prompt]).encode("utf-8")
        ).hexdigest()
        function = self._function.options(
            idempotency_key=f"judge:{self.name}:{key}", on_conflict="return_existing"
        )
        handle = await self.kit.start(function, prompt=prompt)
        outcome = await self.kit.drive(handle, poll_interval=0.01)
        text = str(outcome.get("text", ""))
        try:
            verdict = _Verdict.model_validate_json(_json_part(text))
        except ValidationError:
            return Score(self.name, 0.0, False, f"the judge did not answer in JSON: {text[:120]!r}")
        value = min(1.0, max(0.0, verdict.score))
        return Score(self.name, value, verdict.passed, verdict.reason)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=1, default=str)


def _json_part(text: str) -> str:
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if start != -1 and end > start else text

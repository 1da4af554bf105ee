"""Agent turns on a thread, SIGKILLed at random points and resumed by new processes.

The thread must end with exactly the messages of an uninterrupted run (none
duplicated, none missing), and the model must be paid once per call plus at
most the call in flight at each kill. A write that landed just before a
crash, with no journal entry yet, is not repeated.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agentkit import Agent, AgentKit, Context
from agentkit.models import ScriptedModel
from tests.killing import kill_until_done

APP = ["-m", "tests.memory.thread_kill_app"]


def _env(base: Path, name: str, summarize: bool) -> dict[str, str]:
    return {
        "AGENT_DATABASE_URL": f"sqlite:///{base}/{name}.db",
        "AGENT_LEDGER": str(base / f"{name}.ledger"),
        "AGENT_SUMMARIZE": "1" if summarize else "0",
    }


def _start(url: str) -> tuple[str, str]:
    """Queue the app's ``chat`` run on a new thread (here: a process start is slow)."""
    kit = AgentKit(url)

    @kit.function(id="chat")
    async def chat(ctx: Context, thread_id: str) -> int:  # the app's signature
        raise AssertionError("executed by the app's processes only")

    thread = kit.threads.create()
    handle = asyncio.run(kit.start(chat, thread_id=thread.id))
    kit.close()
    return handle.id, thread.id


def _trial(
    base: Path, name: str, seed: int, kills: int, summarize: bool
) -> tuple[int, str, set[str]]:
    env = _env(base, name, summarize)
    run_id, thread_id = _start(env["AGENT_DATABASE_URL"])
    report = kill_until_done(
        [*APP, "resume", run_id, thread_id],
        env,
        kills=kills,
        max_delay=0.5,
        rng=random.Random(seed),
    )
    killed = set(report.killed_pids)
    entries = [line.split() for line in Path(env["AGENT_LEDGER"]).read_text().splitlines()]
    by_label: dict[str, list[int]] = defaultdict(list)
    for _, label, pid in entries:
        by_label[label].append(int(pid))
    answers = {f"{k}-{role}" for k in "abc" for role in ("user", "tool")}
    summaries = set(by_label) - answers
    assert answers <= set(by_label)
    assert all(label.startswith("summary-") for label in summaries)
    assert bool(summaries) == summarize
    # A call made again was cut short by a kill: only killed processes lose a
    # call, and each at most the one in flight. So the summary is paid once too.
    lost = Counter(pid for pids in by_label.values() for pid in pids[:-1])
    assert set(lost) <= killed, f"only killed processes may lose work: {lost} vs {killed}"
    assert all(n == 1 for n in lost.values()), f"one call in flight per kill: {lost}"
    return len(killed), report.final_stdout.strip(), summaries


def _campaign(base: Path, summarize: bool, min_kills: int, kills_per_trial: int) -> None:
    _, reference, summaries = _trial(base, "reference", 0, 0, summarize)
    thread = json.loads(reference)
    assert len(thread) == 12  # 3 x (question, call, result, answer)
    assert thread[0] == ["user", "What is a?"]
    assert thread[-1] == ["assistant", "c is a letter, I looked it up."]
    total, seed = 0, 1
    with ThreadPoolExecutor(max_workers=2) as pool:
        while total < min_kills:
            seeds = [seed, seed + 1]
            outcomes = list(
                pool.map(lambda s: _trial(base, f"t{s}", s, kills_per_trial, summarize), seeds)
            )
            seed += 2
            for kills, final, made in outcomes:
                total += kills
                assert final == reference  # exactly the uninterrupted thread
                assert made == summaries  # the same summaries, each paid once (above)
    assert total >= min_kills


@pytest.mark.timeout(240)
def test_killed_thread_turns_append_exactly_once_and_summarize_once(tmp_path: Path) -> None:
    _campaign(tmp_path, summarize=True, min_kills=20, kills_per_trial=5)


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("summarize", [False, True])
def test_killed_thread_turns_long_campaign(tmp_path: Path, summarize: bool) -> None:
    _campaign(tmp_path, summarize=summarize, min_kills=100, kills_per_trial=6)


async def test_write_before_the_journal_entry_is_not_repeated(tmp_path: Path) -> None:
    """The crash window inside the append step: written, not yet journaled."""
    url = f"sqlite:///{tmp_path}/kit.db"
    model = ScriptedModel([ScriptedModel.text("hello")])
    kit = AgentKit(url)
    agent = Agent("a", "S.", model)

    @kit.function(id="turn")
    async def turn(ctx: Context, thread_id: str) -> str:
        return (await agent.run("hi", ctx=ctx, thread=thread_id)).output

    thread = kit.threads.create()
    handle = await kit.start(turn, thread_id=thread.id)
    assert await kit.drive(handle) == "hello"
    kit.close()
    # Undo the journal entry of the append and the run's end, as a SIGKILL between
    # the write and the journal would have left them.
    with sqlite3.connect(f"{tmp_path}/kit.db") as db:
        db.execute("DELETE FROM agentkit_steps WHERE key = 'a/thread/save'")
        db.execute(
            "UPDATE agentkit_runs SET status = 'queued', output = NULL, ended_at = NULL, "
            "lease_owner = NULL, lease_expires_at = NULL WHERE id = ?",
            (handle.id,),
        )
    db.close()
    again = AgentKit(url)
    again.function(id="turn")(turn.fn)
    assert await again.drive(again.get_run(handle.id)) == "hello"
    messages = [(m.message.role, m.message.text) for m in again.threads.messages(thread.id)]
    assert messages == [("user", "hi"), ("assistant", "hello")]
    steps = [s.key for s in again.journal(handle.id)]
    assert steps == ["a/thread/load", "a/infer", "a/thread/save"]
    again.close()

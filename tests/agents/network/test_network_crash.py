"""A three-agent network with an LLM router, SIGKILLed at random points and resumed.

Each resume is a fresh process forked from a zygote that paid the imports
once (`tests.agents.network.kill_network_app`), so a kill campaign is cheap.
The provider (one `ScriptedModel`, or OpenAI faked over HTTP with a recorded
payload) must see one request per model call, routing calls included, plus at
most the one in flight at each kill; each state-changing tool body runs once,
plus at most the one in flight; and the final state, routing decisions and
conversation equal those of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentkit.store import SQLStore
from tests.killing import REPO, spawn

APP = [sys.executable, "-m", "tests.agents.network.kill_network_app", "zygote"]
ROUTING_CALLS = ["router:0", "router:1", "router:2", "router:3"]
AGENT_CALLS = ["planner:0", "planner:1", "searcher:0", "searcher:1", "searcher:2", "writer:0"]
TOOL_CALLS = ["plan:0", "search:durability", "search:replay", "search:kill_tests", "write:3"]


class Zygote:
    """Talks to a zygote process: fork children, kill them, wait for them."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        assert self.readline() == "ready"

    def readline(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def fork(self, *args: str) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(" ".join(args) + "\n")
        self.proc.stdin.flush()
        return int(self.readline())

    def wait(self, pid: int) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"wait {pid}\n")
        self.proc.stdin.flush()
        return int(self.readline())


@contextmanager
def zygote(fake: str, base: Path) -> Iterator[Zygote]:
    env = {**os.environ, "NET_FAKE": fake, "PYTHONPATH": str(REPO)}
    env["NET_DATABASE_URL"] = f"sqlite:///{base}/unused.db"
    env["NET_LEDGER"] = str(base / "unused.ledger")
    with (
        (base / f"zygote-{fake}.err").open("w") as errors,
        spawn(
            APP, cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors
        ) as proc,
    ):
        yield Zygote(proc)


@dataclass(frozen=True)
class Trial:
    kills: int
    kills_in_work: int  # kills of a process that had called the provider or a tool
    output: str
    seconds: float


def trial(
    z: Zygote,
    base: Path,
    name: str,
    kills: int,
    rng: random.Random,
    span: float,
    beside: bool = False,
) -> Trial:
    """Start a run, kill up to ``kills`` resuming children, then let one finish.

    Each kill comes at a random moment within ``span`` seconds of the fork (the
    length of an uninterrupted run), so kills land anywhere in the work.
    """
    db, ledger = f"sqlite:///{base}/{name}.db", str(base / f"{name}.ledger")
    out = base / f"{name}.out"
    start = "start-beside" if beside else "start"
    assert z.wait(z.fork(start, db, ledger, str(out))) == 0, "start failed"
    run_id = out.read_text()
    killed: list[int] = []
    started = time.monotonic()
    for _ in range(kills):
        pid = z.fork("resume", db, ledger, str(out), run_id)
        time.sleep(rng.uniform(0, span))
        os.kill(pid, signal.SIGKILL)
        code = z.wait(pid)
        if code == -signal.SIGKILL:
            killed.append(pid)
        else:
            assert code == 0, "a resume failed (see the zygote stderr file)"
            break
    else:
        pid = z.fork("resume", db, ledger, str(out), run_id)
        assert z.wait(pid) == 0, "the last resume failed (see the zygote's stderr)"
    took = time.monotonic() - started
    hits = check_ledger(Path(ledger), set(killed), beside)
    check_journal(db, run_id, beside)
    return Trial(len(killed), hits, out.read_text(), took)


def check_ledger(ledger: Path, killed: set[int], beside: bool) -> int:
    """Check the calls the provider, the tools and the router saw; return kills in the work."""
    by_call: dict[tuple[str, str], list[int]] = defaultdict(list)
    for line in ledger.read_text().splitlines():
        kind, label, pid = line.split()
        by_call[(kind, label)].append(int(pid))
    routing = (
        [("route", f"code:{n}") for n in range(4)] + [("step", "before"), ("step", "after")]
        if beside
        else [("infer", c) for c in ROUTING_CALLS]
    )
    assert sorted(by_call) == sorted(
        [("infer", c) for c in [*AGENT_CALLS, "writer:1"]]
        + [("tool", c) for c in TOOL_CALLS]
        + routing
    )
    # The last execution of a call is the journaled one; any earlier one was cut
    # short by a kill (a killed process, at most one call in flight in each).
    worked = {pid for pids in by_call.values() for pid in pids}
    lost = Counter(pid for pids in by_call.values() for pid in pids[:-1])
    assert set(lost) <= killed, f"only killed processes may lose work: {lost} vs {killed}"
    assert all(n == 1 for n in lost.values()), f"one call in flight per kill: {lost}"
    return len(killed & worked)


def check_journal(db: str, run_id: str, beside: bool) -> None:
    store = SQLStore(db)
    try:
        run = store.get_run(run_id)
        journal = store.load_journal(run_id)
    finally:
        store.close()
    assert run is not None and run.status == "completed"
    name = "coded" if beside else "research"
    routes = [s.key for s in journal if s.key.split("#")[0] == f"{name}/route"]
    assert routes == [f"{name}/route", f"{name}/route#1", f"{name}/route#2", f"{name}/route#3"]
    assert len([s for s in journal if s.kind == "infer"]) == 7 if beside else 11
    if beside:
        assert [journal[0].key, journal[-1].key] == ["before", "after"]


def campaign(tmp_path: Path, fake: str, min_kills: int, beside: bool = False) -> tuple[int, int]:
    """Kill runs until ``min_kills`` kills; return (kills, kills that hit the work)."""
    with zygote(fake, tmp_path) as z:
        reference = trial(z, tmp_path, "reference", 0, random.Random(0), 0, beside)
        expected = json.loads(reference.output)
        assert expected["state"] == {
            "topics": ["durability", "replay"],
            "facts": ["fact about durability", "fact about replay", "fact about kill tests"],
            "draft": "Durable networks replay exactly.",
        }
        assert [d["agents"] for d in expected["decisions"]] == [
            ["planner"],
            ["searcher"],
            ["writer"],
            [],
        ]
        assert expected["model_calls"] == 7 if beside else 11
        total, in_work, seed = 0, 0, 1000
        while total < min_kills:
            each = trial(
                z, tmp_path, f"{fake}-{seed}", 16, random.Random(seed), reference.seconds, beside
            )
            seed += 1
            total, in_work = total + each.kills, in_work + each.kills_in_work
            assert json.loads(each.output) == expected  # state, decisions and conversation
    return total, in_work


@pytest.mark.timeout(300)
@pytest.mark.parametrize("fake", ["scripted", "openai"])
def test_killed_network_replays_to_the_same_state_decisions_and_conversation(
    tmp_path: Path, fake: str
) -> None:
    kills, in_work = campaign(tmp_path, fake, 30)  # >= 30 kills with each fake
    assert kills >= 30
    assert in_work >= 6  # not all of them in a child's start-up


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("fake", ["scripted", "openai"])
def test_killed_network_many_kills(tmp_path: Path, fake: str) -> None:
    kills, in_work = campaign(tmp_path, fake, 150)
    assert kills >= 150
    assert in_work >= 30


@pytest.mark.timeout(300)
def test_network_beside_other_steps_calls_its_router_once_per_decision(tmp_path: Path) -> None:
    # inngest/agent-kit#196: a network next to other steps called its router again
    # on every replay. Here each decision's router call is in the ledger once
    # (plus at most the one in flight at a kill), across processes.
    kills, in_work = campaign(tmp_path, "scripted", 8, beside=True)
    assert kills >= 8
    assert in_work >= 2

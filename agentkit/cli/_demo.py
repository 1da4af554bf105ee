"""``agentkit demo``: a durable run killed and resumed, and a run paused for a human.

Everything runs on the embedded SQLite store with no API key. Part one starts a
six-step research run in a real child process, SIGKILLs it in the middle of step
``--crash-at``, and resumes it in a fresh process: the steps already journaled
are replayed, not re-executed. Part two pauses a run on an approval token and
completes it (at the prompt, or with ``--approve``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentkit.cli._demo_app import LEASE_SECONDS, TOPICS, build_kit
from agentkit.durable import AgentKit

console = Console(highlight=False)


def _worker_process(run_id: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentkit.cli._demo_worker", run_id],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
    )


def _follow(proc: subprocess.Popen[str], crash_at: int | None, journaled: set[int]) -> bool:
    """Show the child's progress; SIGKILL it once step ``crash_at`` is under way.

    Returns True if the process was killed.
    """
    assert proc.stdout is not None
    for line in proc.stdout:
        word, _, rest = line.strip().partition(" ")
        if word == "started":
            index_text, _, topic = rest.partition(" ")
            index = int(index_text)
            again = (
                " [yellow](again: it was in flight when the process died)[/]"
                if (index in journaled)
                else ""
            )
            console.print(f"  [cyan]▶[/] pid {proc.pid} runs step {index}: {topic}{again}")
            journaled.add(index)
            if crash_at is not None and index == crash_at:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                console.print(
                    f"  [bold red]✖ SIGKILL[/] pid {proc.pid} in the middle of step {index}"
                )
                return True
        elif word == "finished":
            console.print(f"  [green]✔[/] run finished in pid {proc.pid}: {rest}")
    proc.wait()
    return False


def _crash_and_resume(kit: AgentKit, env: dict[str, str], crash_at: int, ledger: Path) -> str:
    console.rule("[bold]1 · a run killed mid-step, resumed by a new process")
    handle = asyncio.run(kit.start(kit.functions["demo.research"], topics=TOPICS))
    console.print(f"started run [bold]{handle.id}[/] (6 research steps, each checkpointed)")
    started: set[int] = set()
    _follow(_worker_process(handle.id, env), crash_at, started)
    done = [s for s in kit.journal(handle.id) if s.status == "completed"]
    console.print(
        f"  journal holds {len(done)} completed step(s); the run is "
        f"[bold]{handle.status()}[/] with a lease nobody renews"
    )
    console.print(
        f"  starting a fresh process; it takes the run over once the dead worker's "
        f"lease expires (≤ {LEASE_SECONDS:.0f} s) and replays "
        + (f"steps 1 to {len(done)} from the journal" if done else "nothing (no step had ended)")
    )
    _follow(_worker_process(handle.id, env), None, started)
    runs = Counter(int(line) for line in ledger.read_text().split())
    table = Table("step", "topic", "bodies executed", "why")
    for index, topic in enumerate(TOPICS, start=1):
        why = "in flight at the kill: ran again" if runs[index] > 1 else "once"
        table.add_row(str(index), topic, str(runs[index]), why)
    console.print(table)
    return handle.id


def _drain(kit: AgentKit) -> None:
    """Execute in this process whatever is due, until every run waits or ended."""
    asyncio.run(kit.worker(stop_when_idle=True, poll_interval=0.05))


def _approval(kit: AgentKit, url: str, approve: bool) -> str:
    console.rule("[bold]2 · a run paused on a human approval token")
    handle = asyncio.run(kit.start(kit.functions["demo.publish"], title="Durable agents"))
    _drain(kit)
    [token] = handle.tokens()
    console.print(
        f"run [bold]{handle.id}[/] is [bold]{handle.status()}[/]: no process, no "
        "memory held while it waits"
    )
    console.print(f"  token: {token.token}\n  asks:  {token.description}")
    console.print(
        "  another terminal could answer with:\n"
        f"  [dim]agentkit --database-url {url} tokens complete "
        f"{token.token} --data '{{\"approved\": true}}'[/]"
    )
    if approve or not sys.stdin.isatty():
        if not approve:
            console.print("  no terminal to ask in: approving automatically")
        decision = {"approved": True, "note": "approved by --approve"}
    else:
        yes = typer.confirm("  Approve publishing?", default=True)
        decision = {"approved": yes, "note": "answered at the prompt"}
    kit.complete_token(token.token, decision)
    console.print("  token completed; the run is queued and resumes from its journal")
    _drain(kit)
    result = asyncio.run(handle.result())
    console.print(f"  [green]✔[/] {result}")
    return handle.id


def demo(
    crash_at: Annotated[
        int, typer.Option(min=1, max=len(TOPICS), help="Kill the worker during this step.")
    ] = 4,
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve the token without asking.")
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(help="Where to keep the demo's runs (default: .agentkit/demo.db)."),
    ] = None,
) -> None:
    """Watch a durable run survive SIGKILL, then pause for a human approval."""
    url = database_url or "sqlite:///.agentkit/demo.db"
    console.print(
        "[bold]agentkit demo[/] — durable steps on SQLite "
        f"([dim]{url}[/]); no model and no API key involved yet"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "ledger"
        ledger.touch()
        env = {"AGENTKIT_DEMO_DATABASE_URL": url, "AGENTKIT_DEMO_LEDGER": str(ledger)}
        kit = build_kit(url)
        try:
            research_id = _crash_and_resume(kit, env, crash_at, ledger)
            publish_id = _approval(kit, url, approve)
        finally:
            kit.close()
    console.rule("[bold]summary")
    console.print(f"inspect them: [dim]agentkit --database-url {url} runs show {research_id}[/]")
    console.print(f"              [dim]agentkit --database-url {url} runs show {publish_id}[/]")

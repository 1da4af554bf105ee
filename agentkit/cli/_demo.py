"""``agentkit demo``: a research agent killed mid-conversation, resumed, and approved.

Everything runs on the embedded SQLite store. The agent runs in a real child
process; this process watches the journal and prints every step as it is
checkpointed, SIGKILLs the child in the middle of tool call ``--crash-at``,
starts a fresh process that replays the journal and continues, and pauses on
the approval token of the gated ``publish`` tool (answer at the prompt, or
``--approve`` or ``--reject``). The summary counts model calls made and repaid,
and says from the journal what became of the gated call.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from agentkit.cli._boundary import DEMO_DATABASE_URL, CLIError
from agentkit.cli._demo_app import LEASE_SECONDS, QUESTION, build_kit
from agentkit.durable import AgentKit
from agentkit.store import StepRecord

console = Console(highlight=False)

Answer = Literal["approve", "reject", "ask"]


class _JournalWatch(threading.Thread):
    """Prints each journal entry of a run as soon as it is checkpointed."""

    def __init__(self, kit: AgentKit, run_id: str) -> None:
        super().__init__(daemon=True)
        self.kit, self.run_id = kit, run_id
        self.seen: dict[str, str] = {}
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.poll()

    def poll(self) -> None:
        with self._lock:
            for step in self.kit.journal(self.run_id):
                if self.seen.get(step.key) != step.status:
                    self.seen[step.key] = step.status
                    console.print(f"  {_describe(step)}")


def _describe(step: StepRecord) -> str:
    if step.kind == "token":
        if step.status == "waiting":
            return f"[yellow]⏸[/] {step.key}: waiting for a human"
        return f"[green]✓[/] {step.key}: answered"
    mark = "[green]✓[/]" if step.status == "completed" else "[red]✗[/]"
    return f"{mark} checkpointed {step.key} [dim]({step.kind})[/]"


def _run_child(
    watch: _JournalWatch, env: dict[str, str], crash_at: int | None, tools: list[tuple[str, int]]
) -> str:
    """Run a worker process; SIGKILL it during tool call ``crash_at``. Returns how it ended."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentkit.cli._demo_worker", watch.run_id],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        word, *rest = line.split()
        if word == "tool":
            watch.poll()  # print what was checkpointed before this tool began
            tools.append((rest[1], proc.pid))
            console.print(f"  [cyan]▶[/] pid {proc.pid} runs tool {rest[1]}")
            if crash_at is not None and len(tools) == crash_at:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                return "killed"
        elif word == "status":
            proc.wait()
            return rest[0]
    proc.wait()
    raise CLIError(f"demo worker process {proc.pid} ended unexpectedly (exit {proc.returncode})")


def answer_command(url: str, token: str) -> str:
    """The shell command that approves ``token`` from anywhere."""
    return f"agentkit --database-url {url} tokens complete {token} --data '{{\"approved\": true}}'"


def _decide(answer: Answer) -> dict[str, object]:
    if answer == "reject":
        return {"approved": False, "reason": "rejected with --reject"}
    if answer == "approve" or not sys.stdin.isatty():
        if answer != "approve":
            console.print("  no terminal to ask in: approving automatically")
        return {"approved": True, "reason": "approved with --approve"}
    yes = typer.confirm("  Approve this call?", default=True)
    return {"approved": yes, "reason": "" if yes else "rejected at the prompt"}


def _approve(kit: AgentKit, run_id: str, url: str, answer: Answer) -> None:
    [token] = kit.get_run(run_id).tokens()
    console.print(
        f"  the run holds no process and no memory while it waits\n"
        f"  asks: [bold]{token.description}[/]\n"
        "  answer from anywhere:"
    )
    # Never wrapped: a command cut in two lines cannot be copied and pasted.
    console.print(
        f"  {answer_command(url, token.token)}", style="dim", markup=False, soft_wrap=True
    )
    kit.complete_token(token.token, _decide(answer))


def outcome(journal: list[StepRecord]) -> str:
    """What became of the gated ``publish`` call, as the journal records it."""
    by_key = {step.key: step for step in journal}
    approval = by_key.get("researcher/approve/publish")
    published = by_key.get("researcher/tool/publish")
    if published is not None and published.status == "completed":
        return "approved by a human; publish ran once"
    if approval is None or approval.status == "waiting":
        return "not decided yet; publish has not run"
    decision = json.loads(approval.output or "null")
    if isinstance(decision, dict) and not decision.get("approved"):
        reason = decision.get("reason") or "no reason given"
        return f"rejected by a human ({reason}); publish never ran, nothing was published"
    if published is not None:
        return "approved by a human; publish failed"
    return "approved by a human; publish did not run"


def _summary(
    kit: AgentKit, run_id: str, answered_before_kill: int, tools: list[tuple[str, int]]
) -> None:
    journal = kit.journal(run_id)
    infers = [s for s in journal if s.kind == "infer"]
    referenced = {json.loads(s.output or "{}").get("completion_id") for s in infers}
    completions = kit.completions(run_id)
    paid = [c for c in completions if c.succeeded]
    repaid = [c for c in paid if c.id not in referenced]
    used = [c for c in paid if c.id in referenced]
    costs = [c.cost_usd for c in completions if c.cost_usd is not None]
    ran = Counter(name for name, _ in tools)
    journaled = Counter(s.key.split("/")[2].split("#")[0] for s in journal if s.kind == "run")

    table = Table("", "", show_header=False)
    table.add_row(
        "steps journaled",
        f"{len(journal)} ({len(infers)} model calls, "
        f"{sum(journaled.values())} tool calls, "
        f"{sum(s.kind == 'token' for s in journal)} approval)",
    )
    table.add_row("model calls made", str(len(paid)))
    table.add_row(
        "model calls answered before the crash (a plain loop would pay them again)",
        str(answered_before_kill),
    )
    table.add_row("model calls repaid here", f"[bold green]{len(repaid)}[/]")
    for name in sorted(journaled):
        table.add_row(
            f"tool {name}: calls / bodies run",
            f"{journaled[name]} / {ran[name]}"
            + ("  (one was in flight at the kill)" if ran[name] > journaled[name] else ""),
        )
    table.add_row(
        "tokens in / out",
        f"{sum(c.input_tokens or 0 for c in used)} / {sum(c.output_tokens or 0 for c in used)}",
    )
    table.add_row("cost", f"${sum(costs):.6f}" if costs else "n/a (no price for this model)")
    console.print(table)
    # Not the model's word for it: the journal says whether the gated call ran.
    console.print(f"publish, from the journal: {outcome(journal)}", markup=False)


def demo(
    crash_at: Annotated[
        int, typer.Option(min=1, max=4, help="SIGKILL the worker during this tool call (1-4).")
    ] = 3,
    approve: Annotated[bool, typer.Option("--approve", help="Approve without asking.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject without asking.")] = False,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Use a real model: OPENAI_API_KEY and/or ANTHROPIC_API_KEY (both: failover).",
        ),
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(help=f"Where to keep the demo's runs (default: {DEMO_DATABASE_URL})."),
    ] = None,
) -> None:
    """A durable research agent: killed mid-conversation, resumed, approved by a human."""
    if approve and reject:
        raise typer.BadParameter("give --approve or --reject, not both")
    answer: Answer = "approve" if approve else "reject" if reject else "ask"
    url = database_url or DEMO_DATABASE_URL
    kit, researcher = build_kit(url, live)
    if live:
        console.print(f"[bold]agentkit demo --live[/]: real model {researcher.model!r}")
    else:
        console.print(
            "[bold]agentkit demo[/]: the model is [bold]scripted[/] (ScriptedModel: "
            "no API key, no network).\n  For a real one: set OPENAI_API_KEY or "
            "ANTHROPIC_API_KEY and run [bold]agentkit demo --live[/]"
        )
    env = {"AGENTKIT_DEMO_DATABASE_URL": url, "AGENTKIT_DEMO_LIVE": "1" if live else "0"}
    handle = asyncio.run(kit.start(kit.functions["agent:researcher"], input=QUESTION))
    console.rule("run")
    # The run id is printed whole, never cut to the width of a rule.
    console.print(f"{handle.id} on {url}", markup=False, soft_wrap=True)
    watch = _JournalWatch(kit, handle.id)
    watch.start()
    tools: list[tuple[str, int]] = []
    try:
        ended = _run_child(watch, env, crash_at, tools)
        watch.poll()
        answered = sum(1 for s in kit.journal(handle.id) if s.kind == "infer")
        if ended == "killed":
            console.print(
                f"  [bold red]✖ SIGKILL[/] pid {tools[-1][1]} in the middle of tool call {crash_at}"
            )
            console.print(
                f"  a fresh process takes the run over once the dead worker's lease "
                f"expires (≤ {LEASE_SECONDS:.0f} s) and replays {len(watch.seen)} "
                "journaled steps without running them"
            )
            ended = _run_child(watch, env, None, tools)
        while ended == "waiting":
            watch.poll()
            _approve(kit, handle.id, url, answer)
            ended = _run_child(watch, env, None, tools)
        watch.poll()
    finally:
        watch.stop.set()
        watch.join()
    result = asyncio.run(handle.result())
    console.rule("answer")
    console.print(result.output, markup=False)
    console.rule("summary")
    _summary(kit, handle.id, answered, tools)
    console.print(
        f"inspect: agentkit --database-url {url} runs show {handle.id}",
        style="dim",
        markup=False,
        soft_wrap=True,
    )
    kit.close()

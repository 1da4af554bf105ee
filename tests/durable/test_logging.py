"""What agentkit says, and when: waits that tell how to answer them, worker logs.

Library logging stays silent unless the application configures it; a run that
parks on a token says so once, with the command that answers it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agentkit import AgentKit, Context, DurableFunction, NonRetriableError
from agentkit.models import OpenAIModel
from agentkit.store import InMemoryStore
from tests.durable.conftest import drain
from tests.killing import REPO, deadline, run_process


def agentkit_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    """agentkit's records, minus the event-loop watch (a busy machine may trip it)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("agentkit") and "event loop" not in r.getMessage()
    ]


def approval(kit: AgentKit) -> DurableFunction[[], str]:
    @kit.function(id="ship")
    async def ship(ctx: Context) -> str:
        answer = await ctx.step.wait_for_token("approve", description="ship order o-1?")
        return f"answered {answer}"

    return ship


async def test_a_token_wait_says_how_to_answer_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="agentkit")
    kit = AgentKit()  # the default database: the command needs no --database-url
    ship = approval(kit)
    handle = await kit.start(ship)
    await drain(kit)
    [token] = handle.tokens()
    assert agentkit_messages(caplog) == [
        f"claimed run {handle.id} (ship), execution 1",
        f"run {handle.id} waits for a token on step 'approve' (ship order o-1?); "
        f"answer it with: agentkit tokens complete {token.token} --data '<json>'",
    ]
    kit.close()


async def test_the_command_names_a_database_that_is_not_the_default(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="agentkit.durable")
    kit = AgentKit(f"sqlite:///{tmp_path}/shop.db")
    handle = await kit.start(approval(kit))
    await drain(kit)
    [token] = handle.tokens()
    assert agentkit_messages(caplog) == [
        f"run {handle.id} waits for a token on step 'approve' (ship order o-1?); answer it "
        f"with: agentkit --database-url 'sqlite:///{tmp_path}/shop.db' tokens complete "
        f"{token.token} --data '<json>'"
    ]
    kit.close()


async def test_an_in_memory_kit_says_which_call_answers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="agentkit.durable")
    kit = AgentKit(store=InMemoryStore())
    handle = await kit.start(approval(kit))
    await drain(kit)
    [token] = handle.tokens()
    assert agentkit_messages(caplog) == [
        f"run {handle.id} waits for a token on step 'approve' (ship order o-1?); "
        f"answer it with: kit.complete_token({token.token!r}, data)"
    ]


class Terminal(io.StringIO):
    """A stderr that is a terminal, and tells when something was written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.written = asyncio.Event()

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.written.set()
        return super().write(text)


async def test_kit_run_in_a_terminal_says_once_that_it_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    kit = AgentKit(store=InMemoryStore())
    ship = approval(kit)
    running = asyncio.create_task(kit.run(ship))
    await asyncio.wait_for(terminal.written.wait(), deadline(30))
    [token] = kit.list_tokens(status="pending")
    kit.complete_token(token.token, "yes")
    assert await running == "answered yes"
    assert terminal.getvalue() == (
        f"run {token.run_id} waits for a token on step 'approve' (ship order o-1?); "
        f"answer it with: kit.complete_token({token.token!r}, data)\n"
    )


async def test_no_stderr_line_when_logging_already_shows_the_wait(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="agentkit")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    kit = AgentKit(store=InMemoryStore())
    running = asyncio.create_task(kit.run(approval(kit)))
    # Wait for the run to park, not just for its token: a token completed before
    # the run parks never makes it wait (the race lost this test under load).
    give_up = time.monotonic() + deadline(30)
    while not any("waits for a token" in m for m in agentkit_messages(caplog)):
        assert time.monotonic() < give_up, "the run never said it waits for a token"
        await asyncio.sleep(0.01)
    [token] = kit.list_tokens(status="pending")
    kit.complete_token(token.token, "no")
    assert await running == "answered no"
    assert terminal.getvalue() == ""
    assert sum("waits for a token" in m for m in agentkit_messages(caplog)) == 1


async def test_the_worker_logs_claims_steps_and_failures(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="agentkit")
    kit = AgentKit(f"sqlite:///{tmp_path}/kit.db")

    def fetch() -> str:
        return "page"

    def parse(page: str) -> str:
        raise NonRetriableError(f"cannot parse {page}")

    @kit.function(id="scrape", retries=0)
    async def scrape(ctx: Context) -> str:
        page = await ctx.step.run("fetch", fetch)
        return await ctx.step.run("parse", parse, page)

    handle = await kit.start(scrape)
    await drain(kit)
    failure = "step 'parse' failed after 1 attempt(s): NonRetriableError: cannot parse page"
    assert agentkit_messages(caplog) == [
        f"claimed run {handle.id} (scrape), execution 1",
        f"run {handle.id}: step 'fetch' started",
        f"run {handle.id}: step 'fetch' completed",
        f"run {handle.id}: step 'parse' started",
        f"run {handle.id}: {failure}",
        f"run {handle.id} failed: StepFailed: {failure}",
    ]
    levels = [r.levelname for r in caplog.records if r.name.startswith("agentkit")]
    assert levels == ["INFO", "DEBUG", "DEBUG", "DEBUG", "WARNING", "WARNING"]
    kit.close()


async def test_logs_never_show_a_registered_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = f"sk-log-{secrets.token_hex(12)}"
    OpenAIModel("gpt-4o", api_key=secret)  # a model registers its key when built
    caplog.set_level(logging.DEBUG, logger="agentkit")
    kit = AgentKit(f"sqlite:///{tmp_path}/kit.db")

    def call_provider() -> str:
        raise NonRetriableError(f"401: invalid key {secret}")

    @kit.function(id="leaky", retries=0)
    async def leaky(ctx: Context) -> str:
        return await ctx.step.run("call", call_provider)

    handle = await kit.start(leaky)
    await drain(kit)
    failure = (
        "step 'call' failed after 1 attempt(s): NonRetriableError: 401: invalid key [REDACTED]"
    )
    assert agentkit_messages(caplog)[-2:] == [
        f"run {handle.id}: {failure}",
        f"run {handle.id} failed: StepFailed: {failure}",
    ]
    assert secret not in caplog.text
    kit.close()


def test_the_library_is_silent_unless_logging_is_configured(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio
        from agentkit import AgentKit, Context, RunFailedError

        kit = AgentKit("sqlite:///{tmp_path}/kit.db")

        @kit.function(retries=0)
        async def fails(ctx: Context) -> None:
            await ctx.step.sleep("nap", 0)
            raise RuntimeError("boom")  # a warning, were logging configured

        try:
            asyncio.run(kit.run(fails))
        except RunFailedError:
            print("failed as expected")
        """
    )
    done = run_process([sys.executable, "-c", script], cwd=REPO, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "failed as expected\n", "")

"""A network on a thread: it sees the thread's messages and appends its turn once."""

from __future__ import annotations

from agentkit import Agent, AgentKit, Network, RouterInput
from agentkit.models import Message, ScriptedModel


def one_turn(r: RouterInput) -> Agent | None:
    return r.network.members["helper"] if r.call_count == 0 else None  # type: ignore[return-value]


async def test_network_turns_are_appended_to_the_thread_and_seen_next_time(kit: AgentKit) -> None:
    model = ScriptedModel([ScriptedModel.text("Hello Ada."), ScriptedModel.text("You are Ada.")])
    helper = Agent("helper", "You help.", model)
    network = Network("desk", [helper], router=one_turn)
    thread = kit.threads.create(metadata={"user": "ada"})

    first = await kit.run_network(network, "I am Ada.", thread=thread.id)
    second = await kit.run_network(network, "Who am I?", thread=thread.id)

    assert (first.output, second.output) == ("Hello Ada.", "You are Ada.")
    # The second run's model call saw the first turn before the new input.
    assert model.requests[1].messages == [
        Message.system("You help."),
        Message.user("I am Ada."),
        Message.assistant("Hello Ada."),
        Message.user("Who am I?"),
    ]
    stored = [(m.message.role, m.message.text) for m in kit.threads.messages(thread.id)]
    assert stored == [
        ("user", "I am Ada."),
        ("assistant", "Hello Ada."),
        ("user", "Who am I?"),
        ("assistant", "You are Ada."),
    ]
    # Loading and saving are steps of the network's run, named by the network.
    [latest, _] = kit.list_runs()
    assert [e.key for e in kit.journal(latest.id)][:1] == ["desk/thread/load"]
    assert [e.key for e in kit.journal(latest.id)][-1] == "desk/thread/save"

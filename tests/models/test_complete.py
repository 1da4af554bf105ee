"""complete(): retries, failover along a chain, attempt records, streaming."""

from __future__ import annotations

import json

import pytest

from agentkit.models import (
    Attempt,
    AuthenticationFailed,
    BadRequest,
    ContextLengthExceeded,
    FallbackModel,
    Message,
    Model,
    ModelConnectionError,
    ModelError,
    ModelNotFound,
    ModelRequest,
    ModelTimeout,
    ProviderOverloaded,
    ProviderServerError,
    RateLimit,
    RateLimited,
    ResponseParseError,
    RetryPolicy,
    ScriptedModel,
    StreamDone,
    StreamEvent,
    StreamInterrupted,
    TextDelta,
    Usage,
    complete,
)

from .conftest import FakeSleep

REQUEST = ModelRequest(messages=[Message.user("hi")])
# A model's default policy, without the jitter.
POLICY = RetryPolicy(
    max_attempts=3, initial_backoff=0.5, max_backoff=30.0, jitter=0, deadline=120.0
)

RETRYABLE = [
    RateLimited,
    ProviderOverloaded,
    ProviderServerError,
    ModelTimeout,
    ModelConnectionError,
    StreamInterrupted,
]
NOT_RETRYABLE = [BadRequest, AuthenticationFailed, ModelNotFound]


def error(error_class: type[ModelError], retry_after: float | None = None) -> ModelError:
    return error_class(
        f"scripted {error_class.__name__}",
        provider="scripted",
        model="scripted",
        status_code=500,
        retry_after=retry_after,
    )


class Recorder:
    """Collects attempts; shares a log with the fake sleep to check ordering."""

    def __init__(self, log: list[str] | None = None) -> None:
        self.attempts: list[Attempt] = []
        self.log = log if log is not None else []

    async def __call__(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)
        self.log.append(f"attempt {attempt.number}")

    def summary(self) -> list[tuple[int, int, str | None, float]]:
        return [
            (a.number, a.model_index, a.error["type"] if a.error else None, a.waited_s)
            for a in self.attempts
        ]


def chain(*scripts: list[object], windows: tuple[int | None, ...] = ()) -> FallbackModel:
    models = [
        ScriptedModel(
            script,  # type: ignore[arg-type]
            model=f"model-{index}",
            retry=POLICY,
            context_window=windows[index] if index < len(windows) else None,
        )
        for index, script in enumerate(scripts)
    ]
    return FallbackModel(*models)


@pytest.mark.parametrize("error_class", RETRYABLE)
async def test_retryable_error_on_primary_retries_then_fails_over(
    error_class: type[ModelError], fake_sleep: FakeSleep
) -> None:
    failure = error(error_class)
    model = chain([failure, failure, failure], ["from fallback"])
    recorder = Recorder()

    result = await complete(
        model, REQUEST, on_attempt=recorder, sleep=fake_sleep, clock=fake_sleep.clock
    )

    name = error_class.__name__
    assert recorder.summary() == [
        (1, 0, name, 0.0),
        (2, 0, name, 0.5),
        (3, 0, name, 1.0),
        (4, 1, None, 0.0),
    ]
    assert fake_sleep.slept == [0.5, 1.0]
    assert result is recorder.attempts[-1]
    assert result.response is not None and result.response.text == "from fallback"
    assert result.model == "model-1"


@pytest.mark.parametrize("error_class", RETRYABLE)
async def test_retryable_error_on_last_model_raises_it(
    error_class: type[ModelError], fake_sleep: FakeSleep
) -> None:
    primary_failure = error(ProviderServerError)
    last_failure = error(error_class)
    model = chain([primary_failure] * 3, [last_failure] * 3)
    recorder = Recorder()

    with pytest.raises(error_class) as caught:
        await complete(
            model, REQUEST, on_attempt=recorder, sleep=fake_sleep, clock=fake_sleep.clock
        )

    assert caught.value is last_failure
    assert [a.model_index for a in recorder.attempts] == [0, 0, 0, 1, 1, 1]
    assert [a.number for a in recorder.attempts] == [1, 2, 3, 4, 5, 6]
    assert fake_sleep.slept == [0.5, 1.0, 0.5, 1.0]


@pytest.mark.parametrize("error_class", NOT_RETRYABLE)
@pytest.mark.parametrize("position", [0, 1])
async def test_caller_error_stops_the_chain_at_once(
    error_class: type[ModelError], position: int, fake_sleep: FakeSleep
) -> None:
    failure = error(error_class)
    scripts: list[list[object]] = [[error(ProviderServerError)] * 3, ["unused"], ["unused"]]
    scripts[position] = [failure]
    model = chain(*scripts)
    recorder = Recorder()

    with pytest.raises(error_class) as caught:
        await complete(
            model, REQUEST, on_attempt=recorder, sleep=fake_sleep, clock=fake_sleep.clock
        )

    assert caught.value is failure
    expected = {
        0: [(1, 0, error_class.__name__, 0.0)],
        1: [
            (1, 0, "ProviderServerError", 0.0),
            (2, 0, "ProviderServerError", 0.5),
            (3, 0, "ProviderServerError", 1.0),
            (4, 1, error_class.__name__, 0.0),
        ],
    }[position]
    assert recorder.summary() == expected
    assert recorder.attempts[-1].error == {
        "type": error_class.__name__,
        "message": f"scripted {error_class.__name__}",
        "status_code": 500,
        "retryable": False,
        "body": None,
    }
    assert len(model.models[2].requests) == 0  # type: ignore[attr-defined]


async def test_context_length_fails_over_to_a_larger_window(fake_sleep: FakeSleep) -> None:
    overflow = error(ContextLengthExceeded)
    model = chain([overflow], ["small"], ["big enough"], windows=(8_000, 8_000, 128_000))
    recorder = Recorder()

    result = await complete(
        model, REQUEST, on_attempt=recorder, sleep=fake_sleep, clock=fake_sleep.clock
    )

    assert recorder.summary() == [(1, 0, "ContextLengthExceeded", 0.0), (2, 2, None, 0.0)]
    assert result.response is not None and result.response.text == "big enough"
    assert fake_sleep.slept == []


async def test_context_length_without_a_larger_model_raises(fake_sleep: FakeSleep) -> None:
    overflow = error(ContextLengthExceeded)
    model = chain([overflow], ["never"], windows=(128_000, 128_000))
    recorder = Recorder()

    with pytest.raises(ContextLengthExceeded):
        await complete(
            model, REQUEST, on_attempt=recorder, sleep=fake_sleep, clock=fake_sleep.clock
        )

    assert recorder.summary() == [(1, 0, "ContextLengthExceeded", 0.0)]


async def test_context_length_with_unknown_window_does_not_fail_over(
    fake_sleep: FakeSleep,
) -> None:
    model = chain([error(ContextLengthExceeded)], ["never"], windows=(None, 1_000_000))

    with pytest.raises(ContextLengthExceeded):
        await complete(model, REQUEST, on_attempt=Recorder(), sleep=fake_sleep)


async def test_retry_after_wins_when_longer(fake_sleep: FakeSleep) -> None:
    model = ScriptedModel([error(RateLimited, retry_after=5.0), "ok"], retry=POLICY)

    await complete(model, REQUEST, on_attempt=Recorder(), sleep=fake_sleep, clock=fake_sleep.clock)

    assert fake_sleep.slept == [5.0]


async def test_backoff_wins_when_retry_after_is_shorter(fake_sleep: FakeSleep) -> None:
    model = ScriptedModel([error(RateLimited, retry_after=0.1), "ok"], retry=POLICY)

    await complete(model, REQUEST, on_attempt=Recorder(), sleep=fake_sleep, clock=fake_sleep.clock)

    assert fake_sleep.slept == [0.5]


async def test_a_retry_after_past_the_deadline_is_not_waited_out(fake_sleep: FakeSleep) -> None:
    model = ScriptedModel([error(RateLimited, retry_after=300.0), "never"], retry=POLICY)
    recorder = Recorder()

    with pytest.raises(RateLimited):
        await complete(
            model, REQUEST, on_attempt=recorder, sleep=fake_sleep, clock=fake_sleep.clock
        )

    assert [a.number for a in recorder.attempts] == [1]
    assert fake_sleep.slept == []


async def test_deadline_stops_retries(fake_sleep: FakeSleep) -> None:
    policy = RetryPolicy(max_attempts=10, initial_backoff=0.5, jitter=0, deadline=1.0)
    failure = error(ProviderServerError)
    model = ScriptedModel([failure] * 10, retry=policy)
    recorder = Recorder()

    with pytest.raises(ProviderServerError):
        await complete(
            model, REQUEST, on_attempt=recorder, sleep=fake_sleep, clock=fake_sleep.clock
        )

    # t=0 fail, wait 0.5 (ends at 0.5 <= 1.0); t=0.5 fail, wait 1.0 would end at 1.5 > 1.0.
    assert [a.number for a in recorder.attempts] == [1, 2]
    assert fake_sleep.slept == [0.5]


async def test_backoff_is_capped_and_jitter_stays_in_range(fake_sleep: FakeSleep) -> None:
    capped = RetryPolicy(max_attempts=4, initial_backoff=10.0, max_backoff=15.0, jitter=0)
    failure = error(ProviderServerError)
    await complete(
        ScriptedModel([failure, failure, failure, "ok"], retry=capped),
        REQUEST,
        on_attempt=Recorder(),
        sleep=fake_sleep,
        clock=fake_sleep.clock,
    )
    assert fake_sleep.slept == [10.0, 15.0, 15.0]

    jittered = FakeSleep()
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.5, jitter=0.5)
    await complete(
        ScriptedModel([failure, failure, "ok"], retry=policy),
        REQUEST,
        on_attempt=Recorder(),
        sleep=jittered,
        clock=jittered.clock,
    )
    first, second = jittered.slept
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 1.5


async def test_each_attempt_is_reported_before_the_next_step(fake_sleep: FakeSleep) -> None:
    log: list[str] = []

    async def sleep(seconds: float) -> None:
        log.append(f"sleep {seconds}")
        await fake_sleep(seconds)

    failure = error(ProviderServerError)
    model = chain([failure, failure, failure], [failure, "ok"])

    await complete(model, REQUEST, on_attempt=Recorder(log), sleep=sleep, clock=fake_sleep.clock)

    assert log == [
        "attempt 1",
        "sleep 0.5",
        "attempt 2",
        "sleep 1.0",
        "attempt 3",
        "attempt 4",
        "sleep 0.5",
        "attempt 5",
    ]


async def test_success_attempt_has_exchange_usage_and_cost() -> None:
    usage = Usage(input_tokens=1000, output_tokens=100)
    reply = ScriptedModel.text("priced", usage=usage, model="gpt-4o")
    model = ScriptedModel([reply], model="gpt-4o")
    recorder = Recorder()

    result = await complete(model, REQUEST, on_attempt=recorder)

    assert result.usage == usage
    assert result.cost_usd == pytest.approx(1000 * 2.5e-06 + 100 * 1e-05, rel=1e-12)
    assert result.exchange is not None and result.exchange.provider == "scripted"
    stored = json.loads(result.model_dump_json())
    assert "response" not in stored
    assert Attempt.model_validate_json(result.model_dump_json()).response is None


async def test_unknown_model_has_no_cost() -> None:
    result = await complete(ScriptedModel(["x"]), REQUEST, on_attempt=Recorder())

    assert result.cost_usd is None


async def test_parse_failure_is_recorded_with_its_exchange(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(_raw: object) -> None:
        raise KeyError("choices")

    monkeypatch.setattr("agentkit.models.scripted.parse_scripted_exchange", broken)
    recorder = Recorder()
    model = ScriptedModel(["fine", "never"])

    with pytest.raises(ResponseParseError) as caught:
        await complete(model, REQUEST, on_attempt=recorder)

    assert len(model.requests) == 1  # not retried
    assert recorder.attempts[0].error is not None
    assert recorder.attempts[0].error["type"] == "ResponseParseError"
    assert recorder.attempts[0].exchange is not None
    assert recorder.attempts[0].exchange.response_body is not None
    assert caught.value.exchange is recorder.attempts[0].exchange


async def test_streaming_ends_with_stream_done(fake_sleep: FakeSleep) -> None:
    events: list[StreamEvent] = []
    model = ScriptedModel([error(StreamInterrupted), "streamed reply"], retry=POLICY)
    recorder = Recorder()

    result = await complete(
        model,
        REQUEST,
        on_attempt=recorder,
        on_event=events.append,
        sleep=fake_sleep,
        clock=fake_sleep.clock,
    )

    assert events[:-1] == [TextDelta(text="streamed"), TextDelta(text=" reply")]
    assert events[-1] == StreamDone(response=result.response)  # type: ignore[arg-type]
    assert recorder.summary() == [(1, 0, "StreamInterrupted", 0.0), (2, 0, None, 0.5)]


async def test_async_event_callbacks_are_awaited() -> None:
    seen: list[str] = []

    async def on_event(event: StreamEvent) -> None:
        seen.append(event.kind)

    await complete(ScriptedModel(["abc"]), REQUEST, on_attempt=Recorder(), on_event=on_event)

    assert seen == ["text_delta", "done"]


async def test_model_request_and_stream_conveniences() -> None:
    model = FallbackModel(ScriptedModel(["one"]), ScriptedModel(["two"]))

    assert (await model.request(REQUEST)).text == "one"
    events = [event async for event in ScriptedModel(["streamed"]).stream(REQUEST)]
    assert [event.kind for event in events] == ["text_delta", "done"]


async def test_stream_raises_the_final_error() -> None:
    model = ScriptedModel([error(BadRequest)])

    with pytest.raises(BadRequest):
        async for _ in model.stream(REQUEST):
            pass


async def test_rate_limited_attempt_penalizes_the_limiter_without_double_waiting(
    fake_sleep: FakeSleep,
) -> None:
    limit = RateLimit(rpm=100, clock=fake_sleep.clock, sleep=fake_sleep)
    model = ScriptedModel(
        [error(RateLimited, retry_after=5.0), "ok"], retry=POLICY, rate_limit=limit
    )

    await complete(model, REQUEST, on_attempt=Recorder(), sleep=fake_sleep, clock=fake_sleep.clock)

    assert fake_sleep.slept == [5.0]  # the backoff covered the penalty


async def test_rate_limit_is_acquired_before_each_attempt(fake_sleep: FakeSleep) -> None:
    limit = RateLimit(rpm=1, max_concurrency=1, clock=fake_sleep.clock, sleep=fake_sleep)
    model = ScriptedModel(["a", "b"], rate_limit=limit)

    await complete(model, REQUEST, on_attempt=Recorder(), sleep=fake_sleep, clock=fake_sleep.clock)
    await complete(model, REQUEST, on_attempt=Recorder(), sleep=fake_sleep, clock=fake_sleep.clock)

    assert fake_sleep.slept == [60.0]


async def test_fallback_model_is_a_model_and_flattens_nested_chains(
    fake_sleep: FakeSleep,
) -> None:
    inner = chain([error(ProviderOverloaded)] * 3, ["from inner"])
    outer = FallbackModel(inner, ScriptedModel(["last"], model="model-last"))

    assert isinstance(outer, Model)
    assert [m.model_name for m in outer.chain] == ["model-0", "model-1", "model-last"]
    recorder = Recorder()
    attempt = await complete(outer, REQUEST, on_attempt=recorder, sleep=fake_sleep)
    assert attempt.response is not None and attempt.response.text == "from inner"
    assert [(n, i, e) for n, i, e, _ in recorder.summary()] == [
        (1, 0, "ProviderOverloaded"),
        (2, 0, "ProviderOverloaded"),
        (3, 0, "ProviderOverloaded"),
        (4, 1, None),
    ]


async def test_fallback_model_call_tries_each_member_once_and_stops_on_caller_errors() -> None:
    once = FallbackModel(
        ScriptedModel([error(RateLimited)], model="a"), ScriptedModel(["b answers"], model="b")
    )
    exchange = await once.call(REQUEST)
    assert exchange.model == "b"
    assert once.parse(exchange).text == "b answers"

    stops = FallbackModel(ScriptedModel([error(BadRequest)]), ScriptedModel(["never"]))
    with pytest.raises(BadRequest):
        await stops.call(REQUEST)


def test_fallback_model_takes_models_only() -> None:
    with pytest.raises(TypeError, match="FallbackModel takes Model instances, got str"):
        FallbackModel("gpt-4o")  # type: ignore[arg-type]

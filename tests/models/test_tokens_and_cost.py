"""Token estimates (offline, never downloading) and prices from LiteLLM's map."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from agentkit.models import (
    Message,
    ModelRequest,
    ToolSpec,
    Usage,
    context_window_for,
    cost_usd,
    count_tokens,
    estimate_request_tokens,
)
from tests.killing import run_process

# A text whose token count tells the encodings (and the chars / 4 fallback) apart.
MIXED = "Ünïcödé façade naïve 東京 😀😀😀"


def _bundled_encodings() -> Path:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("litellm is not installed; it ships the tiktoken encoding files")
    return Path(spec.submodule_search_locations[0]) / "litellm_core_utils" / "tokenizers"


def test_without_cached_encodings_the_estimate_is_chars_over_four(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))

    assert count_tokens("gpt-4o", MIXED) == 7  # 28 characters / 4, not o200k_base's 12
    assert count_tokens("gpt-4o", "a" * 9) == 3
    assert count_tokens("gpt-4o", "") == 0
    assert list(tmp_path.iterdir()) == []  # nothing was downloaded


def test_disabled_tiktoken_cache_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")

    assert count_tokens("gpt-4o", MIXED) == 7  # characters / 4


def test_cached_encoding_counts_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(_bundled_encodings()))

    # MIXED is 12 tokens in o200k_base, 19 in cl100k_base and 7 by characters / 4.
    assert count_tokens("gpt-4o", MIXED) == 12
    assert count_tokens("gpt-4o", "hello world") == 2
    assert count_tokens("gpt-3.5-turbo", MIXED) == 19
    assert count_tokens("claude-haiku-4-5", MIXED) == 12  # unknown to tiktoken: o200k_base


def test_request_estimate_adds_overheads_and_output_cap(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    request = ModelRequest(
        messages=[Message.system("x" * 40), Message.user("y" * 40)],
        tools=[ToolSpec(name="t", description="d", parameters={})],
        max_tokens=100,
    )

    # text: 40 + 1 + 40 + 1 + "t" + 1 + "d" + 1 + "{}" = 88 chars -> 22 tokens
    assert estimate_request_tokens("gpt-4o", request) == 22 + 2 * 4 + 3 + 100
    no_cap = request.model_copy(update={"max_tokens": None})
    assert estimate_request_tokens("m", no_cap, default_max_tokens=4096) == 22 + 11 + 4096
    assert estimate_request_tokens("m", no_cap) == 22 + 11


def test_estimating_never_touches_the_network(tmp_path: Path) -> None:
    # A fresh interpreter with an empty cache and the network unusable.
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise SystemExit('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from agentkit.models import count_tokens\n"
        "print(count_tokens('gpt-4o', 'abcdefgh'))\n"
    )
    result = run_process(
        [sys.executable, "-c", code],
        env={"TIKTOKEN_CACHE_DIR": str(tmp_path), "PATH": ""},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"


def test_cost_from_the_price_map() -> None:
    usage = Usage(input_tokens=1000, output_tokens=200, cached_tokens=400)

    cost = cost_usd(usage, "gpt-4o-2024-08-06")

    assert cost == pytest.approx(600 * 2.5e-06 + 400 * 1.25e-06 + 200 * 1e-05, rel=1e-12)


def test_cost_tries_each_name_and_provider_prefixes() -> None:
    usage = Usage(input_tokens=423, output_tokens=202)

    assert cost_usd(usage, "not-a-model", "claude-haiku-4-5-20251001") == pytest.approx(
        423 * 1e-06 + 202 * 5e-06, rel=1e-12
    )
    assert cost_usd(usage, "openai/gpt-4o") == pytest.approx(423 * 2.5e-06 + 202 * 1e-05)


def test_unknown_model_costs_none() -> None:
    assert cost_usd(Usage(input_tokens=1), "my-private-model") is None
    assert cost_usd(Usage(input_tokens=1), "sample_spec") is None


def test_context_window_from_the_price_map() -> None:
    assert context_window_for("gpt-4o") == 128000
    assert context_window_for("claude-haiku-4-5") == 200000
    assert context_window_for("my-private-model") is None


def test_price_map_is_read_without_importing_litellm() -> None:
    code = (
        "import sys\n"
        "from agentkit.models import cost_usd, Usage\n"
        "print(cost_usd(Usage(input_tokens=1000), 'gpt-4o'), 'litellm' in sys.modules)\n"
    )
    result = run_process(
        [sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], check=True
    )
    assert result.stdout.split() == ["0.0025", "False"]

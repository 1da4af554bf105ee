"""Read the recorded provider exchanges in ``tests/fixtures/providers``.

Two VCR flavours live there: pydantic-ai cassettes keep JSON bodies under
``parsed_body``; openllmetry cassettes keep the raw ``body`` (a JSON string on
requests, ``body.string`` on responses, sometimes gzip-compressed bytes).
A missing cassette fails the test (``FileNotFoundError`` naming the path): the
fixtures are part of the repository, so a missing one is a defect, not a skip.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PROVIDERS = FIXTURES / "providers"
SYNTHETIC = Path(__file__).resolve().parent / "synthetic"


@dataclass(frozen=True)
class Interaction:
    """One recorded request and its response."""

    uri: str
    request_body: dict[str, Any] | None
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The response body as JSON."""
        return json.loads(self.body)

    def text(self) -> str:
        """The response body as text (SSE streams)."""
        return self.body.decode("utf-8")

    def sse_data(self) -> list[dict[str, Any]]:
        """The JSON ``data:`` payloads of an SSE body, without ``[DONE]``."""
        events: list[dict[str, Any]] = []
        for line in self.text().splitlines():
            if line.startswith("data:"):
                payload = line[len("data:") :].strip()
                if payload and payload != "[DONE]":
                    events.append(json.loads(payload))
        return events


def _first(values: Any) -> str:
    return str(values[0]) if isinstance(values, list) else str(values)


def _response_body(response: dict[str, Any], headers: dict[str, str]) -> bytes:
    if "parsed_body" in response:
        return json.dumps(response["parsed_body"]).encode()
    raw = response["body"]["string"]
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8")
    if headers.get("content-encoding") == "gzip":
        data = gzip.decompress(data)
    return data


def _request_body(request: dict[str, Any]) -> dict[str, Any] | None:
    if "parsed_body" in request:
        body: dict[str, Any] = request["parsed_body"]
        return body
    raw = request.get("body")
    return json.loads(raw) if raw else None


def load_cassette(name: str) -> list[Interaction]:
    """The interactions of ``providers/<name>`` (e.g. ``"pydantic-ai/openai__x.yaml"``)."""
    path = PROVIDERS / name
    if not path.is_file():
        raise FileNotFoundError(f"recorded fixture {path} is missing from tests/fixtures")
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    interactions: list[Interaction] = []
    for item in document["interactions"]:
        response = item["response"]
        headers = {key.lower(): _first(value) for key, value in response["headers"].items()}
        interactions.append(
            Interaction(
                uri=item["request"]["uri"],
                request_body=_request_body(item["request"]),
                status=int(response["status"]["code"]),
                headers=headers,
                body=_response_body(response, headers),
            )
        )
    return interactions


def load_synthetic(name: str) -> dict[str, Any]:
    """A synthetic error payload from ``tests/models/synthetic`` (status, headers, body)."""
    data: dict[str, Any] = json.loads((SYNTHETIC / name).read_text(encoding="utf-8"))
    return data

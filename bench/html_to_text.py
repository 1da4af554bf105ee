"""HTML to readable text for the fetch tool: trafilatura against markdownify.

Prints, for the article fixture (tests/tools/pages/article.synthetic.html), how much of
the article each library keeps, how much boilerplate (navigation, sidebar,
advert, footer, scripts) leaks through, and the time per page. Runs in a few
seconds: ``python bench/html_to_text.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import trafilatura
from markdownify import markdownify

HTML = (Path(__file__).parents[1] / "tests/tools/pages/article.synthetic.html").read_text()
ARTICLE = [
    "Durable execution for AI agents",
    "Checkpoint every step",
    "no model call is paid twice",
    "only the step that was in flight runs again",
    "Model calls are never repaid.",
    "Tools with side effects run once per completed call.",
    "original paper",
]
BOILERPLATE = [
    "Pricing",
    "Log in",
    "Ten tips for YAML",
    "Buy our cloud",
    "All rights reserved",
    "TRACKING_ID",
    "querySelectorAll",
    "font-family",
]


def with_trafilatura(html: str) -> str:
    return trafilatura.extract(html, output_format="markdown", include_links=True) or ""


def with_markdownify(html: str) -> str:
    return str(markdownify(html, strip=["script", "style"]))


def measure(name: str, convert: object, rounds: int = 50) -> None:
    assert callable(convert)
    text = convert(HTML)
    start = time.perf_counter()
    for _ in range(rounds):
        convert(HTML)
    per_page = (time.perf_counter() - start) / rounds * 1000
    kept = sum(1 for phrase in ARTICLE if " ".join(phrase.split()) in " ".join(text.split()))
    leaked = [phrase for phrase in BOILERPLATE if phrase in text]
    print(
        f"{name:12} article kept {kept}/{len(ARTICLE)}  boilerplate leaked "
        f"{len(leaked)}/{len(BOILERPLATE)} {leaked}  {per_page:.2f} ms/page  {len(text)} chars"
    )


if __name__ == "__main__":
    measure("trafilatura", with_trafilatura)
    measure("markdownify", with_markdownify)

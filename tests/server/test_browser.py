"""The dev UI in a real browser: Playwright drives Debian's chromium against ``agentkit dev``.

Start a run that pauses for approval from the run list, see it waiting, click
Approve, see it complete live (no reload), open a model call and see its raw
response. Screenshots of the run page and the model-call view are saved to a
folder the test prints (``AGENTKIT_UI_SCREENSHOTS`` to choose it).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM_SKIP_REASON
from tests.server._process import agentkit_server

CHROMIUM = shutil.which("chromium")
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=CHROMIUM_SKIP_REASON)


@pytest.fixture
def dev_url(tmp_path: Path) -> Iterator[str]:
    """``agentkit dev`` on a free port, in a subprocess; yields its URL."""
    with agentkit_server(tmp_path, "dev", app="tests.server.browser_app:kit") as (url, _):
        yield url


def screenshots() -> Path:
    folder = Path(
        os.environ.get("AGENTKIT_UI_SCREENSHOTS") or REPO / ".agentkit" / "ui-screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_approve_in_the_ui_and_see_the_run_complete_live(dev_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    folder = screenshots()
    print(f"\nscreenshots: {folder}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            # Generous waits: two cores shared with other suites slow everything down;
            # what is checked is that the page changes by itself, not how fast.
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)
            page.goto(dev_url + "/")
            expect(page.get_by_role("heading", name="Runs")).to_be_visible()
            page.get_by_label("Function").select_option("agent:support")
            page.get_by_label("Input (JSON)").fill('{"input": "Refund order A-17"}')
            page.get_by_role("button", name="Start run").click()

            status = page.locator("h1 .badge")
            expect(status).to_have_text("waiting")
            approval = page.locator(".approval")
            expect(approval).to_contain_text("support/approve/refund")
            page.evaluate("window.__sameDocument = true")
            approve = page.get_by_role("button", name="Approve", exact=True)
            # Keyboard-reachable: Tab gets to the Approve button.
            for _ in range(40):
                page.keyboard.press("Tab")
                if approve.evaluate("button => button === document.activeElement"):
                    break
            else:
                raise AssertionError("Tab never reached the Approve button")
            approve.click()

            expect(status).to_have_text("completed")
            expect(page.locator("#run-output")).to_contain_text("The refund of 40 on A-17 is done.")
            assert page.evaluate("window.__sameDocument") is True  # live: no reload
            expect(page.locator(".approval")).to_have_count(0)
            timeline = page.locator(".timeline .step")
            expect(timeline.filter(has_text="support/tool/refund")).to_have_count(1)
            # The step inspector: the tool step's output.
            timeline.filter(has_text="support/tool/refund").click()
            expect(page.locator("#step-output")).to_contain_text("refunded 40 on A-17")
            page.screenshot(path=folder / "run-page.png", full_page=True)

            page.locator(".call-link").first.click()
            raw = page.locator("#raw-response")
            expect(raw).to_contain_text('"name": "refund"')
            expect(page.locator("#raw-request")).to_contain_text("You help customers.")
            page.screenshot(path=folder / "model-call.png", full_page=True)

            # Fork from the tool step with an edited result: a new run, which completes.
            original = page.url.split("#/runs/")[1].split("/")[0]
            page.get_by_role("link", name=f"← run {original}").click()
            page.locator(".timeline .step").filter(has_text="support/tool/refund").click()
            page.get_by_text("Fork from this step").click()
            page.locator("#fork-result").fill('"refused by the test"')
            page.get_by_role("button", name="Fork with this result").click()
            expect(page).not_to_have_url(re.compile(original))
            # Wait for the forked run's page itself: until it is drawn, a click
            # would land on the original run's timeline.
            forked = page.url.split("#/runs/")[1].split("/")[0]
            expect(page.locator(".meta .mono").first).to_have_text(forked)
            expect(page.locator("h1 .badge")).to_have_text("completed")
            page.locator(".timeline .step").filter(has_text="support/tool/refund").click()
            expect(page.locator("#step-output")).to_have_text('"refused by the test"')

            page.get_by_role("link", name="Runs", exact=True).click()
            rows = page.locator("#runs tr")
            expect(rows).to_have_count(2)
            expect(rows.locator(".badge")).to_have_text(["completed", "completed"])
            page.screenshot(path=folder / "run-list.png", full_page=True)
        finally:
            browser.close()
    assert (folder / "run-page.png").stat().st_size > 0
    assert (folder / "model-call.png").stat().st_size > 0

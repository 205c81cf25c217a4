"""Novu's ``<Inbox />`` in a real browser: headless Chromium (Debian's package) on the demo page of ``clarion dev``.

The bell shows 0; a trigger over HTTP makes it show 1 and the notification appear without a reload;
clicking the notification reads it and the count drops. A screenshot is kept as a test artifact.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from tests.inbox.conftest import Clarion, missing

CHROMIUM = os.environ.get("CLARION_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
ARTIFACTS = Path(os.environ.get("CLARION_TEST_ARTIFACTS", "build/test-artifacts"))


def _playwright() -> object:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        missing("Playwright's Python package is needed for the browser test (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        missing(f"Chromium is needed for the browser test: apt-get install chromium (looked for {CHROMIUM})")
    return async_playwright


@pytest.mark.timeout(240)
async def test_demo_page_inbox_is_live_in_chromium(demo_clarion: Clarion):
    async_playwright = _playwright()
    demo = demo_clarion.demo
    assert demo is not None
    async with async_playwright() as pw:  # type: ignore[operator]
        browser = await pw.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists()
                                           else shutil.which("chromium"), args=FLAGS, headless=True)  # fmt: skip
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 720})
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            await page.goto(f"{demo_clarion.url}/demo/inbox")
            bell = page.locator("#bell-count")
            await bell.wait_for(timeout=30_000)
            await page.wait_for_function("document.querySelector('#bell-count').textContent === '0'", timeout=30_000)

            async with httpx.AsyncClient(base_url=demo_clarion.url) as client:
                response = await client.post("/v1/events/trigger", headers={"Authorization": f"ApiKey {demo.api_key}"},
                                             json={"name": "welcome", "to": {"subscriberId": "demo-subscriber",
                                                                             "firstName": "Grace"}})  # fmt: skip
                assert response.status_code == 201, response.text
            # Live, without a reload: the socket's unread_count_changed moves the bell.
            await page.wait_for_function("document.querySelector('#bell-count').textContent === '1'", timeout=60_000)
            await bell.click()
            item = page.get_by_text("Welcome, Grace!")
            await item.wait_for(timeout=30_000)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "inbox.png"))
            await item.click()
            await page.wait_for_function("document.querySelector('#bell-count').textContent === '0'", timeout=30_000)
            # The page's own button triggers the demo workflow server-side (no API key in the page).
            await page.locator("#trigger").click()
            await page.wait_for_function("document.querySelector('#bell-count').textContent === '1'", timeout=60_000)
            assert problems == []
        finally:
            await browser.close()

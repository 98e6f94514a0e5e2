"""Debian's chromium, headless, driven by Playwright: the browser every page test runs in."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BROWSER = os.environ.get("COPLAB_TEST_BROWSER")

# Put on a module (`pytestmark = needs_browser`) whose tests drive the browser.
needs_browser = pytest.mark.skipif(not BROWSER, reason="set COPLAB_TEST_BROWSER to a chromium binary to run the browser tests")


@contextmanager
def chromium(**context_options) -> Iterator:  # noqa: ANN003
    """A fresh browser context of a headless chromium that makes no connections of its own (no
    background networking, no component updates), closed afterwards."""
    from playwright.sync_api import sync_playwright

    assert BROWSER and Path(BROWSER).exists(), f"COPLAB_TEST_BROWSER={BROWSER} does not exist"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=BROWSER,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        context = browser.new_context(**context_options)
        try:
            yield context
        finally:
            context.close()
            browser.close()

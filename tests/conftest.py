"""Fixtures shared by every test folder: one headless Chromium per session."""
import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """A Playwright Chromium browser; tests open their own pages."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("Chromium is not installed at %s: run tools/test.sh, "
                    "which installs it" % CHROMIUM)
    from playwright import sync_api
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=CHROMIUM_ARGS)
        yield browser
        browser.close()

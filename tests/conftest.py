"""Fixtures shared by every test folder: one headless Chromium per session."""
import os
import re

import pytest
from widths import WIDTHS

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


@pytest.fixture
def signed_in_page(browser):
    """page = signed_in_page(base_url, username): a new browser page signed
    in through the login form (demo accounts share one password)."""
    from server.seed import DEMO_PASSWORD
    pages = []

    def open_page(base_url, username="admin", password=DEMO_PASSWORD,
                  viewport=(1280, 900)):
        page = browser.new_page(viewport={"width": viewport[0],
                                          "height": viewport[1]})
        pages.append(page)
        page.goto(base_url.rstrip("/") + "/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("form.stack-form button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield open_page
    for page in pages:
        page.close()


SCREENSHOTS = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                           "test-output", "screenshots")


@pytest.fixture
def keep_screenshot(request):
    """keep_screenshot(page, label): a full-page PNG kept in
    test-output/screenshots/, named after the test and `label`, for a person
    to look at after the run.  Returns the file's path."""
    def keep(page, label=""):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name + (
            "-" + label if label else ""))
        name = re.sub("-{2,}", "-", name).strip("-")
        os.makedirs(SCREENSHOTS, exist_ok=True)
        path = os.path.join(SCREENSHOTS, name + ".png")
        page.screenshot(path=path, full_page=True)
        return path
    return keep


@pytest.fixture(params=list(WIDTHS))
def screen(request):
    """(label, (width, height)) of each screen size in WIDTHS: a test that
    takes it runs once per size."""
    return request.param, WIDTHS[request.param]

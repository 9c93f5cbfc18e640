"""Fixtures shared by every test folder: one headless Chromium per session,
the MicroPython interpreter; and the lanes (pytest markers) every test is
put in, so that `tools/test.sh -m LANE` runs one kind alone."""
import os
import re
import types
from pathlib import Path

import pytest
from up_support import Running
from widths import WIDTHS

from server.gunlink.broker import Broker
from tools.simulate import SimulatedGun
from tools.up import Stack

REPO = Path(__file__).resolve().parent.parent

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
    from server.demo_data import DEMO_PASSWORD
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


@pytest.fixture(scope="session")
def micropython():
    """The MicroPython interpreter (the unix port) of the project's .venv."""
    path = REPO / ".venv" / "bin" / "micropython"
    if not os.access(path, os.X_OK):
        pytest.fail("MicroPython is not installed at %s: run "
                    "tools/bootstrap.sh test" % path)
    return path


# ------------------------------------------------------------ the lanes
# A test's lanes follow from what it uses, never from its name: the
# fixtures it asks for, the folder it lives in, and the parts that start
# an outside process which its own code or its fixtures' code calls.
# A test in none of the lanes below is a `unit` test.
LANES = ("micropython", "broker", "browser", "e2e")
LANES_BY_FIXTURE = {
    "browser": {"browser"},
    "signed_in_page": {"browser"},
    "micropython": {"micropython"},
}
LANES_BY_FOLDER = {
    "e2e": {"e2e"},
    "firmware": {"micropython"},
}
# What a process starter is, checked by identity, not by name.
LANES_BY_STARTER = (
    (Broker, {"broker"}),                       # Mosquitto
    (SimulatedGun, {"micropython"}),            # the firmware, simulated
    (Stack, {"broker", "micropython"}),         # the stack, demo guns
)
# The product's commands a test runs as processes (up_support.Running),
# told by the arguments written in the test: `pickgun up` starts Mosquitto,
# and with --demo (as tools/run.sh does) the simulated guns too.
LANES_BY_COMMAND_WORD = {
    "up": {"broker"},
    "--demo": {"broker", "micropython"},
    "tools/run.sh": {"broker", "micropython"},
}


def _names_used(code):
    """Every global name that code (and the functions inside it) reads,
    and every string written in it."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_used(const)
        elif isinstance(const, str):
            names.add(const)
    return names


def _lanes_of_code(func, seen=None):
    """The lanes of what func starts, itself or through the helpers of its
    own module that it calls."""
    lanes = set()
    code = getattr(func, "__code__", None)
    seen = set() if seen is None else seen
    if code is None or code in seen:
        return lanes
    seen.add(code)
    module_globals = getattr(func, "__globals__", {})
    names = _names_used(code)
    for name in names:
        used = module_globals.get(name)
        for starter, starter_lanes in LANES_BY_STARTER:
            if used is starter:
                lanes |= starter_lanes
        if (isinstance(used, types.FunctionType)
                and used.__module__ == func.__module__):
            lanes |= _lanes_of_code(used, seen)
    if module_globals.get("Running") is Running and "Running" in names:
        for word in names & set(LANES_BY_COMMAND_WORD):
            lanes |= LANES_BY_COMMAND_WORD[word]
    return lanes


def lanes_of(item):
    """The lanes a collected test belongs to."""
    lanes = set()
    for name in getattr(item, "fixturenames", ()):
        lanes |= LANES_BY_FIXTURE.get(name, set())
    folders = Path(str(item.path)).relative_to(REPO / "tests").parts[:-1]
    for folder in folders:
        lanes |= LANES_BY_FOLDER.get(folder, set())
    lanes |= _lanes_of_code(getattr(item, "function", None))
    fixtureinfo = getattr(item, "_fixtureinfo", None)
    for defs in (fixtureinfo.name2fixturedefs.values()
                 if fixtureinfo else ()):
        for fixturedef in defs:
            lanes |= _lanes_of_code(fixturedef.func)
    return lanes


# Lanes whose tests share what one machine has once: the product's default
# ports (`pickgun up`), the simulated guns and their many processes.
# Under pytest-xdist (tools/test.sh runs two workers, --dist loadgroup)
# the firmware's own tests (tests/firmware/) run on one worker, one after
# another, and the whole-stack ones (e2e, the README's commands at the top
# of tests/, other simulated guns) on one; the rest spread over both.  The
# firmware's build folder (build/) is written by both, each file through a
# temporary name of its own and os.replace.
SHARED_LANES = {"micropython", "e2e"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        lanes = lanes_of(item) or {"unit"}
        for lane in sorted(lanes):
            item.add_marker(lane)
        folder = Path(str(item.path)).parent
        if folder == REPO / "tests" / "firmware":
            item.add_marker(pytest.mark.xdist_group("firmware"))
        elif lanes & SHARED_LANES or folder == REPO / "tests":
            item.add_marker(pytest.mark.xdist_group("stack"))

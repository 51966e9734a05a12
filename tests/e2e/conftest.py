"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser) against live_server.

Fixtures: ``page`` (a fresh 1366×768 zh-CN page), ``login`` (``login(page, username, password=…)``),
``artifact(name)`` for screenshots under ``test-artifacts/``, ``new_page(browser, live_server)`` for a
second user's page.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
TEST_PASSWORD = "Test-pass-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def artifact(name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / name)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make install` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, live_server, **context_options):
    """A fresh page in a browser context of its own (a second user at once); close ``page.context``.
    ``context_options`` go to ``browser.new_context`` (``bypass_csp=True`` lets a test inject a script
    from node_modules, as the accessibility test does with axe-core)."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 768},
        locale="zh-CN",
        base_url=live_server.url,
        **context_options,
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    external = []

    def guard(route):
        url = route.request.url
        if url.startswith(live_server.url) or url.startswith(("data:", "blob:")):
            return route.continue_()
        external.append(url)
        return route.abort()

    # The network is closed: any request that leaves the live server is a defect (a CDN asset, a tile).
    context.route("**/*", guard)
    page.external_requests = external
    return page


@pytest.fixture
def page(browser, live_server):
    page = new_page(browser, live_server)
    yield page
    page.context.close()


@pytest.fixture
def login(live_server):
    def do_login(page, username: str, password: str = TEST_PASSWORD):
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.press("#id_password", "Enter")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    return do_login

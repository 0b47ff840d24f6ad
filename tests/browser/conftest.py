"""Playwright with Debian's chromium (test tools cannot download browsers here)."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session", autouse=True)
def _database_before_browser(django_db_setup):
    """Create the test database before Playwright starts its event loop in this thread."""


@pytest.fixture(scope="module", autouse=True)
def _async_unsafe_allowed(_database_before_browser):
    """Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to
    run in a thread with a running loop unless told it is safe (it is: one thread drives the
    browser). Module-scoped so it outlives each test's database teardown, and undone after
    the browser tests: a subprocess started by another test must not inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


# pytest-playwright keeps one Playwright (and its event loop, which Django then sees as running
# in this thread) for the whole session. Here it lives for one module only and stops before the
# other test folders run, so their database work is never mistaken for async code.


@pytest.fixture(scope="module")
def playwright(_async_unsafe_allowed):
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="module")
def browser(launch_browser):
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)"
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="module")
def browser_context_args():
    return {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


@pytest.fixture
def console_errors(page):
    """Every console error and uncaught exception of the page, for `assert not errors`."""
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    return errors


# Installed in every document before its own scripts: each Content-Security-Policy violation
# (an inline script, handler or style refused, a file from elsewhere) goes to the test at once
# through an exposed function, and is kept in window.__cspViolations as well.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const text = `${event.effectiveDirective} refused ${event.blockedURI || "inline"} on ` +
    `${event.documentURI} (${event.sourceFile || "page"}:${event.lineNumber})`;
  window.__cspViolations.push(text);
  if (window.__cspViolation) { window.__cspViolation(text); }
});
"""


@pytest.fixture
def csp_violations(page):
    """Every Content-Security-Policy violation of the page's documents, from the
    `securitypolicyviolation` event and from Chrome's console lines about them."""
    found: list[str] = []
    page.expose_function("__cspViolation", lambda text: found.append(text))
    page.add_init_script(CSP_RECORDER)
    page.on(
        "console",
        lambda msg: (
            found.append(f"console: {msg.text}") if "Content Security Policy" in msg.text else None
        ),
    )
    return found


@pytest.fixture
def shot(page, console_errors, csp_violations):
    """Screenshot the current page under test-artifacts/screenshots and check its console and
    that no Content-Security-Policy violation happened so far."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> None:
        page.wait_for_load_state("load")
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        assert not console_errors, f"{name}: {console_errors}"
        assert not csp_violations, f"{name}: {csp_violations}"

    return take

"""Browser tests: real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against
pytest-django's live server. Run them with `pytest -m e2e`; see docs/testing.md."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect, sync_playwright

from actors.models import User
from actors.selectors import user_roles
from tests import factories

# Playwright's sync API runs an asyncio loop in the test's thread, and Django refuses ORM calls
# from a thread with a running loop (it reads this variable at each call). The tests only set up
# data and read results between browser steps, never concurrently with the loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("SAMORDNA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
# The README's screenshots; written only on request, so an ordinary run leaves the tree clean.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# tests/factories.UserFactory gives every user this password.
PASSWORD = "losenord-123"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole run. In CI a missing browser fails; elsewhere it skips."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}; install it with `apt-get install chromium`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, Swedish and in Stockholm time."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="sv-SE",
        timezone_id="Europe/Stockholm",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would. The one place tests log in.

    A manager or admin gets a confirmed TOTP device (or keeps theirs) and types its current code.
    """
    user = User.objects.get(username=username)
    roles = user_roles(user=user)
    device = factories.TOTPDeviceFactory(user=user) if roles.is_manager or roles.is_admin else None
    page.goto("/logga-in/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    if device is not None:
        page.locator("#id_token").fill(f"{totp(device.bin_key):06d}")
        page.get_by_role("button", name="Fortsätt").click()
    expect(page.get_by_role("button", name="Logga ut")).to_be_visible()


def screenshot_dir() -> Path:
    """docs/screenshots with SAMORDNA_SCREENSHOTS=1 set, else a directory under the system's
    temporary directory (docs/testing.md)."""
    if os.environ.get("SAMORDNA_SCREENSHOTS") == "1":
        return DOCS_SCREENSHOTS
    return Path(tempfile.gettempdir()) / "samordna-screenshots"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save the page as <name>.png in screenshot_dir() (the README shows docs/screenshots)."""
    directory = screenshot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path

"""Real headless Chromium (Debian's) driven by Playwright against a live test server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from django.contrib.staticfiles.testing import StaticLiveServerTestCase

from tests.base import ensure_stage_catalogue
from tests.services import CHROMIUM, require_service

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation on ${location.pathname}: ${event.violatedDirective} blocked`
    + ` ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`
    + ` (${(event.sample || "").slice(0, 60)})`);
});
"""


class ChromiumMixin:
    """One Chromium per test class, a fresh context per test, screenshots as artifacts.

    A class adds its own launch flags in `extra_chromium_args` (a fake microphone, say)."""

    extra_chromium_args: ClassVar[tuple[str, ...]] = ()
    playwright: Any
    browser: Any
    base_url: str

    @classmethod
    def setUpClass(cls) -> None:
        require_service("chromium")
        from playwright.sync_api import sync_playwright

        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else None,
            args=[*CHROMIUM_ARGS, *cls.extra_chromium_args],
        )

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        # Live-server tests empty every table afterwards, the migrated catalogue included.
        ensure_stage_catalogue()
        self.context = self.browser.new_context(viewport={"width": 1360, "height": 900})
        self.context.set_default_timeout(15_000)
        # A refusal by the Content Security Policy shows as a console error, so it fails
        # the test like any other (see tearDown).
        self.context.add_init_script(script=CSP_REPORTER)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text),
        )
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def tearDown(self) -> None:
        self.context.close()
        errors, self.console_errors = self.console_errors, []
        self.assertEqual(errors, [], "the browser reported errors")  # type: ignore[attr-defined]

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def wait_until(self, expression: str, timeout: float = 15.0) -> None:
        """Poll a JavaScript expression from here: Playwright's wait_for_function evaluates
        strings inside the page, which the app's Content Security Policy (rightly) refuses."""
        import time

        deadline = time.monotonic() + timeout
        while not self.page.evaluate(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.05)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def log_in(self, username: str, password: str) -> None:
        self.go("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.base_url + "/")


class BrowserTestCase(ChromiumMixin, StaticLiveServerTestCase):
    """Chromium against Django's live test server (runserver-like, in a thread)."""

    @property
    def base_url(self) -> str:  # type: ignore[override]
        return self.live_server_url

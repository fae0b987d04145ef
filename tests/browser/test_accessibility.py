"""axe-core over every page, for each kind of user who may see it, in real Chromium.

The pages come from the URL configuration (tests/world.py), so a new URL that is neither a
page here nor listed as a file or a fragment fails `test_every_url_is_a_page_or_not`. The
run waits for what a person would see (the player drawn from its peaks) and counts only
serious and critical violations, which must be none.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from tests.base import add_cast
from tests.browser.base import ARTIFACTS, BrowserTestCase
from tests.security.test_permission_matrix import ADMIN, ANON, COACH, OWNER, RULES
from tests.world import WorldMixin, url_names

pytestmark = pytest.mark.browser

# Whole pages a person opens.
PAGES = {
    "songs:home",
    "songs:new",
    "songs:detail",
    "songs:edit",
    "songs:release_details",
    "songs:retrospective",
    "songs:dossier",
    "songs:bounce",
    "songs:compare",
    "songs:compare_reference",
    "stages:record",
    "coaching:queue",
    "coaching:review",
    "coaching:snippets",
    "coaching:notifications",
    "coaching:tendencies",
    "coaching:tendencies_people",
    "coaching:cohorts",
    "coaching:cohort_new",
    "coaching:cohort",
    "coaching:cohort_edit",
    "coaching:cohort_duplicate",
    "coaching:cohort_import",
    "coaching:progress",
    "coaching:analytics",
    "coaching:join",
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "password_change",
    "password_change_done",
}
# Files, JSON and the fragments htmx swaps into the pages above (checked there), and the
# URLs that only redirect or only take a POST.
NOT_PAGES = {
    "songs:artwork",
    "songs:artwork_thumbnail",
    "songs:readiness",
    "songs:dossier_json",
    "songs:bounce_analysis",
    "songs:earlier_bounces",
    "songs:bounce_waveform",
    "songs:bounce_peaks",
    "songs:bounce_audio",
    "songs:bounce_download",
    "songs:reference_analysis",
    "songs:reference_audio",
    "songs:reference_peaks",
    "coaching:review_blocking",
    "coaching:comment_voice",
    "coaching:bell",
    "coaching:open_notification",
    "coaching:export",
}
SERIOUS = {"serious", "critical"}
PASSWORDS = {"alice": "password-alice", "bob": "password-bob", "frank": "password-frank"}


class AccessibilityTests(WorldMixin, BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        add_cast(self)
        self.build_world()
        self.axe = Axe()

    def test_every_url_is_a_page_or_not(self) -> None:
        gets = {name for name in url_names() if "GET" in RULES[name][0]}
        self.assertEqual(sorted(gets - PAGES - NOT_PAGES), [], "a page to check, or not?")
        self.assertEqual(sorted((PAGES | NOT_PAGES) - gets), [], "no longer a GET URL")

    def violations(self, path: str) -> list[str]:
        self.go(path)
        # Wait for what a person would see: every player drawn from its peaks.
        self.wait_until(
            "document.querySelectorAll('[data-peaks]').length"
            " === document.querySelectorAll('[data-peaks][data-ready=live]').length"
        )
        before = len(self.console_errors)
        results: dict[str, Any] = self.axe.run(self.page).response
        # axe copies the styles of the player's shadow DOM into <style> elements of its own,
        # which the page's policy (rightly) refuses: those refusals are the tool's, not
        # the page's, so they are dropped; anything else the run logs still fails the test.
        self.console_errors[before:] = [
            error for error in self.console_errors[before:] if not self.refused_axe_style(error)
        ]
        self.report[path] = [v for v in results["violations"] if v["impact"] in SERIOUS]
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
            f" and {len(v['nodes']) - 1} more"
            for v in results["violations"]
            if v["impact"] in SERIOUS
        ]

    @staticmethod
    def refused_axe_style(error: str) -> bool:
        return "inline style violates" in error or (
            "CSP violation" in error and "style-src-elem blocked inline at :" in error
        )

    def check_pages_for(self, kind: str, username: str | None) -> None:
        if username is not None:
            self.log_in(username, PASSWORDS[username])
        checked = 0
        self.report: dict[str, Any] = {}
        self.addCleanup(self.write_report, kind)
        for name in sorted(PAGES):
            if kind not in RULES[name][1]:
                continue
            path = reverse(name, kwargs=self.kwargs(name))
            with self.subTest(page=name, user=kind):
                self.assertEqual(self.violations(path), [])
            checked += 1
        self.assertGreater(checked, 0)

    def write_report(self, kind: str) -> None:
        """Every serious violation found, in full, beside the screenshots."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"axe-{kind.replace(' ', '-')}.json"
        path.write_text(json.dumps(self.report, indent=1))

    def test_the_student_s_pages(self) -> None:
        self.check_pages_for(OWNER, "alice")

    def test_the_coach_s_pages(self) -> None:
        self.check_pages_for(COACH, "bob")

    def test_the_course_admin_s_pages(self) -> None:
        self.check_pages_for(ADMIN, "frank")

    def test_the_pages_anyone_may_open(self) -> None:
        self.check_pages_for(ANON, None)

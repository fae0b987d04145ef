"""A course admin creates a cohort, imports a class list and sees it on the matrix; a
coach of a large cohort lands on a board of counts and recent songs."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from coaching.models import Cohort, Membership, Role, User
from songs.boards import COACHED_CARDS
from tests.base import add_students
from tests.browser.base import ARTIFACTS, BrowserTestCase

pytestmark = pytest.mark.browser


class CohortJourneyTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        User.objects.create_user(
            username="avery",
            password="lanterns-at-dusk",
            first_name="Avery",
            is_course_admin=True,
        )

    def test_an_admin_creates_a_cohort_imports_students_and_sees_the_matrix(self) -> None:
        page = self.page
        self.log_in("avery", "lanterns-at-dusk")
        page.get_by_role("link", name="Cohorts").click()
        page.get_by_role("link", name="New cohort").click()
        page.fill("#id_name", "Winter Mixing Lab")
        page.fill("#id_course", "Mixing")
        page.fill("#id_starts_on", "2027-01-11")
        page.get_by_role("button", name="Create cohort").click()
        page.get_by_role("heading", name="Winter Mixing Lab").wait_for()
        self.screenshot("11-new-cohort")

        page.get_by_role("link", name="Import students (CSV)").click()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        class_list = ARTIFACTS / "class-list.csv"
        class_list.write_text(
            "name,email\nNia Okoro,nia@example.com\nTom Reyes,tom@example.com\n"
            "Broken Row,not-an-email\n",
            encoding="utf-8",
        )
        page.set_input_files("#id_file", str(class_list))
        page.get_by_role("button", name="Import").click()
        page.get_by_text("2 created").wait_for()
        self.assertIn("not an e-mail address", page.locator(".import-results").inner_text())
        self.screenshot("12-import-results")

        page.get_by_role("link", name="Open the progress matrix").click()
        matrix = page.locator("table.matrix")
        matrix.get_by_text("Nia Okoro").wait_for()
        matrix.get_by_text("Tom Reyes").wait_for()
        self.assertEqual(page.locator("table.matrix tbody tr").count(), 2)
        self.screenshot("13-progress-matrix")
        self.assertEqual(self.console_errors, [])

    def test_a_big_cohort_s_matrix_pages_through_its_students_keeping_sort_and_filter(
        self,
    ) -> None:
        cohort = Cohort.objects.create(name="Spring Lab", course="Mixing")
        add_students(cohort.pk, 120, "lab")
        page = self.page
        self.log_in("avery", "lanterns-at-dusk")
        self.go(f"/cohorts/{cohort.pk}/progress/?sort=progress")
        page.get_by_text("Page 1 of 3").wait_for()
        self.assertEqual(page.locator("table.matrix tbody tr").count(), 50)
        self.screenshot("14-progress-matrix-paginated")
        page.get_by_role("link", name="Next →").click()
        page.get_by_text("Page 2 of 3").wait_for()
        self.assertIn("sort=progress", page.url)
        self.assertEqual(page.locator("select[name=sort]").input_value(), "progress")
        self.go(f"/cohorts/{cohort.pk}/progress/?q=Student011")
        self.assertEqual(page.locator("table.matrix tbody tr").count(), 10)  # 0110 to 0119
        self.assertEqual(page.locator("nav.pager").count(), 0)
        self.assertEqual(self.console_errors, [])


class CoachBoardJourneyTests(BrowserTestCase):
    def test_a_coach_of_a_large_cohort_gets_a_board_of_counts_and_recent_songs(self) -> None:
        cohort = Cohort.objects.create(name="Spring Lab")
        coach = User.objects.create_user(
            username="maya", password="lanterns-at-dusk", first_name="Maya"
        )
        Membership.objects.create(user=coach, cohort=cohort, role=Role.COACH)
        add_students(cohort.pk, 120, "spring")
        page = self.page
        self.log_in("maya", "lanterns-at-dusk")
        board = page.get_by_role("list", name="Your students' songs by stage")
        cards = board.locator(".song-card")
        self.assertLessEqual(cards.count(), 7 * COACHED_CARDS)
        counts = [int(text) for text in board.locator(".board-col .count").all_inner_texts()]
        self.assertEqual(sum(counts), 120)  # every student's song counted, shown or not
        results = Axe().run(page).response  # the cut columns' links and counts too
        serious = [v["id"] for v in results["violations"] if v["impact"] in {"serious", "critical"}]
        self.assertEqual(serious, [])
        self.screenshot("30-coach-board-120-students")
        page.set_viewport_size({"width": 390, "height": 844})
        self.screenshot("31-coach-board-120-students-phone")
        # One cohort: the rest are on its matrix, every student in course order.
        page.get_by_role("link", name="more in").first.click()
        page.wait_for_url(f"{self.base_url}/cohorts/{cohort.pk}/progress/?sort=progress")
        self.assertTrue(page.get_by_role("heading", name="Progress").is_visible())
        self.assertIn("Spring Lab", page.locator(".eyebrow").first.text_content() or "")

    def coach_on_a_phone(self, students: int) -> Cohort:
        """A cohort of `students` and its coach, logged in on a 390 px wide screen."""
        cohort = Cohort.objects.create(name="Spring Lab")
        coach = User.objects.create_user(username="maya", password="lanterns-at-dusk")
        Membership.objects.create(user=coach, cohort=cohort, role=Role.COACH)
        add_students(cohort.pk, students, "spring")
        self.page.set_viewport_size({"width": 390, "height": 844})
        self.log_in("maya", "lanterns-at-dusk")
        return cohort

    def test_a_coach_on_a_phone_reaches_every_review_in_the_queue_without_scrolling_sideways(
        self,
    ) -> None:
        self.coach_on_a_phone(40)  # a tenth of the students waiting for review
        page = self.page
        self.go("/coach/queue/")
        reviews = page.get_by_role("link", name="Review", exact=True)
        self.assertEqual(reviews.count(), 4)
        width = page.evaluate("document.documentElement.clientWidth")
        self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), width)
        for index in range(reviews.count()):
            box = reviews.nth(index).bounding_box()
            assert box is not None
            self.assertLessEqual(box["x"] + box["width"], width)  # in reach, not scrolled to
        first = page.locator("table.queue-rows tbody tr").first
        for label in ["Waiting", "Student", "Song", "Stage", "Round", "Due", "Cohort"]:
            self.assertEqual(first.locator(f'td[data-label="{label}"]').count(), 1)
        self.screenshot("32-review-queue-phone")

    def test_a_coach_on_a_phone_reads_the_cohort_and_its_analytics_without_scrolling_sideways(
        self,
    ) -> None:
        cohort = self.coach_on_a_phone(12)
        page = self.page
        for path, shot in (
            (f"/cohorts/{cohort.pk}/", "33-cohort-phone"),
            (f"/cohorts/{cohort.pk}/analytics/", "34-analytics-phone"),
        ):
            with self.subTest(path=path):
                self.go(path)
                width = page.evaluate("document.documentElement.clientWidth")
                self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), width)
                self.screenshot(shot)
        # The table of stages scrolls inside its card instead.
        table = page.locator(".table-scroll")
        self.assertGreater(
            table.evaluate("element => element.scrollWidth"),
            table.evaluate("element => element.clientWidth"),
        )

"""Every heavy page answers in the same number of queries however much there is on it:
more students in the cohort, more songs, bounces, reviews and comments."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coaching.models import Comment, Review, Verdict
from songs import services
from songs.models import Bounce
from stages.models import StageRecord, Status
from tests.base import BaseTestCase, add_students, make_song, upload_file


class PageQueryCountTests(BaseTestCase):
    def setUp(self) -> None:
        # Some of everything to start with: a student waiting for review, two bounces, a
        # review, comments at a moment and on the stage.
        add_students(self.cohort.pk, 1, "first")
        self.mixing = self.started("mixing")
        self.comment(self.upload(), 1)
        self.comment(self.upload(), 1)  # the latest carries the earlier one's threads
        self.review_approved(1)
        self.student, self.coach = Client(), Client()
        self.student.force_login(self.alice)
        self.coach.force_login(self.bob)

    def upload(self) -> Bounce:
        with self.captureOnCommitCallbacks(execute=True):
            return services.upload_bounce(
                record=self.mixing, uploaded_by=self.alice, upload=upload_file()
            )

    def review_approved(self, count: int) -> None:
        for record in StageRecord.objects.filter(song=self.song, status=Status.APPROVED)[:count]:
            Review.objects.create(
                record=record,
                round=Review.objects.filter(record=record).count() + 1,
                coach=self.bob,
                verdict=Verdict.APPROVED,
                summary="Clear.",
                coach_balance=1,
                balance_comment="Bolder than you say.",
            )

    def grow(self) -> None:
        """Much more of everything a page could list."""
        add_students(self.cohort.pk, 40, "more")
        for index in range(6):
            song = make_song(self.alice, self.cohort, title=f"Another {index}")
            self.started(["songwriting", "recording", "mastering"][index % 3], song)
        for _ in range(3):
            self.comment(self.upload(), 5)
        self.review_approved(4)

    def comment(self, bounce: Bounce, count: int) -> None:
        for index in range(count):
            Comment.objects.create(
                record=self.mixing, bounce=bounce, author=self.bob, body=f"At {index}", at_s=0.1
            )
            Comment.objects.create(record=self.mixing, author=self.alice, body=f"Note {index}")

    def assert_constant(self, client: Client, url: str | Any) -> None:
        def fetch() -> None:
            response = client.get(url() if callable(url) else url)
            self.assertEqual(response.status_code, 200)
            if response.streaming:
                b"".join(response.streaming_content)

        fetch()
        with CaptureQueriesContext(connection) as few:
            fetch()
        self.grow()
        fetch()
        with CaptureQueriesContext(connection) as many:
            fetch()
        self.assertEqual(
            [q["sql"][:60] for q in few.captured_queries],
            [q["sql"][:60] for q in many.captured_queries],
        )

    def test_the_cohort_page_queries_do_not_grow(self) -> None:
        self.assert_constant(self.coach, f"/cohorts/{self.cohort.pk}/")

    def test_the_progress_matrix_queries_do_not_grow(self) -> None:
        self.assert_constant(self.coach, f"/cohorts/{self.cohort.pk}/progress/?sort=progress")

    def test_the_csv_export_queries_do_not_grow(self) -> None:
        self.assert_constant(self.coach, f"/cohorts/{self.cohort.pk}/export.csv")

    def test_the_analytics_queries_do_not_grow(self) -> None:
        self.assert_constant(self.coach, f"/cohorts/{self.cohort.pk}/analytics/")

    def test_the_review_queue_queries_do_not_grow(self) -> None:
        self.assert_constant(self.coach, "/coach/queue/")

    def test_the_student_home_queries_do_not_grow(self) -> None:
        self.assert_constant(self.student, "/")

    def test_the_song_page_queries_do_not_grow(self) -> None:
        self.assert_constant(self.student, f"/songs/{self.song.pk}/")

    def test_the_stage_page_queries_do_not_grow(self) -> None:
        self.assert_constant(self.student, f"/songs/{self.song.pk}/stages/mixing/")

    def test_the_bounce_page_queries_do_not_grow(self) -> None:
        self.assert_constant(
            self.student,
            lambda: f"/bounces/{Bounce.objects.filter(record=self.mixing).latest('pk').pk}/",
        )

    def test_the_tendencies_queries_do_not_grow(self) -> None:
        self.assert_constant(self.coach, f"/people/{self.alice.pk}/tendencies/")

    def test_the_dossier_queries_do_not_grow(self) -> None:
        self.assert_constant(self.student, f"/songs/{self.song.pk}/dossier/")

"""The review queue read a page at a time (the rows and the counts in one query, the
waiting records found from the submitted ones), against the queue's definition in the
models: StageRecord.objects.reviewable_by(coach).awaiting_review(), oldest first. And the
tendency chart's grid and row labels, written in Python."""

from __future__ import annotations

import datetime as dt
import re

from django.core.paginator import Paginator
from django.utils import timezone

from coaching import services
from coaching.models import Membership, Role, StageDeadline, User
from coaching.views import QUEUE_PAGE_SIZE
from songs.models import Song
from stages.models import Stage, StageRecord, Status
from tests.base import BaseTestCase, add_students, make_song


class QueuePagesTests(BaseTestCase):
    """120 waiting in two cohorts bob coaches, in groups sharing a submission time; a few
    on songs set aside or released, and bob's own, which never wait for him."""

    def setUp(self) -> None:
        add_students(self.cohort.pk, 1100, "q")
        add_students(self.other_cohort.pk, 100, "o")
        Membership.objects.create(user=self.bob, cohort=self.other_cohort, role=Role.COACH)
        now = timezone.now()
        waiting = StageRecord.objects.filter(status=Status.SUBMITTED).order_by("-pk")
        for index, record in enumerate(waiting):
            StageRecord.objects.filter(pk=record.pk).update(
                submitted_at=now - dt.timedelta(hours=index // 4)
            )
        songs = list(waiting.values_list("song_id", flat=True)[:3])
        Song.objects.filter(pk=songs[0]).update(archived_at=now)
        Song.objects.filter(pk=songs[1]).update(released_at=now)
        own = make_song(self.bob, self.cohort, title="Bob's own")
        StageRecord.objects.filter(song=own, stage__slug="production").update(
            status=Status.SUBMITTED, submitted_at=now - dt.timedelta(days=30)
        )
        late_stage = Stage.objects.get(slug="pre-production")
        StageDeadline.objects.create(
            cohort=self.cohort, stage=late_stage, due_on=timezone.localdate() - dt.timedelta(days=1)
        )
        self.client.force_login(self.bob)

    def expected(self, coach: User, filters: services.QueueFilters | None = None) -> list[int]:
        filters = filters or services.QueueFilters()
        records = StageRecord.objects.reviewable_by(coach).awaiting_review()
        if filters.cohort:
            records = records.filter(song__cohort_id=filters.cohort)
        if filters.stage:
            records = records.filter(stage__slug=filters.stage)
        if filters.student:
            records = records.filter(song__owner_id=filters.student)
        return list(records.order_by("submitted_at", "pk").values_list("pk", flat=True))

    def shown(self, query: str = "") -> list[int]:
        pks: list[int] = []
        number = 1
        while True:
            page = self.client.get(f"/coach/queue/?page={number}{query}").context["page"]
            pks += [row.pk for row in page.object_list]
            if not page.has_next():
                return pks
            number += 1

    def test_the_pages_together_list_the_queue_in_its_order_ties_and_all(self) -> None:
        expected = self.expected(self.bob)
        self.assertGreater(len(expected), 2 * QUEUE_PAGE_SIZE)
        self.assertEqual(self.shown(), expected)

    def test_the_filters_keep_the_queues_order_across_pages(self) -> None:
        stage = Stage.objects.get(slug="pre-production")
        student = User.objects.get(username="q0010")
        for filters in [
            services.QueueFilters(cohort=self.other_cohort.pk),
            services.QueueFilters(stage=stage.slug),
            services.QueueFilters(student=student.pk),
            services.QueueFilters(cohort=self.cohort.pk, stage="production"),
        ]:
            query = "&" + filters.query_string[1:]
            self.assertEqual(self.shown(query), self.expected(self.bob, filters), filters)

    def test_a_course_admin_sees_every_cohorts_queue_and_their_coaches_own_work(self) -> None:
        self.client.force_login(self.frank)
        expected = self.expected(self.frank)
        self.assertIn(
            StageRecord.objects.get(song__title="Bob's own", stage__slug="production").pk,
            expected,
        )
        self.assertEqual(self.shown(), expected)

    def test_the_counts_are_the_whole_queues_on_every_page(self) -> None:
        waiting = StageRecord.objects.filter(pk__in=self.expected(self.bob))
        late = waiting.filter(song__cohort=self.cohort, stage__slug="pre-production").count()
        self.assertGreater(late, 0)
        for number in (1, 3):
            response = self.client.get(f"/coach/queue/?page={number}")
            self.assertEqual(response.context["page"].paginator.count, waiting.count())
            self.assertEqual(response.context["late_count"], late)
            self.assertContains(response, f'<span class="count-late">{late} late</span>')

    def test_a_page_is_chosen_as_djangos_paginator_chooses_it(self) -> None:
        expected = Paginator(self.expected(self.bob), QUEUE_PAGE_SIZE)
        for asked in [
            "",
            "1",
            "2",
            "3",
            "4",
            "99",
            "0",
            "-2",
            "abc",
            "2.0",
            "9" * 20,
            "-" + "9" * 20,
        ]:
            page = self.client.get(f"/coach/queue/?page={asked}").context["page"]
            reference = expected.get_page(asked or None)
            self.assertEqual(page.number, reference.number, asked)
            self.assertEqual([row.pk for row in page.object_list], list(reference), asked)

    def test_an_empty_queue_has_one_empty_page_whatever_page_is_asked(self) -> None:
        for asked in ["", "3"]:
            response = self.client.get(f"/coach/queue/?stage=nonesuch&page={asked}")
            page = response.context["page"]
            self.assertEqual((page.number, list(page.object_list)), (1, []))
            self.assertContains(response, "<strong>0 waiting</strong>")

    def test_the_review_pages_place_follows_the_same_order(self) -> None:
        expected = self.expected(self.bob)
        second = self.client.get(f"/coach/review/{expected[1]}/").context["place"]
        self.assertEqual(
            (second.position, second.total, second.previous, second.next),
            (2, len(expected), expected[0], expected[2]),
        )


class TendencyChartTests(BaseTestCase):
    def test_each_chart_has_a_grid_line_at_every_place_with_the_centre_marked(self) -> None:
        record = self.started("production")
        record.place_balance(2)
        self.client.force_login(self.alice)
        html = self.client.get(f"/people/{self.alice.pk}/tendencies/").content.decode()
        start = html.index('<svg class="tendency-chart"')
        chart = html[start : html.index("</svg>", start)]
        lines = re.findall(r'<line class="grid( centre)?" x1="([\d.]+)" x2="([\d.]+)"', chart)
        self.assertEqual(len(lines), 11)
        self.assertEqual([centre for centre, _, _ in lines].count(" centre"), 1)
        self.assertEqual(lines[5], (" centre", "320.0", "320.0"))
        self.assertIn('y1="22" y2="66"></line>', chart)

    def test_a_long_title_is_cut_to_fit_on_every_row(self) -> None:
        self.song.title = "A title far too long for the chart's row & more"
        self.song.save()
        self.started("songwriting").place_balance(1)
        self.client.force_login(self.alice)
        page = self.client.get(f"/people/{self.alice.pk}/tendencies/")
        self.assertContains(page, "A title far too long for th… · not reviewed yet", count=2)
        self.assertContains(page, "A title far too long for the chart&#x27;s row &amp; more")

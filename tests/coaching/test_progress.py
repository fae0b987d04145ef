"""The progress matrix, analytics and export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import statistics
from typing import Any

from django.test import override_settings
from django.utils import timezone

from coaching import progress, services
from coaching.models import Membership, Review, Role, StageDeadline, Verdict
from songs.models import Song
from stages.models import Stage, StageRecord
from tests.base import (
    BaseTestCase,
    add_students,
    audio_bytes,
    count_queries,
    make_song,
    make_user,
    store_bounce,
)


class MatrixTests(BaseTestCase):
    def url(self, query: str = "") -> str:
        return f"/cohorts/{self.cohort.pk}/progress/{query}"

    def test_each_song_is_a_row_coloured_by_status_with_links(self) -> None:
        self.started("recording")
        self.client.force_login(self.bob)
        page = self.client.get(self.url())
        rows = page.context["matrix"].rows
        alice = next(r for r in rows if r.student.pk == self.alice.pk)
        self.assertEqual(
            [c.state for c in alice.cells][:5],
            ["approved", "approved", "approved", "in_progress", "not_started"],
        )
        self.assertContains(page, f'href="/songs/{self.song.pk}/stages/recording/"')
        carol = next(r for r in rows if r.student.pk == self.carol.pk)
        self.assertIsNone(carol.song)
        self.assertContains(page, "no song yet")
        self.assertEqual(page.context["matrix"].counts[0]["approved"], 1)

    def test_a_stage_past_its_date_is_late(self) -> None:
        StageDeadline.objects.create(
            cohort=self.cohort,
            stage=Stage.objects.get(slug="production"),
            due_on=timezone.localdate() - dt.timedelta(days=1),
        )
        self.client.force_login(self.bob)
        page = self.client.get(self.url())
        alice = next(r for r in page.context["matrix"].rows if r.student.pk == self.alice.pk)
        self.assertEqual(alice.cells[0].state, "late")
        only_late = self.client.get(self.url("?only=late"))
        # Carol has not even started a song: she is late too.
        self.assertEqual(
            [r.student.pk for r in only_late.context["matrix"].rows], [self.alice.pk, self.carol.pk]
        )
        StageRecord.objects.filter(song=self.song, stage__slug="production").update(
            status="approved"
        )
        only_late = self.client.get(self.url("?only=late"))
        self.assertEqual([r.student.pk for r in only_late.context["matrix"].rows], [self.carol.pk])

    @override_settings(INACTIVE_AFTER_DAYS=3)
    def test_students_without_recent_activity_are_flagged(self) -> None:
        Membership.objects.filter(cohort=self.cohort).update(
            joined_at=timezone.now() - dt.timedelta(days=10)
        )
        StageRecord.objects.filter(song=self.song).update(
            updated_at=timezone.now() - dt.timedelta(days=10)
        )
        type(self.song).objects.filter(pk=self.song.pk).update(
            updated_at=timezone.now() - dt.timedelta(days=10)
        )
        fresh = make_song(self.carol, self.cohort, title="Fresh")
        self.client.force_login(self.bob)
        page = self.client.get(self.url("?only=inactive"))
        self.assertEqual([r.student.pk for r in page.context["matrix"].rows], [self.alice.pk])
        self.assertContains(page, "inactive")
        self.assertIsNotNone(fresh)

    @override_settings(INACTIVE_AFTER_DAYS=3)
    def test_joining_being_imported_or_moved_counts_as_activity_from_that_moment(self) -> None:
        Membership.objects.filter(cohort=self.cohort).update(
            joined_at=timezone.now() - dt.timedelta(days=10)
        )
        long_ago = timezone.now() - dt.timedelta(days=10)
        StageRecord.objects.filter(song=self.song).update(updated_at=long_ago)
        type(self.song).objects.filter(pk=self.song.pk).update(updated_at=long_ago)
        # Joined through an invite just now; imported just now; moved in just now.
        newcomer = make_user("nia")
        Membership.objects.create(user=newcomer, cohort=self.cohort, role=Role.STUDENT)
        self.client.force_login(self.frank)
        csv_file = io.BytesIO(b"Tom Reyes,tom@example.com\n")
        csv_file.name = "class.csv"
        self.client.post(f"/cohorts/{self.cohort.pk}/import/", {"file": csv_file})
        mover = Membership.objects.get(user=self.dave)
        Membership.objects.filter(pk=mover.pk).update(joined_at=long_ago)
        self.client.post(
            f"/cohorts/{self.other_cohort.pk}/members/{mover.pk}/move/", {"to": self.cohort.pk}
        )
        self.client.force_login(self.bob)
        page = self.client.get(self.url("?only=inactive"))
        flagged = {r.student.username for r in page.context["matrix"].rows}
        self.assertEqual(flagged, {"alice", "carol"})
        everyone = self.client.get(self.url()).context["matrix"].rows
        self.assertTrue(
            {"nia", "tom@example.com", "dave"} <= {r.student.username for r in everyone}
        )

    def test_the_matrix_sorts_by_progress_and_searches_by_name(self) -> None:
        self.started("mixing")
        make_song(self.carol, self.cohort, title="Early")
        self.client.force_login(self.bob)
        by_progress = self.client.get(self.url("?sort=progress"))
        self.assertEqual(by_progress.context["matrix"].rows[0].student.pk, self.alice.pk)
        found = self.client.get(self.url("?q=CAROL"))
        self.assertEqual({r.student.pk for r in found.context["matrix"].rows}, {self.carol.pk})

    def test_a_300_student_cohort_renders_in_a_bounded_number_of_queries(self) -> None:
        self.client.force_login(self.frank)
        self.client.get(self.url())
        few = count_queries(lambda: self.client.get(self.url()))
        students = [make_user(f"s{i}") for i in range(300)]
        Membership.objects.bulk_create(
            Membership(user=s, cohort=self.cohort, role=Role.STUDENT) for s in students
        )
        for student in students[::10]:
            make_song(student, self.cohort, title=f"Song of {student.username}")
        page = self.client.get(self.url())
        self.assertEqual(page.context["matrix"].students, 302)
        self.assertEqual(few, count_queries(lambda: self.client.get(self.url())))


class AnalyticsAndExportTests(BaseTestCase):
    def test_analytics_show_time_per_stage_turnaround_and_where_songs_stick(self) -> None:
        record = self.started("songwriting")
        production = self.record("production")
        start = timezone.now() - dt.timedelta(days=6)
        StageRecord.objects.filter(pk=production.pk).update(
            started_at=start, approved_at=start + dt.timedelta(days=4)
        )
        submitted = timezone.now() - dt.timedelta(hours=30)
        review = Review.objects.create(
            record=production,
            round=1,
            coach=self.bob,
            verdict="approved",
            summary="s",
            coach_balance=0,
            balance_comment="c",
            submitted_at=submitted,
        )
        Review.objects.filter(pk=review.pk).update(created_at=submitted + dt.timedelta(hours=6))
        self.complete(record)
        Review.objects.create(
            record=record,
            round=1,
            coach=self.bob,
            verdict="changes_requested",
            summary="s",
            coach_balance=0,
            balance_comment="c",
        )
        StageRecord.objects.filter(pk=record.pk).update(status="changes_requested")
        self.client.force_login(self.bob)
        page = self.client.get(f"/cohorts/{self.cohort.pk}/analytics/")
        figures = page.context["figures"]
        first = figures.stages[0]
        self.assertEqual((first.approved, first.median_days), (1, 4.0))
        name = first.slowest_student
        self.assertContains(
            page,
            f"<tr><td>1. Music Production</td><td>1</td><td>4.0 days</td>"
            f'<td>4.0 days <span class="muted small">({name})</span></td>'
            "<td>0</td><td>0</td><td>0</td></tr>",
            html=True,
        )
        self.assertContains(page, "<tr><td>7. Mastering</td><td>0</td><td>—</td><td>—</td>")
        self.assertEqual(figures.median_turnaround_hours, 6.0)
        self.assertEqual(figures.stuck[0].stage.slug, "songwriting")

    def test_analytics_write_the_slowest_students_name_as_text(self) -> None:
        production = self.record("production")
        start = timezone.now() - dt.timedelta(days=3)
        StageRecord.objects.filter(pk=production.pk).update(
            status="approved", started_at=start, approved_at=start + dt.timedelta(days=2)
        )
        self.alice.first_name, self.alice.last_name = "<i>Alice</i>", "& co"
        self.alice.save(update_fields=["first_name", "last_name"])
        self.client.force_login(self.bob)
        page = self.client.get(f"/cohorts/{self.cohort.pk}/analytics/")
        self.assertContains(page, "(&lt;i&gt;Alice&lt;/i&gt; &amp; co)")
        self.assertNotContains(page, "<i>Alice</i>")

    def test_every_send_back_counts_not_only_the_ones_still_open(self) -> None:
        record = self.started("production")
        for round_ in (1, 2):
            Review.objects.create(
                record=record,
                round=round_,
                coach=self.bob,
                verdict="changes_requested",
                summary="s",
                coach_balance=0,
                balance_comment="c",
            )
        Review.objects.create(
            record=record,
            round=3,
            coach=self.bob,
            verdict="approved",
            summary="s",
            coach_balance=0,
            balance_comment="c",
        )
        StageRecord.objects.filter(pk=record.pk).update(status="approved")
        self.client.force_login(self.bob)
        figures = self.client.get(f"/cohorts/{self.cohort.pk}/analytics/").context["figures"]
        self.assertEqual(figures.stages[0].changes_requested, 2)

    def test_the_export_has_a_row_per_student_song_and_stage(self) -> None:
        record = self.started("recording")
        bounce = store_bounce(record, audio_bytes("WAV", 2.0))
        type(bounce).objects.filter(pk=bounce.pk).update(
            analysis_state="done", integrated_lufs=-14.2, true_peak_dbtp=-1.1, loudness_range_lu=6.0
        )
        self.client.force_login(self.bob)
        response = self.client.get(f"/cohorts/{self.cohort.pk}/export.csv")
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment;", response["Content-Disposition"])
        body = b"".join(response.streaming_content)
        self.assertTrue(body.startswith(b"\xef\xbb\xbf"))  # UTF-8 byte-order mark
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        self.assertEqual(len(rows), 14)  # alice: one song x 7; carol: no song x 7
        recording = next(r for r in rows if r["student"] == "Alice" and r["stage"] == "Recording")
        self.assertEqual(recording["status"], "in_progress")
        self.assertEqual(recording["latest_bounce"], "v1")
        self.assertEqual(recording["integrated_lufs"], "-14.2")  # numbers are not neutralised
        production = next(r for r in rows if r["student"] == "Alice" and r["stage_order"] == "1")
        self.assertEqual(production["review_rounds"], "0")
        self.assertTrue(production["approved_at"])

    def test_the_export_gives_each_stages_latest_analysed_shown_bounce(self) -> None:
        record = self.started("recording")
        mixing = self.started("mixing", make_song(self.carol, self.cohort, title="Other"))
        figures = {"integrated_lufs": -14.2, "true_peak_dbtp": -1.1, "loudness_range_lu": 6.0}
        bounces = [store_bounce(record, audio_bytes("WAV", 1.0)) for _ in range(4)]
        manager = type(bounces[0]).everything
        for bounce, state, lufs in zip(
            bounces, ["done", "done", "done", "failed"], [-20.0, -16.0, -9.0, -8.0], strict=True
        ):
            manager.filter(pk=bounce.pk).update(
                **figures | {"integrated_lufs": lufs}, analysis_state=state
            )
        manager.filter(pk=bounces[2].pk).update(hidden_at=timezone.now())  # v3: set aside
        other = store_bounce(mixing, audio_bytes("WAV", 1.0))  # another song's, later
        manager.filter(pk=other.pk).update(**figures, analysis_state="done")
        self.client.force_login(self.bob)
        body = b"".join(self.client.get(f"/cohorts/{self.cohort.pk}/export.csv").streaming_content)
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        recording = next(r for r in rows if r["student"] == "Alice" and r["stage"] == "Recording")
        self.assertEqual(
            (recording["latest_bounce"], recording["integrated_lufs"]), ("v2", "-16.0")
        )
        carols = next(r for r in rows if r["song"] == "Other" and r["stage"] == "Mixing")
        self.assertEqual((carols["latest_bounce"], carols["integrated_lufs"]), ("v1", "-14.2"))
        empty = [r for r in rows if r["stage"] not in {"Recording", "Mixing"}]
        self.assertTrue(all(r["latest_bounce"] == "" for r in empty))

    def test_the_export_counts_each_stages_reviews_not_its_submissions(self) -> None:
        record = self.complete(self.started("mixing"))  # round 1
        verdict = {"summary": "Heard.", "coach_balance": 0, "balance_comment": "", "marks": {}}
        services.review_record(
            record=record, coach=self.bob, verdict=Verdict.CHANGES_REQUESTED, **verdict
        )
        self.complete(record)  # round 2
        services.review_record(record=record, coach=self.bob, verdict=Verdict.APPROVED, **verdict)
        second = make_song(self.alice, self.cohort, title="Second")
        withdrawn = self.complete(self.started("mastering", second))  # taken back unreviewed
        withdrawn.reopen()
        self.client.force_login(self.bob)
        body = b"".join(self.client.get(f"/cohorts/{self.cohort.pk}/export.csv").streaming_content)
        rounds = {
            (r["song"], r["stage"]): r["review_rounds"]
            for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
        }
        title = self.song.title
        self.assertEqual(rounds[title, "Mixing"], "2")
        self.assertEqual(rounds[title, "Editing"], "0")  # approved without a review
        self.assertEqual(rounds["Second", "Mastering"], "0")
        self.assertEqual(rounds[title, "Mastering"], "0")  # never submitted

    def test_exported_timestamps_read_as_utc_to_the_minute(self) -> None:
        production = self.record("production")
        moment = dt.datetime(2026, 3, 1, 9, 30, 59, 123456, tzinfo=dt.UTC)
        StageRecord.objects.filter(pk=production.pk).update(started_at=moment)
        self.client.force_login(self.bob)
        body = b"".join(self.client.get(f"/cohorts/{self.cohort.pk}/export.csv").streaming_content)
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        row = next(r for r in rows if r["student"] == "Alice" and r["stage_order"] == "1")
        self.assertEqual(row["started_at"], moment.isoformat(timespec="minutes"))
        self.assertEqual(row["submitted_at"], "")

    def test_accented_names_survive_the_export(self) -> None:
        type(self.carol).objects.filter(pk=self.carol.pk).update(
            first_name="Zoë", last_name="Ångström"
        )
        self.client.force_login(self.bob)
        body = b"".join(self.client.get(f"/cohorts/{self.cohort.pk}/export.csv").streaming_content)
        self.assertIn("Zoë Ångström".encode(), body)
        self.assertTrue(body.decode("utf-8").startswith('\ufeff"student",'))

    def test_cells_that_start_like_formulas_are_neutralised(self) -> None:
        for title in ["=1+1", "+cmd", "-2+3", "@SUM(A1)"]:
            make_song(self.carol, self.cohort, title=title)
        self.client.force_login(self.frank)
        text = b"".join(self.client.get(f"/cohorts/{self.cohort.pk}/export.csv").streaming_content)
        for title in [b"=1+1", b"+cmd", b"-2+3", b"@SUM(A1)"]:
            self.assertIn(b"'" + title, text)

    def test_every_exported_field_is_quoted(self) -> None:
        make_song(self.carol, self.cohort, title="Plain")
        self.client.force_login(self.frank)
        body = b"".join(self.client.get(f"/cohorts/{self.cohort.pk}/export.csv").streaming_content)
        lines = body.decode("utf-8-sig").splitlines()
        self.assertTrue(lines[0].startswith('"student","email","song",'))
        quoted = re.compile(r'"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*')
        for line in lines:
            self.assertRegex(line, quoted)
            self.assertTrue(quoted.fullmatch(line), line)

    def test_no_cell_starts_like_a_formula_whatever_the_separator(self) -> None:
        titles = ["a;=1+1;b", "x|@SUM(A1)", "x\t-2+3", "x, +cmd", "x;  =1", "ok\r=2", "a\n@b"]
        for title in titles:
            make_song(self.carol, self.cohort, title=title)
        self.client.force_login(self.frank)
        body = b"".join(self.client.get(f"/cohorts/{self.cohort.pk}/export.csv").streaming_content)
        text = body.decode("utf-8-sig")
        # However a spreadsheet splits the file (on any separator, honouring the quotes or
        # not, a line break starting a row), no piece may begin as a formula.
        for separator in [",", ";", "|", "\t", "\r", "\n"]:
            for piece in text.replace('"', "").split(separator):
                start = piece.lstrip(" ")[:1]
                self.assertNotIn(start, {"=", "+", "-", "@"}, (separator, piece))
        songs = {r["song"] for r in csv.DictReader(io.StringIO(text))}
        self.assertIn("a;'=1+1;b", songs)
        self.assertIn("x, '+cmd", songs)


def reference_order(
    cohort_pk: int, *, sort: str, only: str, query: str, cutoff: dt.datetime
) -> list[int]:
    """The students in the order the matrix showed them when it sorted and filtered the
    whole cohort in Python: the reference the database's order must match."""
    stages = list(Stage.objects.all())
    deadlines = {d.stage_id: d.due_on for d in StageDeadline.objects.filter(cohort_id=cohort_pk)}
    past_due = [bool((due := deadlines.get(s.pk)) and due < timezone.localdate()) for s in stages]
    students = list(
        Membership.objects.filter(cohort_id=cohort_pk, role=Role.STUDENT)
        .order_by("user__first_name", "user__last_name", "user__username", "user_id")
        .select_related("user")
    )
    songs: dict[int, list[tuple[dt.datetime, list[str]]]] = {m.user_id: [] for m in students}
    for song in Song.objects.filter(cohort_id=cohort_pk).prefetch_related("records"):
        if song.owner_id in songs:
            by_stage = {r.stage_id: r for r in song.records.all()}
            last = max([song.updated_at, *(r.updated_at for r in by_stage.values())])
            statuses = [
                by_stage[s.pk].status if s.pk in by_stage else "not_started" for s in stages
            ]
            songs[song.owner_id].append((last, statuses))

    def name(m: Membership) -> str:
        return f"{m.user.first_name} {m.user.last_name}".strip() or m.user.username

    def current(statuses: list[str]) -> int:
        return next(
            (s.order for s, st in zip(stages, statuses, strict=True) if st != "approved"),
            len(stages) + 1,
        )

    def activity(m: Membership) -> dt.datetime | None:
        return max((last for last, _ in songs[m.user_id]), default=None)

    shown = students
    if query:
        shown = [
            m
            for m in shown
            if query.lower() in name(m).lower() or query.lower() in m.user.email.lower()
        ]
    if only == "inactive":
        shown = [
            m
            for m in shown
            if (last := max((t for t in (m.joined_at, activity(m)) if t), default=None)) is None
            or last < cutoff
        ]
    elif only == "late":
        shown = [
            m
            for m in shown
            if (
                any(past_due)
                if not songs[m.user_id]
                else any(
                    due and st != "approved"
                    for _, statuses in songs[m.user_id]
                    for due, st in zip(past_due, statuses, strict=True)
                )
            )
        ]
    elif only == "waiting":
        shown = [m for m in shown if any("submitted" in st for _, st in songs[m.user_id])]
    if sort == "progress":
        shown = sorted(
            shown,
            key=lambda m: (-max((current(st) for _, st in songs[m.user_id]), default=1), name(m)),
        )
    elif sort == "activity":
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
        shown = sorted(shown, key=lambda m: activity(m) or oldest)
    return [m.user_id for m in shown]


class MatrixOrderTests(BaseTestCase):
    """The database sorts and filters the whole cohort; page after page, the students
    come in the order the matrix has always shown them, ties included."""

    def setUp(self) -> None:
        add_students(self.cohort.pk, 40, "tie")
        # Names that tie, or differ only in case or accents, and a student with two songs.
        for index, (first, last) in enumerate(
            [("bob", "Ray"), ("Bob", "Ray"), ("Zoë", ""), ("Zoe", ""), ("", ""), ("Ann", "ray")]
        ):
            user = make_user(f"name{index}")
            type(user).objects.filter(pk=user.pk).update(first_name=first, last_name=last)
            Membership.objects.create(user=user, cohort=self.cohort, role=Role.STUDENT)
        self.started("mixing")
        self.started("recording", make_song(self.alice, self.cohort, title="Second"))
        past = timezone.localdate() - dt.timedelta(days=1)
        StageDeadline.objects.create(
            cohort=self.cohort, stage=Stage.objects.get(slug="songwriting"), due_on=past
        )
        long_ago = timezone.now() - dt.timedelta(days=30)
        Membership.objects.filter(user__username__startswith="tie0").update(joined_at=long_ago)
        Song.objects.filter(owner__username__startswith="tie00").update(updated_at=long_ago)
        StageRecord.objects.filter(song__owner__username__startswith="tie00").update(
            updated_at=long_ago
        )
        # Songs missing a record: counted as not started there.
        StageRecord.objects.filter(song__owner__username="tie0003", stage__order=1).delete()
        StageRecord.objects.filter(song__owner__username="tie0007", stage__order=7).delete()

    def matrix(self, **options: Any) -> progress.Matrix:
        """The cohort's matrix now, 7 students a page unless `options` say otherwise."""
        return progress.progress(
            self.cohort,
            today=timezone.localdate(),
            now=timezone.now(),
            inactive_days=14,
            **{"per_page": 7, **options},
        )

    def shown(self, **options: str) -> list[int]:
        matrix = self.matrix(page=1, **options)
        pks = [s.pk for s in matrix.page or []]
        assert matrix.page is not None
        for number in matrix.page.paginator.page_range[1:]:
            pks += [s.pk for s in self.matrix(page=number, **options).page or []]
        return pks

    def test_every_sort_and_filter_pages_through_the_old_order(self) -> None:
        cutoff = timezone.now() - dt.timedelta(days=14)
        for sort in ("name", "progress", "activity"):
            for only in ("", "inactive", "late", "waiting"):
                for query in ("", "ray", "TIE00"):
                    with self.subTest(sort=sort, only=only, query=query):
                        self.assertEqual(
                            self.shown(sort=sort, only=only, query=query),
                            reference_order(
                                self.cohort.pk, sort=sort, only=only, query=query, cutoff=cutoff
                            ),
                        )

    def test_a_sort_or_filter_nobody_offers_is_the_plain_matrix_and_builds_nothing_new(
        self,
    ) -> None:
        plain = self.shown()
        self.matrix(page=1)
        # Each way of sorting and filtering keeps its statements for the process's life:
        # made-up values in the URL must neither change the answer nor add to them.
        kept = len(progress._SELECTIONS)
        for made_up in ("zzz", "NAME", "progress ", "-name", "x" * 200):
            with self.subTest(made_up=made_up):
                self.assertEqual(self.shown(sort=made_up, only=made_up), plain)
        self.assertEqual(len(progress._SELECTIONS), kept)

    def test_the_counts_are_the_whole_filtered_cohorts(self) -> None:
        for only in ("", "late", "waiting"):
            with self.subTest(only=only):
                matrix = self.matrix(only=only)
                expected = [dict.fromkeys(progress.CELL_STATES, 0) for _ in matrix.stages]
                full = self.matrix(only=only, per_page=1000)
                seen: set[int] = set()
                for row in full.rows:
                    if row.song is not None and row.song.pk not in seen:
                        seen.add(row.song.pk)
                        for index, cell in enumerate(row.cells):
                            expected[index][cell.state] += 1
                self.assertEqual(matrix.counts, expected)
                self.assertEqual(
                    matrix.shown_students,
                    len(
                        reference_order(
                            self.cohort.pk,
                            sort="name",
                            only=only,
                            query="",
                            cutoff=timezone.now() - dt.timedelta(days=14),
                        )
                    ),
                )


class AnalyticsFiguresTests(BaseTestCase):
    """The database aggregates the figures; they are what a pass over every record in
    Python gives, ties included."""

    def reference(self, cutoff: dt.datetime) -> dict[int, tuple[object, ...]]:
        figures: dict[int, list[object]] = {
            s.pk: [0, None, None, "", 0, 0] for s in Stage.objects.all()
        }
        durations: dict[int, list[tuple[float, str]]] = {}
        placed: set[int] = set()
        for record in (
            StageRecord.objects.filter(song__cohort=self.cohort)
            .select_related("song__owner", "stage")
            .order_by("song_id", "stage__order")
        ):
            owner = record.song.owner
            if record.status == "approved":
                if record.started_at and record.approved_at:
                    days = (record.approved_at - record.started_at).total_seconds() / 86400
                    name = f"{owner.first_name} {owner.last_name}".strip() or owner.username
                    durations.setdefault(record.stage_id, []).append((days, name))
            elif record.song_id not in placed:
                placed.add(record.song_id)
                figures[record.stage_id][4] += 1  # type: ignore[operator]
                if record.updated_at < cutoff:
                    figures[record.stage_id][5] += 1  # type: ignore[operator]
        for stage_pk, values in durations.items():
            slowest = max(values)
            figures[stage_pk][:4] = [
                len(values),
                round(statistics.median(d for d, _ in values), 1),
                round(slowest[0], 1),
                slowest[1],
            ]
        return {pk: tuple(values) for pk, values in figures.items()}

    def test_the_figures_match_a_pass_over_every_record(self) -> None:
        add_students(self.cohort.pk, 23, "tie")  # every approval took no time: ties
        self.started("mixing")
        # Durations of their own for some, an even number at the first stage.
        start = timezone.now() - dt.timedelta(days=9)
        for index, record in enumerate(
            StageRecord.objects.filter(
                song__cohort=self.cohort, stage__order=1, status="approved"
            ).order_by("pk")[:6]
        ):
            StageRecord.objects.filter(pk=record.pk).update(
                started_at=start, approved_at=start + dt.timedelta(hours=7 * (index % 3))
            )
        type(self.bob).objects.filter(username__startswith="tie001").update(
            first_name="", last_name=""
        )
        StageRecord.objects.filter(song__owner__username__startswith="tie00").update(
            updated_at=timezone.now() - dt.timedelta(days=30)
        )
        now = timezone.now()
        figures = progress.analytics(self.cohort, now=now, inactive_days=14)
        self.assertEqual(
            {
                f.stage.pk: (
                    f.approved,
                    f.median_days,
                    f.slowest_days,
                    f.slowest_student,
                    f.here_now,
                    f.inactive_here,
                )
                for f in figures.stages
            },
            self.reference(now - dt.timedelta(days=14)),
        )

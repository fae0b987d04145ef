"""Statements give the rows their queryset gives, for everyone, while building it once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from coaching.models import StageDeadline, User
from coaching.statements import Among, Statement, StatementError, prefetched
from songs.models import Bounce, Song
from stages.models import CoreAction, Stage, StageRecord
from tests.base import BaseTestCase, make_song


def timeline(user: User, song_pk: int) -> QuerySet[StageRecord]:
    deadlines = StageDeadline.objects.filter(
        cohort_id=OuterRef("song__cohort_id"), stage_id=OuterRef("stage_id")
    ).order_by()
    return (
        StageRecord.objects.visible_to(user)
        .select_related("song__owner", "stage")
        .annotate(due_on=Subquery(deadlines.values("due_on")[:1]))
        .filter(song_id=song_pk)
        .order_by("stage__order")
    )


def seen(records: list[StageRecord]) -> list[tuple[Any, ...]]:
    return [(r.pk, r.stage.slug, r.song.owner.username, r.due_on) for r in records]


class StatementTests(BaseTestCase):
    def setUp(self) -> None:
        StageDeadline.objects.create(
            cohort=self.cohort, stage=Stage.objects.get(slug="mixing"), due_on="2027-01-15"
        )
        self.carols = make_song(self.carol, self.cohort, title="Carol's")
        self.daves = make_song(self.dave, self.other_cohort, title="Dave's")

    def test_a_statement_gives_everyone_the_rows_the_queryset_gives_them(self) -> None:
        statement: Statement[StageRecord] = Statement(timeline)
        for user in (self.alice, self.bob, self.carol, self.dave, self.erin, self.frank):
            for song in (self.song, self.carols, self.daves):
                with self.subTest(user=user.username, song=song.title):
                    expected = seen(list(timeline(user, song.pk)))
                    with self.assertNumQueries(1):  # related rows and annotations included
                        self.assertEqual(seen(statement(user, song.pk)), expected)

    def test_a_coach_sees_their_cohort_and_not_another(self) -> None:
        statement: Statement[StageRecord] = Statement(timeline)
        self.assertEqual(len(statement(self.bob, self.carols.pk)), 7)
        self.assertEqual(statement(self.bob, self.daves.pk), [])
        self.assertEqual(len(statement(self.erin, self.daves.pk)), 7)
        self.assertEqual(statement(self.dave, self.song.pk), [])

    def test_the_queryset_is_built_only_for_a_new_shape(self) -> None:
        builds = []

        def counted(user: User, song_pk: int) -> QuerySet[StageRecord]:
            builds.append(user.pk)
            return timeline(user, song_pk)

        statement: Statement[StageRecord] = Statement(counted)
        for user in (self.alice, self.bob, self.carol, self.dave):
            statement(user, self.song.pk)
        self.assertEqual(len(builds), 2, "two stand-in builds for everyone who is no admin")
        statement(self.frank, self.song.pk)  # a course admin's rule is another SQL
        self.assertEqual(len(builds), 4)

    def test_strings_and_booleans_take_their_places(self) -> None:
        def records(slug: str, approved_only: bool) -> QuerySet[StageRecord]:
            rows = StageRecord.objects.filter(stage__slug=slug)
            return rows.filter(status="approved") if approved_only else rows

        statement: Statement[StageRecord] = Statement(records)
        self.complete(self.record("production")).approve()
        self.assertEqual(len(statement("production", False)), 3)
        self.assertEqual(statement("production", True), [self.record("production")])
        self.assertEqual(statement("songwriting", True), [])
        self.assertEqual(len(statement("songwriting", False)), 3)

    def test_values_lists_and_aggregates_come_back_as_the_queryset_gives_them(self) -> None:
        def counts(song_pk: int) -> QuerySet[Any]:
            return (
                StageRecord.objects.filter(song_id=song_pk)
                .values("status")
                .annotate(n=Count("pk"))
                .values_list("status", "n")
            )

        statement: Statement[tuple[str, int]] = Statement(counts)
        self.complete(self.record("production"))
        self.assertEqual(dict(statement(self.song.pk)), {"submitted": 1, "not_started": 6})

    def test_a_queryset_whose_sql_holds_more_than_its_arguments_is_refused(self) -> None:
        def changing(song_pk: int) -> QuerySet[StageRecord]:
            return StageRecord.objects.filter(song_id=song_pk, song__created_at__lt=timezone.now())

        with self.assertRaisesMessage(StatementError, "depends on more than the arguments"):
            Statement(changing)(self.song.pk)

    def test_an_argument_the_sql_never_uses_is_refused(self) -> None:
        def forgetful(song_pk: int, stage: str) -> QuerySet[StageRecord]:
            return StageRecord.objects.filter(song_id=song_pk)

        with self.assertRaisesMessage(StatementError, "do not reach the SQL"):
            Statement(forgetful)(self.song.pk, "mixing")

    def test_arguments_without_a_stand_in_are_refused(self) -> None:
        with self.assertRaises(StatementError):
            Statement(lambda song: StageRecord.objects.filter(song=song))(self.song)

    def test_a_comparison_on_a_small_positive_column_keeps_its_place(self) -> None:
        # The ORM drops a comparison with a number its column cannot hold (a stand-in
        # below zero for a PositiveIntegerField): the stand-ins are numbers it can.
        def earlier(record_pk: int, version: int) -> QuerySet[CoreAction]:
            return CoreAction.objects.filter(stage__records=record_pk, position__lt=version)

        statement: Statement[CoreAction] = Statement(earlier)
        record = self.record("mixing")
        for position in (0, 1, 3, 99):
            with self.subTest(position=position):
                self.assertEqual(statement(record.pk, position), list(earlier(record.pk, position)))

    def test_a_lookup_nobody_may_see_answers_404_as_a_missing_one_does(self) -> None:
        statement: Statement[StageRecord] = Statement(
            lambda user, pk: StageRecord.objects.visible_to(user).filter(pk=pk)
        )
        record = self.record("mixing")
        self.assertEqual(statement.get_or_404(self.bob, record.pk), record)
        for user, pk in ((self.dave, record.pk), (self.bob, 0)):
            with self.subTest(user=user.username, pk=pk), self.assertRaises(Http404):
                statement.get_or_404(user, pk)

    def test_keys_go_as_one_parameter_whatever_their_number(self) -> None:
        def songs(keys: tuple[int, ...]) -> QuerySet[Song]:
            return Song.objects.filter(Among("pk", keys)).order_by("pk")

        builds = []
        statement: Statement[Song] = Statement(lambda keys: builds.append(1) or songs(keys))
        every = (self.song.pk, self.carols.pk, self.daves.pk)
        for keys in ((), (self.carols.pk,), every, (*every, 0)):
            with self.subTest(keys=keys):
                self.assertEqual(
                    statement(keys), list(Song.objects.filter(pk__in=keys).order_by("pk"))
                )
        self.assertEqual(len(builds), 2, "one SQL for any number of keys")

    def test_a_search_matches_its_text_literally_inside_a_like_pattern(self) -> None:
        titles = ["50% mix", "50 mix", "a_b", "axb", "back\\slash", "Mixdown"]
        for title in titles:
            make_song(self.alice, self.cohort, title=title)
        lookups = {
            "contains": lambda text: Song.objects.filter(title__icontains=text),
            "startswith": lambda text: Song.objects.filter(title__startswith=text),
            "endswith": lambda text: Song.objects.filter(title__iendswith=text),
        }
        for lookup, build in lookups.items():
            statement: Statement[Song] = Statement(build)
            for text in ("50%", "a_b", "\\s", "mix", "MIX", "%", "_", ""):
                with self.subTest(lookup=lookup, text=text):
                    expected = sorted(song.title for song in build(text))
                    self.assertEqual(sorted(song.title for song in statement(text)), expected)

    def test_a_datetime_takes_its_place(self) -> None:
        def changed_before(song_pk: int, moment: dt.datetime) -> QuerySet[StageRecord]:
            return StageRecord.objects.filter(song_id=song_pk, updated_at__lt=moment)

        statement: Statement[StageRecord] = Statement(changed_before)
        now = timezone.now()
        for moment in (now - dt.timedelta(days=1), now + dt.timedelta(seconds=1)):
            with self.subTest(moment=moment):
                self.assertEqual(
                    statement(self.song.pk, moment), list(changed_before(self.song.pk, moment))
                )
        self.assertEqual(len(statement(self.song.pk, now + dt.timedelta(seconds=1))), 7)

    def test_a_slice_is_the_querysets_slice_in_one_sql(self) -> None:
        def records(song_pk: int) -> QuerySet[StageRecord]:
            return StageRecord.objects.filter(song_id=song_pk).order_by("stage__order")

        builds = []
        statement: Statement[StageRecord] = Statement(
            lambda song_pk: builds.append(1) or records(song_pk)
        )
        for start, stop in ((0, 3), (3, 6), (6, 9), (9, 12), (2, 2)):
            with self.subTest(start=start, stop=stop):
                self.assertEqual(
                    statement.slice(start, stop, self.song.pk),
                    list(records(self.song.pk)[start:stop]),
                )
        self.assertEqual(len(builds), 2)
        unordered: Statement[StageRecord] = Statement(
            lambda song_pk: StageRecord.objects.filter(song_id=song_pk).order_by()
        )
        with self.assertRaisesMessage(StatementError, "ordered"):
            unordered.slice(0, 3, self.song.pk)

    def test_an_iterator_reads_the_querysets_rows_in_chunks(self) -> None:
        def titles(cohort_pk: int) -> QuerySet[StageRecord, tuple[str, int]]:
            return (
                StageRecord.objects.filter(song__cohort_id=cohort_pk)
                .order_by("song_id", "stage__order")
                .values_list("song__title", "stage__order")
            )

        make_song(self.carol, self.cohort, title="Second")
        statement: Statement[tuple[str, int]] = Statement(titles)
        for cohort_pk in (self.cohort.pk, self.other_cohort.pk):
            with self.subTest(cohort=cohort_pk):
                rows = statement.iterator(3, cohort_pk)  # chunks smaller than the answer
                self.assertNotIsInstance(rows, list)
                self.assertEqual(list(rows), list(titles(cohort_pk)))
        songs = Song.objects.filter(cohort=self.cohort).count()
        with self.assertNumQueries(1):  # one query, however many chunks
            self.assertEqual(len(list(statement.iterator(3, self.cohort.pk))), 7 * songs)

    def test_an_iterator_gives_converted_values_and_leaves_the_connection_usable(self) -> None:
        record = StageRecord.objects.get(song=self.song, stage__slug="mixing")
        for version in (1, 2, 3):
            Bounce.objects.create(
                record=record,
                version=version,
                file=f"bounces/take{version}.wav",
                original_name=f"take{version}.wav",
                size_bytes=1000,
                uploaded_by=self.alice,
                report={"version": version, "checks": [{"stage": "mixing"}]},
            )

        def reports(song_pk: int) -> QuerySet[Bounce, tuple[int, Any]]:
            return (
                Bounce.objects.filter(record__song_id=song_pk)
                .order_by("version")
                .values_list("version", "report")
            )

        statement: Statement[tuple[int, Any]] = Statement(reports)
        # The JSON comes back as the values_list gives it: decoded by the field, not text.
        self.assertEqual(list(statement.iterator(2, self.song.pk)), list(reports(self.song.pk)))
        self.assertEqual(
            next(statement.iterator(2, self.song.pk))[1]["checks"][0]["stage"], "mixing"
        )
        # Another query before the last row is refused, not left waiting for ever.
        rows = statement.iterator(1, self.song.pk)
        self.assertEqual(next(rows)[0], 1)
        if connection.vendor == "postgresql":
            with self.assertRaisesMessage(StatementError, "streaming"):
                Bounce.objects.count()
        # A reader that stops early (a download cut off) leaves the connection usable.
        rows.close()  # type: ignore[attr-defined]
        self.assertEqual(Bounce.objects.filter(record=record).count(), 3)
        self.assertEqual(len(list(statement.iterator(2, self.song.pk))), 3)

    def test_none_is_a_filter_left_out_and_a_date_takes_its_place(self) -> None:
        def due(cohort_pk: int | None, before: dt.date) -> QuerySet[StageDeadline]:
            deadlines = StageDeadline.objects.filter(due_on__lt=before).order_by("pk")
            return deadlines if cohort_pk is None else deadlines.filter(cohort_id=cohort_pk)

        StageDeadline.objects.create(
            cohort=self.other_cohort, stage=Stage.objects.get(slug="mixing"), due_on="2027-02-01"
        )
        statement: Statement[StageDeadline] = Statement(due)
        for cohort_pk in (None, self.cohort.pk, self.other_cohort.pk):
            for before in (dt.date(2027, 1, 16), dt.date(2027, 3, 1), dt.date(2026, 1, 1)):
                with self.subTest(cohort=cohort_pk, before=before):
                    self.assertEqual(statement(cohort_pk, before), list(due(cohort_pk, before)))
        self.assertEqual(len(statement(None, dt.date(2027, 3, 1))), 2)


class PrefetchedTests(BaseTestCase):
    def test_children_handed_to_parents_read_as_prefetched_ones(self) -> None:
        second = make_song(self.alice, self.cohort, title="Second")
        songs = list(Song.objects.filter(pk__in=[self.song.pk, second.pk]).order_by("pk"))
        records = list(
            StageRecord.objects.filter(song__in=songs).select_related("stage").order_by("-pk")
        )
        prefetched(songs, "records", records)
        with self.assertNumQueries(0):
            for song in songs:
                shared = list(song.records.all())
                self.assertEqual(shared, [r for r in records if r.song_id == song.pk])
                self.assertEqual(len(shared), 7)
                self.assertTrue(all(record.song is song for record in shared))
        self.assertEqual(  # a filter on them still asks the database, for that song alone
            list(songs[1].records.filter(stage__slug="mixing")),
            list(StageRecord.objects.filter(song=second, stage__slug="mixing")),
        )

    def test_a_parent_without_children_gets_none(self) -> None:
        record = StageRecord.objects.filter(song=self.song).first()
        assert record is not None
        prefetched([record], "bounces", [])
        with self.assertNumQueries(0):
            self.assertEqual(list(record.bounces.all()), [])

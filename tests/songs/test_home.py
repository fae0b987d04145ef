from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from coaching.models import Cohort, Membership, Role
from songs.boards import COACHED_CARDS
from songs.models import Song
from stages.models import Stage, Status
from tests.base import HTMX, BaseTestCase, add_students, count_queries, make_song

URL = "/"


class HomeBoardTests(BaseTestCase):
    def test_the_board_has_seven_columns_with_the_song_in_its_current_stage(self) -> None:
        self.started("recording")
        self.client.force_login(self.alice)
        page = self.client.get(URL)
        board = page.context["board"].columns
        self.assertEqual([column.stage.slug for column in board][0], "production")
        self.assertEqual(len(board), 7)
        column = next(c for c in board if c.cards)
        self.assertEqual(column.stage.slug, "recording")
        self.assertContains(page, "Paper Lanterns")
        self.assertContains(page, f'href="/songs/{self.song.pk}/stages/recording/"')

    def test_a_released_song_leaves_the_columns_for_the_released_shelf(self) -> None:
        Song.objects.filter(pk=self.song.pk).update(released_at=timezone.now())
        set_aside = make_song(self.alice, self.cohort, title="Lost Chord")
        Song.objects.filter(pk=set_aside.pk).update(archived_at=timezone.now())
        self.client.force_login(self.alice)
        page = self.client.get(URL)
        board = page.context["board"]
        self.assertEqual(board.at_work, 0)
        self.assertEqual([song.pk for song in board.released], [self.song.pk])
        self.assertEqual([song.pk for song in board.set_aside], [set_aside.pk])
        self.assertContains(page, "Released <span")
        self.assertContains(page, "Next: write the retrospective")
        self.assertNotContains(page, "All seven approved")

    def test_a_song_updated_a_moment_ago_says_just_now(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(URL)
        self.assertContains(page, "Updated just now")
        self.assertNotContains(page, "0 minutes ago")

    def test_the_board_lists_what_is_waiting_on_the_student(self) -> None:
        record = self.complete(self.record("production"))
        record.request_changes()
        self.client.force_login(self.alice)
        page = self.client.get(URL)
        self.assertEqual([r.pk for r in page.context["changes_requested"]], [record.pk])
        self.assertContains(page, "Waiting on you")

    def test_the_board_lists_what_is_with_the_coach(self) -> None:
        self.complete(self.record("production"))
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(URL), "With your coach")

    def test_other_students_never_see_the_song(self) -> None:
        for user in [self.carol, self.dave, self.erin]:
            self.client.force_login(user)
            self.assertNotContains(self.client.get(URL), "Paper Lanterns")

    def test_the_coach_sees_the_song_of_a_student_they_coach(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(URL)
        self.assertIsNotNone(page.context["coached_board"])
        self.assertContains(page, "Paper Lanterns")
        self.assertContains(page, "Alice")

    def test_a_finished_song_says_so(self) -> None:
        self.started("mastering")
        last = self.complete(self.record("mastering"))
        last.approve()
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(URL), "All seven approved")

    def test_anonymous_visitors_are_sent_to_log_in(self) -> None:
        self.assertRedirects(self.client.get(URL), "/accounts/login/?next=/")

    def test_wrong_method_is_refused(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.post(URL).status_code, 405)

    def test_the_board_runs_the_same_queries_for_1_and_30_songs(self) -> None:
        self.client.force_login(self.alice)
        self.client.get(URL)  # session warm-up
        one = count_queries(lambda: self.client.get(URL))
        for index in range(29):
            song = make_song(self.alice, self.cohort, title=f"Song {index}")
            self.started(["production", "songwriting", "mixing"][index % 3], song)
        self.assertEqual(Song.objects.filter(owner=self.alice).count(), 30)
        thirty = count_queries(lambda: self.client.get(URL))
        self.assertEqual(one, thirty)
        self.assertLessEqual(thirty, 8)

    def test_a_coach_board_also_runs_in_bounded_queries(self) -> None:
        self.client.force_login(self.bob)
        self.client.get(URL)
        one = count_queries(lambda: self.client.get(URL))
        for index in range(29):
            make_song(self.carol, self.cohort, title=f"Carol {index}")
        self.assertEqual(one, count_queries(lambda: self.client.get(URL)))

    def test_htmx_requests_get_the_full_page_too(self) -> None:
        # The board has no fragment of its own: a boosted navigation renders the page.
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(URL, headers=HTMX), "<html")


class CoachBoardTests(BaseTestCase):
    """A coach of a large cohort gets each column's most recent songs and a count, not a
    card for every student; a student's own board shows every song of theirs."""

    def test_a_column_shows_its_most_recent_songs_and_counts_the_rest(self) -> None:
        extra = COACHED_CARDS + 5
        songs = [make_song(self.carol, self.cohort, title=f"Carol {i:02d}") for i in range(extra)]
        now = timezone.now()
        for age, song in enumerate(reversed(songs)):  # Carol 00 the oldest
            Song.objects.filter(pk=song.pk).update(updated_at=now - timedelta(hours=age))
        Song.objects.filter(pk=self.song.pk).update(updated_at=now - timedelta(days=30))
        self.client.force_login(self.bob)
        page = self.client.get(URL)
        column = page.context["coached_board"].columns[0]  # not started: the first stage
        total = extra + 1  # and alice's song
        self.assertEqual(column.total, total)
        self.assertEqual(len(column.cards), COACHED_CARDS)
        newest_first = [f"Carol {extra - 1 - i:02d}" for i in range(COACHED_CARDS)]
        self.assertEqual([card.song.title for card in column.cards], newest_first)
        self.assertContains(page, f"{total - COACHED_CARDS} more in Music Production")
        self.assertContains(page, f'aria-label="{total} songs">{total}</span>')
        self.assertNotContains(page, "Carol 00")
        self.assertNotContains(page, "Paper Lanterns")

    def test_the_released_shelf_is_cut_the_same_way_newest_first(self) -> None:
        now = timezone.now()
        for i in range(COACHED_CARDS + 2):
            song = make_song(self.carol, self.cohort, title=f"Out {i:02d}")
            Song.objects.filter(pk=song.pk).update(released_at=now - timedelta(days=i))
        self.client.force_login(self.bob)
        page = self.client.get(URL)
        board = page.context["coached_board"]
        self.assertEqual(board.released_total, COACHED_CARDS + 2)
        self.assertEqual(board.released[0].title, "Out 00")
        self.assertEqual(len(board.released), COACHED_CARDS)
        self.assertContains(page, "2 more released")

    def test_a_cohort_of_300_costs_the_coach_the_queries_of_a_cohort_of_one(self) -> None:
        self.client.force_login(self.bob)
        self.client.get(URL)
        few = count_queries(lambda: self.client.get(URL))
        add_students(self.cohort.pk, 300, "many")
        many = count_queries(lambda: self.client.get(URL))
        self.assertEqual(few, many)
        page = self.client.get(URL)
        shown = sum(len(column.cards) for column in page.context["coached_board"].columns)
        self.assertLessEqual(shown, 7 * COACHED_CARDS)
        self.assertEqual(page.context["coached_board"].at_work, 301)

    def test_the_rest_are_on_the_one_cohorts_matrix_or_the_list_of_cohorts(self) -> None:
        for i in range(COACHED_CARDS + 1):
            make_song(self.carol, self.cohort, title=f"Carol {i:02d}")
        self.client.force_login(self.bob)
        matrix = f"/cohorts/{self.cohort.pk}/progress/?sort=progress"
        self.assertContains(self.client.get(URL), f'href="{matrix}"')
        other = Cohort.objects.create(name="Evening")
        Membership.objects.create(user=self.bob, cohort=other, role=Role.COACH)
        make_song(self.dave, other, title="Dave's")
        page = self.client.get(URL)
        self.assertNotContains(page, matrix)
        self.assertContains(page, "more in Music Production: see each cohort</a>")
        self.assertContains(page, 'href="/cohorts/"')

    def test_the_rest_link_shows_a_stage_name_with_html_as_text(self) -> None:
        Stage.objects.filter(order=1).update(name="<b>Vision</b>")
        for i in range(COACHED_CARDS + 1):
            make_song(self.carol, self.cohort, title=f"Carol {i:02d}")
        self.client.force_login(self.bob)
        page = self.client.get(URL)
        self.assertContains(page, "2 more in &lt;b&gt;Vision&lt;/b&gt;")
        self.assertNotContains(page, "<b>Vision</b>")

    def test_a_students_own_board_is_never_cut(self) -> None:
        for i in range(COACHED_CARDS + 3):
            make_song(self.alice, self.cohort, title=f"Mine {i:02d}")
        self.client.force_login(self.alice)
        column = self.client.get(URL).context["board"].columns[0]
        self.assertEqual(len(column.cards), COACHED_CARDS + 4)
        self.assertEqual(column.more, 0)


class StatusLabelTests(BaseTestCase):
    def test_the_card_shows_the_status_of_the_current_stage(self) -> None:
        self.client.force_login(self.alice)
        record = self.record("production")
        for status in set(Status) - {Status.APPROVED}:
            type(record).objects.filter(pk=record.pk).update(status=status)
            self.assertContains(self.client.get(URL), f"status-{status.value}")

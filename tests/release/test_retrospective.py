"""Release and archive, the retrospective, and the habit that opens the next song."""

from __future__ import annotations

from django.utils import timezone

from songs.models import Song
from tests.base import make_song
from tests.release.base import ReleaseTestCase


class ReleaseTests(ReleaseTestCase):
    def test_a_ready_song_is_marked_released_and_asks_for_the_retrospective(self) -> None:
        self.make_ready()
        self.client.force_login(self.alice)
        response = self.client.post(self.song_url("release"))
        self.assertRedirects(response, self.song_url("retrospective"))
        self.assertIsNotNone(Song.objects.get(pk=self.song.pk).released_at)

    def test_a_song_that_is_not_ready_is_not_released_and_says_why(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(self.song_url("release"), follow=True)
        self.assertIsNone(Song.objects.get(pk=self.song.pk).released_at)
        self.assertContains(response, "Not ready to release yet. Still to pass: every stage")

    def test_releasing_twice_keeps_the_first_date(self) -> None:
        self.make_ready()
        self.client.force_login(self.alice)
        self.client.post(self.song_url("release"))
        first = Song.objects.get(pk=self.song.pk).released_at
        self.client.post(self.song_url("release"))
        self.assertEqual(Song.objects.get(pk=self.song.pk).released_at, first)

    def test_any_song_can_be_archived_unreleased(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(self.song_url("archive"))
        self.assertRedirects(response, self.song_url("retrospective"))
        song = Song.objects.get(pk=self.song.pk)
        self.assertIsNotNone(song.archived_at)
        self.assertIsNone(song.released_at)

    def test_only_the_owner_may_release_or_archive(self) -> None:
        self.make_ready()
        for user in [self.bob, self.frank, *self.other_users()]:
            self.client.force_login(user)
            self.assertEqual(self.client.post(self.song_url("release")).status_code, 404, user)
            self.assertEqual(self.client.post(self.song_url("archive")).status_code, 404, user)
        song = Song.objects.get(pk=self.song.pk)
        self.assertEqual((song.released_at, song.archived_at), (None, None))

    def test_release_and_archive_refuse_get(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.song_url("release")).status_code, 405)
        self.assertEqual(self.client.get(self.song_url("archive")).status_code, 405)


class ReleasedSongTests(ReleaseTestCase):
    """After "Mark as released" the song is visibly released and settled."""

    def setUp(self) -> None:
        super().setUp()
        self.make_ready()
        self.client.force_login(self.alice)
        self.client.post(self.song_url("release"))

    def test_the_header_says_released_and_offers_the_retrospective(self) -> None:
        page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, '<span class="status status-released">Released</span> on')
        self.assertContains(page, "Write the retrospective")
        self.assertNotContains(page, "All seven stages approved")
        self.assertNotContains(page, "Open Mastering")
        self.assertNotContains(page, "Edit details")
        self.assertNotContains(page, "Edit release details")
        self.assertNotContains(page, "Upload cover")

    def test_after_the_retrospective_the_next_step_is_the_next_song(self) -> None:
        self.client.post(self.song_url("retrospective"), {"worked": "", "change": "", "habit": "h"})
        page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, "Start your next song")
        self.assertNotContains(page, "Write the retrospective</a>")

    def test_release_data_is_locked_after_release(self) -> None:
        before = Song.objects.get(pk=self.song.pk)
        response = self.client.post(
            self.song_url("release_details"),
            {"artist_name": "Someone else", "isrc": "", "delivery_profile": ""},
        )
        self.assertContains(response, "is released", status_code=403)
        for url in ("upload_artwork", "edit"):
            self.assertEqual(self.client.post(self.song_url(url)).status_code, 403, url)
        after = Song.objects.get(pk=self.song.pk)
        self.assertEqual((after.artist_name, after.isrc), (before.artist_name, before.isrc))

    def test_its_stages_cannot_be_reopened(self) -> None:
        response = self.client.post(f"/songs/{self.song.pk}/stages/mastering/reopen/")
        self.assertContains(response, "is released", status_code=403)
        self.assertEqual(self.record("mastering").status, "approved")

    def test_a_released_song_is_not_archived_afterwards(self) -> None:
        response = self.client.post(self.song_url("archive"), follow=True)
        self.assertContains(response, "a released song stays released")
        self.assertIsNone(Song.objects.get(pk=self.song.pk).archived_at)


class RetrospectiveTests(ReleaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.song.archive()

    def write(self, **data: str):  # noqa: ANN201
        self.client.force_login(self.alice)
        answers = {"worked": "Demoing fast.", "change": "Less fiddling.", "habit": "Bounce daily."}
        return self.client.post(self.song_url("retrospective"), answers | data)

    def test_the_answers_are_saved_and_shown_on_the_song(self) -> None:
        response = self.write()
        self.assertRedirects(response, self.song.get_absolute_url() + "#release")
        song = Song.objects.get(pk=self.song.pk)
        self.assertEqual(
            (song.retro_worked, song.retro_change, song.next_habit),
            ("Demoing fast.", "Less fiddling.", "Bounce daily."),
        )
        page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, "One habit for the next song")
        self.assertContains(page, "Bounce daily.")

    def test_the_habit_is_required_and_the_other_answers_are_kept(self) -> None:
        response = self.write(habit="  ", worked="Kept <this>")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Name one habit to take into your next song.")
        self.assertContains(response, "Kept &lt;this&gt;")
        self.assertIsNone(Song.objects.get(pk=self.song.pk).retrospective_at)

    def test_an_over_long_habit_is_refused(self) -> None:
        response = self.write(habit="x" * 301)
        self.assertContains(response, "at most 300 characters")

    def test_the_retrospective_waits_for_the_song_to_be_released_or_archived(self) -> None:
        song = make_song(self.alice, self.cohort, title="Unfinished")
        self.client.force_login(self.alice)
        page = self.client.get(self.song_url("retrospective", song))
        self.assertContains(page, "The retrospective comes at the end.")
        self.assertNotContains(page, "Save the retrospective")
        response = self.client.post(self.song_url("retrospective", song), {"habit": "Try."})
        self.assertContains(response, "The retrospective comes at the end.")
        self.assertEqual(Song.objects.get(pk=song.pk).next_habit, "")

    def test_only_the_owner_may_write_it(self) -> None:
        for user in [self.bob, self.frank, *self.other_users()]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.song_url("retrospective")).status_code, 404)
            response = self.client.post(self.song_url("retrospective"), {"habit": "Mine."})
            self.assertEqual(response.status_code, 404, user)

    def test_coaches_read_it_on_the_song_page(self) -> None:
        self.write()
        self.client.force_login(self.bob)
        page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, "Bounce daily.")
        self.assertNotContains(page, f'href="/songs/{self.song.pk}/retrospective/"')

    def test_the_retrospective_text_is_shown_as_text(self) -> None:
        self.write(change="<script>alert(1)</script>")
        page = self.client.get(self.song.get_absolute_url())
        self.assertNotContains(page, "<script>alert(1)")
        self.assertContains(page, "&lt;script&gt;alert(1)&lt;/script&gt;")


class HabitTests(ReleaseTestCase):
    def finish_with_habit(self, habit: str = "Finish the arrangement before recording.") -> None:
        self.song.archive()
        self.song.write_retrospective(worked="", change="", habit=habit)

    def production_page(self, song: Song, user=None):  # noqa: ANN001, ANN201
        self.client.force_login(user or self.alice)
        return self.client.get(f"/songs/{song.pk}/stages/production/")

    def test_the_next_songs_vision_stage_opens_with_the_habit(self) -> None:
        self.finish_with_habit()
        nxt = make_song(self.alice, self.cohort, title="Next One")
        page = self.production_page(nxt)
        self.assertContains(page, "The habit you chose for this song")
        self.assertContains(page, "Finish the arrangement before recording.")
        self.assertContains(page, f'href="/songs/{self.song.pk}/"')

    def test_a_habit_written_after_the_next_song_started_still_shows(self) -> None:
        nxt = make_song(self.alice, self.cohort, title="Next One")
        Song.objects.filter(pk=nxt.pk).update(created_at=timezone.now() + timezone.timedelta(1))
        self.finish_with_habit()
        self.assertContains(self.production_page(Song.objects.get(pk=nxt.pk)), "Finish the")

    def test_the_latest_habit_wins(self) -> None:
        self.finish_with_habit("Old habit.")
        second = make_song(self.alice, self.cohort, title="Second")
        second.archive()
        second.write_retrospective(worked="", change="", habit="Newer habit.")
        third = make_song(self.alice, self.cohort, title="Third")
        page = self.production_page(third)
        self.assertContains(page, "Newer habit.")
        self.assertNotContains(page, "Old habit.")

    def test_the_habit_shows_only_on_the_vision_stage(self) -> None:
        self.finish_with_habit()
        nxt = make_song(self.alice, self.cohort, title="Next One")
        self.client.force_login(self.alice)
        page = self.client.get(f"/songs/{nxt.pk}/stages/songwriting/")
        self.assertNotContains(page, "The habit you chose")

    def test_the_song_it_came_from_does_not_show_its_own_habit(self) -> None:
        self.finish_with_habit()
        self.assertNotContains(self.production_page(self.song), "The habit you chose")

    def test_another_students_habit_never_shows(self) -> None:
        self.finish_with_habit()
        carols = make_song(self.carol, self.cohort, title="Carol's")
        self.assertNotContains(self.production_page(carols, self.carol), "Finish the")

    def test_the_coach_sees_the_habit_without_the_earlier_songs_title(self) -> None:
        self.finish_with_habit()
        nxt = make_song(self.alice, self.cohort, title="Next One")
        page = self.production_page(nxt, self.bob)
        self.assertContains(page, "Finish the arrangement before recording.")
        self.assertContains(page, "an earlier song")
        self.assertNotContains(page, f'href="/songs/{self.song.pk}/"')

    def test_the_habit_is_shown_as_text(self) -> None:
        self.finish_with_habit("<b>bold</b> habit")
        nxt = make_song(self.alice, self.cohort, title="Next One")
        page = self.production_page(nxt)
        self.assertContains(page, "&lt;b&gt;bold&lt;/b&gt; habit")

from __future__ import annotations

import uuid

from coaching.models import Cohort, Membership, Role
from songs.models import Song
from stages.models import StageRecord
from tests.base import BaseTestCase, make_user

URL = "/songs/new/"


class NewSongTests(BaseTestCase):
    def form(self, **overrides: object) -> dict:
        return {
            "title": "Northbound",
            "cohort": self.cohort.pk,
            "purpose": "The drive home after leaving a band.",
            "core_emotion": "restless relief",
            "hook": "Headlights only go one way",
            "tempo_bpm": "118",
            "key": "E minor",
            "request_key": str(uuid.uuid4()),
            **overrides,
        }

    def test_the_new_song_page_shows_the_form(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(URL)
        self.assertContains(page, "Start a new song")
        self.assertContains(page, 'name="request_key"')
        self.assertContains(page, '<option value="" selected>Not decided yet</option>')
        self.assertNotContains(page, "---------")

    def test_a_new_song_is_created_with_seven_stage_records(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(URL, self.form())
        song = Song.objects.get(title="Northbound")
        self.assertRedirects(response, f"/songs/{song.pk}/")
        self.assertEqual(song.owner, self.alice)
        self.assertEqual(song.tempo_bpm, 118)
        self.assertEqual(StageRecord.objects.filter(song=song).count(), 7)

    def test_a_double_submitted_form_creates_one_song(self) -> None:
        self.client.force_login(self.alice)
        data = self.form()
        first = self.client.post(URL, data)
        second = self.client.post(URL, data)
        self.assertEqual(Song.objects.filter(title="Northbound").count(), 1)
        self.assertEqual(first["Location"], second["Location"])

    def test_an_empty_title_keeps_what_was_typed(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(URL, self.form(title="   "))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Give the song a working title.")
        self.assertContains(response, "The drive home after leaving a band.")
        self.assertFalse(Song.objects.filter(purpose__startswith="The drive").exists())

    def test_overlong_fields_are_refused_with_a_reason(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(URL, self.form(title="x" * 121, tempo_bpm="900"))
        self.assertContains(response, "at most 120 characters")
        self.assertContains(response, "less than or equal to 400")
        self.assertContains(response, "x" * 121)

    def test_html_in_a_title_is_shown_as_text(self) -> None:
        self.client.force_login(self.alice)
        title = "<script>alert('x')</script><b>Bold</b>"
        response = self.client.post(URL, self.form(title=title), follow=True)
        self.assertNotContains(response, "<script>alert")
        self.assertContains(response, "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;")

    def test_a_song_can_only_go_into_a_cohort_where_you_study(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(URL, self.form(cohort=self.other_cohort.pk))
        self.assertContains(response, "Select a valid choice")
        self.assertFalse(Song.objects.filter(title="Northbound").exists())

    def test_a_person_without_a_student_cohort_is_told_what_to_do(self) -> None:
        self.client.force_login(self.bob)
        page = self.client.get(URL)
        self.assertContains(page, "ask your course admin for an invitation")
        self.client.post(URL, self.form())
        self.assertFalse(Song.objects.filter(title="Northbound").exists())

    def test_with_two_cohorts_the_student_chooses(self) -> None:
        second = Cohort.objects.create(name="Second")
        Membership.objects.create(user=self.alice, cohort=second, role=Role.STUDENT)
        self.client.force_login(self.alice)
        page = self.client.get(URL)
        self.assertContains(page, '<select name="cohort"')
        self.client.post(URL, self.form(cohort=second.pk))
        self.assertEqual(Song.objects.get(title="Northbound").cohort, second)

    def test_anonymous_visitors_are_sent_to_log_in(self) -> None:
        response = self.client.get(URL)
        self.assertRedirects(response, f"/accounts/login/?next={URL}")

    def test_wrong_method_is_refused(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.put(URL).status_code, 405)


class EditSongTests(BaseTestCase):
    def url(self) -> str:
        return f"/songs/{self.song.pk}/edit/"

    def test_the_owner_edits_the_details(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            self.url(),
            {
                "title": "Paper Lanterns (acoustic)",
                "purpose": "Same goodbye.",
                "key": "A minor",
                "tempo_bpm": "",
            },
        )
        self.assertRedirects(response, f"/songs/{self.song.pk}/")
        self.song.refresh_from_db()
        self.assertEqual(self.song.title, "Paper Lanterns (acoustic)")
        self.assertEqual(self.song.cohort, self.cohort)

    def test_an_invalid_edit_keeps_the_input(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(self.url(), {"title": "New", "purpose": "", "key": "Z major"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Say in a sentence what the song is for.")
        self.assertContains(response, 'value="New"')
        self.assertContains(response, "<title>Edit Paper Lanterns")

    def test_nobody_else_can_edit_it(self) -> None:
        for user in [*self.other_users(), self.bob, make_user("visitor")]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url()).status_code, 404, user)
            self.assertEqual(self.client.post(self.url(), {"title": "x"}).status_code, 404, user)

from __future__ import annotations

from songs import services
from tests.base import BaseTestCase, count_queries, make_song, make_user, upload_file


class SongPageTests(BaseTestCase):
    def url(self, song=None) -> str:
        return f"/songs/{(song or self.song).pk}/"

    def test_the_song_page_shows_the_seven_stages_as_a_timeline(self) -> None:
        self.started("songwriting")
        self.client.force_login(self.alice)
        page = self.client.get(self.url())
        self.assertEqual(len(page.context["records"]), 7)
        self.assertEqual(page.context["current"].stage.slug, "songwriting")
        for name in ["Music Production", "Pre-Production", "Mastering", "Approved", "In progress"]:
            self.assertContains(page, name)

    def test_the_song_page_shows_the_latest_bounce_of_each_stage(self) -> None:
        record = self.started("recording")
        for _ in range(2):
            services.upload_bounce(record=record, uploaded_by=self.alice, upload=upload_file())
        self.client.force_login(self.alice)
        page = self.client.get(self.url())
        self.assertContains(page, "Latest bounce v2")
        self.assertContains(page, "No bounce yet")

    def test_coaches_of_the_cohort_and_course_admins_may_read_it(self) -> None:
        for user in [self.bob, self.frank]:
            self.client.force_login(user)
            page = self.client.get(self.url())
            self.assertContains(page, "Paper Lanterns")
            self.assertNotContains(page, "Edit details")

    def test_everyone_else_gets_404(self) -> None:
        for user in self.other_users():
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.url()).status_code, 404, user)
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get("/songs/999999/").status_code, 404)

    def test_user_text_is_escaped(self) -> None:
        song = make_song(
            self.alice,
            self.cohort,
            title="<i>x</i>",
            purpose="<img src=x onerror=alert(1)>",
            hook="<b>hook</b>",
        )
        self.client.force_login(self.alice)
        page = self.client.get(self.url(song))
        self.assertNotContains(page, "<img src=x")
        self.assertNotContains(page, "<b>hook</b>")
        self.assertContains(page, "&lt;img src=x onerror=alert(1)&gt;")

    def test_wrong_method_is_refused(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_the_song_page_runs_the_same_queries_for_1_and_30_songs(self) -> None:
        self.client.force_login(self.alice)
        record = self.started("recording")
        services.upload_bounce(record=record, uploaded_by=self.alice, upload=upload_file())
        self.client.get(self.url())
        one = count_queries(lambda: self.client.get(self.url()))
        for index in range(29):
            make_song(self.alice, self.cohort, title=f"Song {index}")
        for _ in range(3):
            services.upload_bounce(record=record, uploaded_by=self.alice, upload=upload_file())
        self.assertEqual(one, count_queries(lambda: self.client.get(self.url())))

    def test_anonymous_visitors_are_sent_to_log_in(self) -> None:
        self.assertEqual(self.client.get(self.url()).status_code, 302)
        make_user("nobody")

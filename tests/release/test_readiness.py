"""Release readiness, computed on prepared songs that fail each item in turn."""

from __future__ import annotations

from songs.models import DeliveryProfile, Song
from stages.models import StageRecord
from tests.base import HTMX
from tests.release.base import ISRC, ReleaseTestCase, report


class ReadyTests(ReleaseTestCase):
    def test_a_song_where_every_item_passes_is_ready_to_release(self) -> None:
        self.make_ready()
        readiness = self.readiness()
        self.assertEqual([i.status for i in readiness.items], ["pass"] * 9, readiness.items)
        self.assertTrue(readiness.ready)
        self.assertTrue(readiness.master_approved)

    def test_the_song_page_says_ready_to_release(self) -> None:
        self.make_ready()
        self.client.force_login(self.alice)
        page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, "Ready to release")
        self.assertContains(page, "Mark as released")

    def test_a_fresh_song_fails_every_item_with_a_reason(self) -> None:
        readiness = self.readiness()
        self.assertFalse(readiness.ready)
        self.assertEqual({i.status for i in readiness.items}, {"fail"})
        self.assertIn("Music Production (not started)", readiness.item("stages").reason)
        self.assertIn("upload your final export", readiness.item("master").reason)
        self.assertIn("no ISRC yet", readiness.item("isrc").reason)
        self.assertIn("No cover yet", readiness.item("artwork").reason)

    def test_the_panel_lists_each_item_as_pass_warn_or_fail(self) -> None:
        self.client.force_login(self.alice)
        panel = self.client.get(self.song_url("readiness"), headers=HTMX)
        self.assertTemplateUsed(panel, "songs/_release_readiness.html")
        self.assertNotContains(panel, "<html")
        self.assertContains(panel, 'data-status="fail"', count=9)
        self.assertContains(panel, "Not ready: 9 to fix")
        self.assertNotContains(panel, "Mark as released")


class ItemTests(ReleaseTestCase):
    """Start from a ready song and break one item at a time."""

    def setUp(self) -> None:
        super().setUp()
        self.make_ready()

    def assert_only_failing(self, item_id: str, status: str = "fail") -> str:
        readiness = self.readiness()
        broken = {i.id: i.status for i in readiness.items if i.status != "pass"}
        self.assertEqual(broken, {item_id: status})
        self.assertFalse(readiness.ready)
        return readiness.item(item_id).reason

    def new_master(self, **changes: object) -> None:
        """Reopen Mastering, upload a new master with `changes`, and approve it again."""
        mastering = self.record("mastering")
        mastering.reopen()
        self.master(report(**changes))
        mastering.submit()
        mastering.approve()

    def test_a_stage_not_approved_fails(self) -> None:
        self.record("mixing").reopen()
        reason = self.assert_only_failing("stages")
        self.assertEqual(reason, "Not approved yet: Mixing (in progress).")

    def test_loudness_is_the_masters_own_loudness_check(self) -> None:
        self.new_master(integrated_lufs=-8.0)
        reason = self.assert_only_failing("loudness")
        self.assertTrue(reason.startswith("Your master measures -8.0 LUFS, 6.0 LU louder"), reason)

    def test_true_peak_over_the_limit_fails(self) -> None:
        self.new_master(true_peak_dbtp=0.4, plr_db=14.6)
        self.assertIn("+0.4 dBTP", self.assert_only_failing("true_peak"))

    def test_squashed_dynamics_only_warn_with_a_reason(self) -> None:
        self.new_master(plr_db=5.0)
        reason = self.assert_only_failing("dynamics", "warn")
        self.assertTrue(reason.startswith("Peaks stand only 5.0 dB above the average"), reason)

    def test_a_measurement_the_analysis_could_not_make_fails(self) -> None:
        self.new_master(true_peak_dbtp=None)
        self.assertIn("could not measure", self.assert_only_failing("true_peak"))

    def test_a_lossy_master_fails_the_cd_profile(self) -> None:
        self.new_master(format="mp3", codec="mp3", lossless=False, bit_depth=None)
        reason = self.assert_only_failing("format")
        self.assertIn("deliver WAV or FLAC", reason)
        self.assertIn("no fixed bit depth", reason)

    def test_a_low_sample_rate_fails(self) -> None:
        self.new_master(sample_rate=22_050)
        self.assertIn("22.05 kHz", self.assert_only_failing("format"))

    def test_a_rate_distributors_do_not_take_fails(self) -> None:
        self.new_master(sample_rate=50_000)
        self.assertIn(
            "50000 Hz, which distributors do not take", self.assert_only_failing("format")
        )

    def test_an_8_bit_master_fails(self) -> None:
        self.new_master(bit_depth=8)
        self.assertIn("8-bit; export 16-bit or more", self.assert_only_failing("format"))

    def test_the_chosen_profile_is_what_the_format_is_judged_against(self) -> None:
        Song.objects.filter(pk=self.song.pk).update(
            delivery_profile=DeliveryProfile.objects.get(name="Hi-res")
        )
        reason = self.assert_only_failing("format")
        self.assertIn("export at 96 kHz or more", reason)
        self.assertIn("Delivery format (Hi-res)", [i.label for i in self.readiness().items])

    def test_a_delivery_profile_edited_in_the_database_changes_the_check(self) -> None:
        DeliveryProfile.objects.filter(is_default=True).update(formats=["flac"])
        self.assertIn("deliver FLAC", self.assert_only_failing("format"))

    def test_a_missing_title_tag_fails(self) -> None:
        self.new_master(tags={"artist": "Alice"})
        self.assertIn("no title tag", self.assert_only_failing("tags"))

    def test_a_title_tag_that_does_not_match_the_song_fails(self) -> None:
        self.new_master(tags={"title": "Paper Lanterns (final)", "artist": "Alice"})
        reason = self.assert_only_failing("tags")
        self.assertIn("“Paper Lanterns (final)”", reason)

    def test_tags_match_regardless_of_case_and_spacing(self) -> None:
        self.new_master(tags={"title": "paper  LANTERNS ", "artist": "alice"})
        self.assertTrue(self.readiness().ready)

    def test_the_artist_is_the_songs_artist_name_when_set(self) -> None:
        Song.objects.filter(pk=self.song.pk).update(artist_name="The Lanterns")
        self.assertIn("but the song's artist is “The Lanterns”", self.assert_only_failing("tags"))

    def test_a_song_without_an_isrc_fails(self) -> None:
        Song.objects.filter(pk=self.song.pk).update(isrc="")
        self.assertIn("no ISRC yet", self.assert_only_failing("isrc"))

    def test_a_master_without_an_embedded_isrc_fails(self) -> None:
        self.new_master(isrc=None, isrc_valid=False)
        self.assertIn("embed US-S1Z-99-00001", self.assert_only_failing("isrc"))

    def test_an_embedded_isrc_that_differs_from_the_songs_fails(self) -> None:
        self.new_master(isrc="GBABC2400001")
        reason = self.assert_only_failing("isrc")
        self.assertIn("GB-ABC-24-00001 but the song's ISRC is US-S1Z-99-00001", reason)

    def test_an_invalid_embedded_isrc_fails(self) -> None:
        self.new_master(isrc="12345", isrc_valid=False)
        self.assertIn("not a valid ISRC", self.assert_only_failing("isrc"))

    def test_a_cover_too_small_fails(self) -> None:
        self.cover(size=1000)
        self.assertIn("1000 pixels", self.assert_only_failing("artwork"))

    def test_a_cover_under_the_recommended_size_warns(self) -> None:
        self.cover(size=2000)
        self.assertIn("recommend 3000 x 3000", self.assert_only_failing("artwork", "warn"))

    def test_a_cmyk_cover_fails(self) -> None:
        self.cover(mode="CMYK")
        self.assertIn("CMYK", self.assert_only_failing("artwork"))

    def test_a_non_square_cover_fails(self) -> None:
        self.cover(size=3000, height=2000)
        self.assertIn("not square", self.assert_only_failing("artwork"))


class MasterChoiceTests(ReleaseTestCase):
    def test_the_approved_master_is_judged_not_a_later_analysis(self) -> None:
        mastering = self.approve_all(but="mastering")
        approved = self.master()
        mastering.approve()
        readiness = self.readiness()
        self.assertEqual(readiness.master, approved)
        self.assertTrue(readiness.master_approved)
        self.assertIn(f"Judged on {approved.label}, the approved master", readiness.items[1].reason)

    def test_without_approval_the_latest_analysed_master_is_judged(self) -> None:
        self.approve_all(but="mastering")
        self.master(report(integrated_lufs=-20.0))
        latest = self.master()
        self.master(state="failed")
        self.master(state="queued")
        readiness = self.readiness()
        self.assertEqual(readiness.master, latest)
        self.assertFalse(readiness.master_approved)
        self.assertIn("the latest analysed master", readiness.item("master").reason)
        self.assertIn("v4 is still being analysed", readiness.item("master").reason)

    def test_a_master_still_being_analysed_is_not_judged_yet(self) -> None:
        self.master(state="queued")
        readiness = self.readiness()
        self.assertIsNone(readiness.master)
        self.assertIn("v1 is still being analysed", readiness.item("master").reason)
        self.assertEqual(readiness.item("loudness").reason, "Waiting for an analysed master.")

    def test_a_master_whose_analysis_failed_says_so(self) -> None:
        self.master(state="failed")
        reason = self.readiness().item("master").reason
        self.assertIn("v1 could not be analysed (The file is not audio.)", reason)

    def test_bounces_of_other_stages_are_never_the_master(self) -> None:
        from tests.base import audio_bytes, store_bounce

        mixing = StageRecord.objects.get(song=self.song, stage__slug="mixing")
        store_bounce(mixing, audio_bytes()).store_report(report(), waveform_name="")
        self.assertIsNone(self.readiness().master)


class PanelAccessTests(ReleaseTestCase):
    def test_coaches_and_course_admins_see_the_panel_without_release_buttons(self) -> None:
        self.make_ready()
        for user in [self.bob, self.frank]:
            self.client.force_login(user)
            panel = self.client.get(self.song_url("readiness"), headers=HTMX)
            self.assertContains(panel, "Ready to release")
            self.assertNotContains(panel, "Mark as released")

    def test_everyone_else_gets_404(self) -> None:
        for user in self.other_users():
            self.client.force_login(user)
            response = self.client.get(self.song_url("readiness"), headers=HTMX)
            self.assertEqual(response.status_code, 404, user)

    def test_a_plain_request_goes_to_the_song_page(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get(self.song_url("readiness"))
        self.assertRedirects(response, self.song.get_absolute_url() + "#release")

    def test_wrong_method_is_refused(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.post(self.song_url("readiness")).status_code, 405)

    def test_the_song_isrc_is_shown_in_its_usual_form(self) -> None:
        Song.objects.filter(pk=self.song.pk).update(isrc=ISRC)
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(self.song.get_absolute_url()), "US-S1Z-99-00001")

"""The musical pass in the app: it runs after the loudness report, the page fills it in by
itself, its checks join the stage's, the sweep catches up on bounces still waiting, and the
student may take the heard tempo and key into the song's empty fields."""

from __future__ import annotations

import io
from functools import cache

from celery import current_app

from songs import services
from songs.analysis import Check, Status
from songs.analysis.tonal import relative_levels
from songs.models import Bounce, GenreProfile, MusicState
from songs.targets import audio_targets
from tests.analysis.music_signals import tonal_piece
from tests.analysis.signals import encode
from tests.base import BaseTestCase, audio_bytes, store_bounce


@cache
def a_minor_at_96() -> bytes:
    """Chords, bass, melody and drums in A minor at 96 BPM (known by construction)."""
    piece = tonal_piece(9, True, 16.0, timbre="piano", with_drums=True, bpm=96.0, variant=1)
    return encode(piece, 44100, subtype="PCM_16")


class MusicPassTests(BaseTestCase):
    def analysed(self, slug: str, data: bytes, *, music: bool = True) -> Bounce:
        bounce = store_bounce(self.started(slug), data)
        with self.captureOnCommitCallbacks(execute=False) as published:
            services.analyse_bounce(bounce_id=bounce.pk, task_id="loudness")
        # The loudness pass asks for the musical pass once its report is committed.
        self.assertEqual(len(published), 1)
        if music:
            services.analyse_music_of(bounce_id=bounce.pk)
        return Bounce.objects.get(pk=bounce.pk)

    def test_the_page_says_it_is_listening_and_keeps_asking_until_the_music_is_in(self) -> None:
        bounce = self.analysed("mixing", audio_bytes("WAV", seconds=4.0), music=False)
        self.assertEqual(bounce.music_state, MusicState.QUEUED)
        self.client.force_login(self.alice)
        panel = self.client.get(f"/bounces/{bounce.pk}/analysis/")
        self.assertContains(panel, "Listening for tempo, key, tuning and tonal balance")
        self.assertContains(panel, 'hx-trigger="every 2s"')
        # The loudness report is already there.
        self.assertContains(panel, "Integrated loudness")

        services.analyse_music_of(bounce_id=bounce.pk)
        panel = self.client.get(f"/bounces/{bounce.pk}/analysis/")
        self.assertNotContains(panel, "Listening for tempo")
        self.assertNotContains(panel, 'hx-trigger="every 2s"')
        self.assertContains(panel, "Spectral tilt")
        self.assertContains(panel, 'class="band-chart tonal-chart"')
        self.assertContains(panel, 'role="img"')

    def test_the_musical_checks_join_the_stage_s_and_are_counted(self) -> None:
        bounce = self.analysed("mixing", audio_bytes("WAV", seconds=4.0))
        ids = [check.id for check in bounce.analysis.checks]
        self.assertIn("tonal_balance", ids)
        self.assertIn("low_end_mono", ids)
        self.client.force_login(self.bob)
        page = self.client.get(f"/bounces/{bounce.pk}/")
        self.assertContains(page, 'data-check="tonal_balance" data-status="skip"')
        self.assertContains(page, "choose the song")

    def test_a_measured_genre_profile_is_read_and_a_starter_is_not(self) -> None:
        bounce = self.analysed("mixing", audio_bytes("WAV", seconds=4.0))
        music = bounce.music_report
        assert music is not None
        # A profile the mix fits exactly.
        shape = [level or 0.0 for level in relative_levels(music.band_levels_db)]
        self.song.genre = GenreProfile.objects.create(
            name="Demo", levels_db=shape, spread_db=[1.0] * 21, source="x", measured_tracks=0
        )
        self.song.save()

        def tonal() -> Check:
            judged = Bounce.objects.get(pk=bounce.pk).judge(audio_targets())
            return next(check for check in judged if check.id == "tonal_balance")

        self.assertEqual(tonal().status, Status.SKIP)
        self.assertIn("starter", tonal().message)
        GenreProfile.objects.filter(name="Demo").update(measured_tracks=12)
        self.assertEqual(tonal().status, Status.PASS, tonal().message)

    def test_the_student_fills_the_song_s_empty_tempo_and_key_from_what_was_heard(self) -> None:
        bounce = self.analysed("pre-production", a_minor_at_96())
        self.client.force_login(self.alice)
        page = self.client.get(f"/bounces/{bounce.pk}/")
        self.assertContains(
            page, "The song has no tempo and key yet; v1 plays at 96 BPM in A minor."
        )
        self.assertContains(page, f'action="/bounces/{bounce.pk}/fill-song/"')
        # The coach sees the figures but is not offered to change the student's song.
        self.client.force_login(self.bob)
        self.assertNotContains(self.client.get(f"/bounces/{bounce.pk}/"), "fill-song")
        self.assertEqual(self.client.post(f"/bounces/{bounce.pk}/fill-song/").status_code, 404)

        self.client.force_login(self.alice)
        response = self.client.post(f"/bounces/{bounce.pk}/fill-song/", follow=True)
        self.assertContains(response, "now has the tempo 96 BPM and key A minor")
        self.song.refresh_from_db()
        self.assertEqual((self.song.tempo_bpm, self.song.key), (96, "A minor"))
        # Judged again with the song's new fields: the tempo and key now match.
        judged = {c.id: c.status for c in Bounce.objects.get(pk=bounce.pk).analysis.checks}
        self.assertEqual((judged["tempo_match"], judged["key_match"]), ("pass", "pass"))

    def test_filling_never_overwrites_what_the_student_chose(self) -> None:
        self.song.tempo_bpm = 120
        self.song.save()
        bounce = self.analysed("pre-production", a_minor_at_96())
        self.client.force_login(self.alice)
        self.client.post(f"/bounces/{bounce.pk}/fill-song/")
        self.song.refresh_from_db()
        self.assertEqual((self.song.tempo_bpm, self.song.key), (120, "A minor"))
        judged = {c.id: c for c in Bounce.objects.get(pk=bounce.pk).analysis.checks}
        self.assertEqual(judged["tempo_match"].status, "warn")
        self.assertIn("120", judged["tempo_match"].message)

    def test_a_file_the_musical_pass_cannot_read_says_so_and_keeps_the_report(self) -> None:
        bounce = self.analysed("mixing", audio_bytes("WAV", seconds=4.0), music=False)
        bounce.file.storage.delete(bounce.file.name)
        services.analyse_music_of(bounce_id=bounce.pk)
        bounce.refresh_from_db()
        self.assertEqual(bounce.music_state, MusicState.FAILED)
        self.client.force_login(self.alice)
        panel = self.client.get(f"/bounces/{bounce.pk}/analysis/")
        self.assertContains(panel, "missing from storage")
        self.assertContains(panel, "Integrated loudness")

    def test_the_sweep_publishes_the_musical_pass_of_bounces_still_waiting(self) -> None:
        import datetime as dt

        from django.utils import timezone

        bounce = self.analysed("mixing", audio_bytes("WAV", seconds=2.0), music=False)
        Bounce.objects.filter(pk=bounce.pk).update(
            analysed_at=timezone.now() - dt.timedelta(hours=1)
        )
        sent: list[tuple[str, int]] = []
        task = current_app.tasks[services.MUSIC_TASK]
        original = task.apply_async
        task.apply_async = lambda args, **_: sent.append((services.MUSIC_TASK, args[0]))  # type: ignore[method-assign]
        try:
            services.sweep_analyses()
        finally:
            task.apply_async = original  # type: ignore[method-assign]
        self.assertIn((services.MUSIC_TASK, bounce.pk), sent)


class MeasureGenreProfileTests(BaseTestCase):
    def test_a_profile_is_measured_from_records_and_says_so(self) -> None:
        import tempfile
        from pathlib import Path

        from django.core.management import call_command

        with tempfile.TemporaryDirectory() as folder:
            paths = []
            for index, tonic in enumerate([9, 2]):
                piece = tonal_piece(tonic, True, 8.0, timbre="piano", with_drums=True)
                path = Path(folder) / f"record-{index}.wav"
                path.write_bytes(encode(piece, 44100, subtype="PCM_16"))
                paths.append(str(path))
            call_command("measure_genre_profile", "Test pop", *paths, stdout=io.StringIO())
        profile = GenreProfile.objects.get(name="Test pop")
        self.assertEqual(profile.measured_tracks, 2)
        self.assertEqual((len(profile.levels_db), len(profile.spread_db)), (21, 21))
        self.assertAlmostEqual(sum(profile.levels_db) / 21, 0.0, delta=0.05)
        self.assertTrue(all(spread >= 1.0 for spread in profile.spread_db))
        self.assertIn("record-0.wav", profile.source)

    def test_one_record_is_not_a_genre(self) -> None:
        import tempfile
        from pathlib import Path

        from django.core.management import CommandError, call_command

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "only.wav"
            path.write_bytes(audio_bytes("WAV", seconds=2.0))
            with self.assertRaisesMessage(CommandError, "at least two records"):
                call_command("measure_genre_profile", "Solo", str(path))
        self.assertFalse(GenreProfile.objects.exists())

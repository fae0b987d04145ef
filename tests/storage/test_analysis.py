"""The worker's services read bounces through storage: the object in the bucket, spooled
to a temporary file for the engine (which seeks), never held whole in memory."""

from __future__ import annotations

from django.test import override_settings

from config.celery_app import app
from songs import services, tasks
from songs.models import AnalysisState, MusicState
from songs.references import services as references
from tests.base import audio_bytes, store_bounce, store_reference
from tests.processes import free_port
from tests.storage.base import S3TestCase


class S3AnalysisTests(S3TestCase):
    def test_both_passes_analyse_the_stored_object_and_keep_their_files_in_the_bucket(
        self,
    ) -> None:
        data = audio_bytes("WAV", seconds=8.0)
        bounce = store_bounce(self.started("mixing"), data, "mix.wav")
        services.analyse_bounce(bounce_id=bounce.pk, task_id="task-1")
        bounce.refresh_from_db()
        self.assertEqual(bounce.analysis_state, AnalysisState.DONE, bounce.analysis_error)
        self.assertAlmostEqual(bounce.duration_s or 0, 8.0, places=2)
        self.assertEqual(self.object_bytes(bounce.peaks.name)[:1], b"{")
        self.assertEqual(self.object_bytes(bounce.waveform.name)[:8], b"\x89PNG\r\n\x1a\n")
        services.analyse_music_of(bounce_id=bounce.pk)
        bounce.refresh_from_db()
        self.assertEqual(bounce.music_state, MusicState.DONE, bounce.music_error)
        self.assertIsNotNone(bounce.music_report)

    def test_analysing_again_replaces_the_waveform_objects(self) -> None:
        bounce = store_bounce(self.started("mixing"), audio_bytes("WAV", seconds=2.0))
        services.analyse_bounce(bounce_id=bounce.pk, task_id="task-1")
        bounce.refresh_from_db()
        first = {bounce.waveform.name, bounce.peaks.name}
        bounce.requeue()
        services.analyse_bounce(bounce_id=bounce.pk, task_id="task-2")
        bounce.refresh_from_db()
        self.assertEqual(bounce.analysis_state, AnalysisState.DONE)
        self.assertEqual(self.keys(), {bounce.file.name, bounce.waveform.name, bounce.peaks.name})
        self.assertFalse(first & self.keys())

    def test_a_bounce_whose_object_is_gone_fails_with_the_reason(self) -> None:
        bounce = store_bounce(self.started("mixing"), audio_bytes("WAV"))
        self.s3.delete_object(Bucket=self.bucket, Key=bounce.file.name)
        services.analyse_bounce(bounce_id=bounce.pk, task_id="task-1")
        bounce.refresh_from_db()
        self.assertEqual(bounce.analysis_state, AnalysisState.FAILED)
        self.assertIn("missing from storage", bounce.analysis_error)

    def test_a_long_bounce_is_read_from_a_temporary_file_on_disk_not_memory(self) -> None:
        bounce = store_bounce(self.started("mixing"), audio_bytes("WAV", seconds=20.0))
        with bounce.file.open("rb") as handle:
            handle.seek(-4, 2)  # the engine seeks like this, to the end and back
            self.assertEqual(len(handle.read(4)), 4)
            spool = handle.file.file  # FieldFile -> S3File -> its SpooledTemporaryFile
            self.assertTrue(spool._rolled, "3.5 MB should have spilled to disk")

    def test_a_reference_track_is_analysed_from_the_bucket_too(self) -> None:
        reference = store_reference(self.song, audio_bytes("FLAC", seconds=4.0), "record.flac")
        references.analyse_reference(reference_id=reference.pk)
        reference.refresh_from_db()
        self.assertEqual(reference.analysis_state, AnalysisState.DONE, reference.analysis_error)
        self.assertIn(reference.peaks.name, self.keys())

    def test_a_store_out_of_reach_is_retried_then_failed_with_a_try_again(self) -> None:
        bounce = store_bounce(self.started("mixing"), audio_bytes("WAV", seconds=2.0))
        propagates = app.conf.task_eager_propagates
        app.conf.task_eager_propagates = False  # let eager retries run as retries
        self.addCleanup(setattr, app.conf, "task_eager_propagates", propagates)
        nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        with override_settings(STORAGES=self.storages(nobody, timeout_s=1)):
            tasks.analyse_bounce.apply(args=(bounce.pk,))
        bounce.refresh_from_db()
        self.assertEqual(bounce.analysis_state, AnalysisState.FAILED)
        self.assertIn("could not reach the file store", bounce.analysis_error)
        self.assertTrue(bounce.analysis_retryable)
        with self.captureOnCommitCallbacks(execute=True):
            services.rerun_analysis(bounce)  # "Try again", with the store back
        bounce.refresh_from_db()
        self.assertEqual(bounce.analysis_state, AnalysisState.DONE, bounce.analysis_error)

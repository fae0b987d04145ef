"""The production shape on an object store: gunicorn (debug off) and a Celery worker, each
with an empty media folder of its own and the bucket named in its environment alone, as
docker-compose runs them. A bounce uploaded over HTTP is analysed by the worker from the
bucket and played back through gunicorn with a range request."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import requests

from songs.models import AnalysisState, Bounce
from tests.base import audio_bytes
from tests.pipeline.harness import ServicesTestCase, production_env
from tests.processes import START_TIMEOUT_S, celery_worker, gunicorn, wait_for
from tests.storage.base import S3ServerMixin

pytestmark = pytest.mark.services


class S3ProductionShapeTests(S3ServerMixin, ServicesTestCase):
    def media_root(self) -> Path:
        folder = Path(tempfile.mkdtemp(prefix="stagecoach-unshared-media-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        return folder

    def test_web_and_worker_share_only_the_bucket_from_upload_to_playback(self) -> None:
        web_media, worker_media = self.media_root(), self.media_root()
        bucket_env = self.server.env(self.bucket)
        web_env = production_env(**bucket_env, DJANGO_MEDIA_ROOT=str(web_media))
        worker_env = production_env(**bucket_env, DJANGO_MEDIA_ROOT=str(worker_media))
        data = audio_bytes("WAV", seconds=6.0)
        server, base = gunicorn(web_env)
        with server, celery_worker("s3-worker", worker_env):
            browser = requests.Session()
            browser.get(f"{base}/accounts/login/", timeout=30)
            logged_in = browser.post(
                f"{base}/accounts/login/",
                data={
                    "username": "ada",
                    "password": "password-ada",
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                },
                timeout=30,
            )
            self.assertEqual(logged_in.status_code, 200)
            uploaded = browser.post(
                f"{base}/songs/{self.song.pk}/stages/mixing/bounces/",
                data={
                    "request_key": str(uuid.uuid4()),
                    "note": "",
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                },
                files={"file": ("mix.wav", data, "audio/wav")},
                timeout=60,
            )
            self.assertEqual(uploaded.status_code, 200, uploaded.text[:500])
            bounce = Bounce.objects.get()
            wait_for(
                lambda: (
                    Bounce.objects.get(pk=bounce.pk).analysis_state
                    in {AnalysisState.DONE, AnalysisState.FAILED}
                ),
                timeout=START_TIMEOUT_S,
                what="the worker to analyse the bounce from the bucket",
            )
            bounce.refresh_from_db()
            self.assertEqual(bounce.analysis_state, AnalysisState.DONE, bounce.analysis_error)
            part = browser.get(
                f"{base}/bounces/{bounce.pk}/audio/", headers={"Range": "bytes=44-1043"}, timeout=30
            )
            self.assertEqual(part.status_code, 206)
            self.assertEqual(part.content, data[44:1044])
            peaks = browser.get(f"{base}/bounces/{bounce.pk}/peaks.json", timeout=30)
            self.assertEqual(peaks.status_code, 200)
        keys = {
            item["Key"] for item in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        }
        self.assertEqual(keys, {bounce.file.name, bounce.waveform.name, bounce.peaks.name})
        for folder in (web_media, worker_media):
            self.assertEqual([p for p in folder.rglob("*") if p.is_file()], [], folder)

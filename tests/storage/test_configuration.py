"""The media storage comes from the environment: local disk unless a bucket is named."""

from __future__ import annotations

import json
import subprocess
import sys
import unittest
import uuid

from tests.processes import ROOT, app_env
from tests.storage.base import S3TestCase
from tests.test_settings import read_settings


class StorageSettingsTests(unittest.TestCase):
    def test_with_no_bucket_media_stays_on_local_disk(self) -> None:
        result = read_settings({}, "STORAGES", "MEDIA_SERVE")
        self.assertEqual(result.returncode, 0, result.stderr)
        values = json.loads(result.stdout)
        self.assertIn("FileSystemStorage", values["STORAGES"])
        self.assertNotIn("S3", values["STORAGES"])

    def test_handing_a_path_to_the_web_server_is_refused_with_a_bucket(self) -> None:
        for serve in ("x-sendfile", "x-accel-redirect"):
            result = read_settings(
                {"STAGECOACH_S3_BUCKET": "media", "STAGECOACH_MEDIA_SERVE": serve}, "DEBUG"
            )
            self.assertNotEqual(result.returncode, 0, serve)
            self.assertIn(
                f"STAGECOACH_MEDIA_SERVE={serve} needs media on local disk", result.stderr
            )

    def test_a_malformed_addressing_style_names_its_variable(self) -> None:
        result = read_settings(
            {
                "STAGECOACH_S3_BUCKET": f"b-{uuid.uuid4().hex}",
                "STAGECOACH_S3_ADDRESSING_STYLE": "x",
            },
            "DEBUG",
        )
        self.assertIn("STAGECOACH_S3_ADDRESSING_STYLE must be auto, path or virtual", result.stderr)


class S3ConfigurationTests(S3TestCase):
    def test_the_environment_alone_puts_media_in_the_bucket_for_another_process(self) -> None:
        # What docker-compose gives web and worker: the variables, no shared folder.
        env = app_env(
            database_url="sqlite:///:memory:",
            broker_url="",
            media_root="/nonexistent-media-root",
            **self.server.env(self.bucket),
        )
        code = (
            "import django; django.setup(); "
            "from django.core.files.base import ContentFile; "
            "from django.core.files.storage import default_storage as s; "
            "name = s.save('probe/hello.txt', ContentFile(b'from another process')); "
            "print(type(s._wrapped).__name__, name, s.open(name).read().decode())"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.stdout.split(maxsplit=2),
            ["MediaS3Storage", "probe/hello.txt", "from another process\n"],
        )
        self.assertEqual(self.object_bytes("probe/hello.txt"), b"from another process")

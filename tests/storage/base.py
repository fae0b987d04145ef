"""Media in an S3 bucket on a real S3-protocol server (moto's standalone server, a process
of its own started by tests/processes.py), reached over HTTP with boto3 as production
reaches its object store. Each test gets a bucket of its own."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import boto3
from django.test import override_settings

from config.settings import s3_media_storage
from tests.base import BaseTestCase
from tests.processes import S3Server
from tests.services import require_service, unavailable


def start_s3_server() -> S3Server:
    """The local S3-protocol server for a test class; skips loudly (fails under CI) when
    it is not installed or does not start."""
    require_service("s3")
    server = S3Server()
    try:
        server.start()
    except (AssertionError, OSError, RuntimeError) as exc:
        server.stop()
        unavailable(f"the local S3 server (moto_server) did not start: {exc}")
    return server


def new_bucket(server: S3Server) -> tuple[str, Any]:
    """A bucket of the test's own on `server`, and a boto3 client to look into it."""
    bucket = f"stagecoach-{uuid.uuid4().hex[:16]}"
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name=S3Server.REGION,
        aws_access_key_id=S3Server.ACCESS_KEY,
        aws_secret_access_key=S3Server.SECRET_KEY,
    )
    client.create_bucket(Bucket=bucket)
    return bucket, client


class S3ServerMixin:
    """The local S3-protocol server for the test class, and a bucket of each test's own
    (`self.bucket`, looked into with `self.s3`). Mixed in before the test case class."""

    server: ClassVar[S3Server]
    bucket: str
    s3: Any

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = start_s3_server()
        cls.addClassCleanup(cls.server.stop)  # type: ignore[attr-defined]
        super().setUpClass()  # type: ignore[misc]

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.bucket, self.s3 = new_bucket(self.server)


class S3TestCase(S3ServerMixin, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.addCleanup(self._drop_bucket)
        overridden = override_settings(STORAGES=self.storages(self.server.endpoint_url))
        overridden.enable()
        self.addCleanup(overridden.disable)

    def storages(self, endpoint_url: str, timeout_s: int = 10) -> dict[str, Any]:
        """STORAGES with media in this test's bucket at `endpoint_url`."""
        return {
            "default": s3_media_storage(
                bucket=self.bucket,
                endpoint_url=endpoint_url,
                region=S3Server.REGION,
                access_key=S3Server.ACCESS_KEY,
                secret_key=S3Server.SECRET_KEY,
                addressing_style="path",
                timeout_s=timeout_s,
            ),
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }

    def keys(self, prefix: str = "") -> set[str]:
        """Every object in this test's bucket (under `prefix`)."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def object_bytes(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def _drop_bucket(self) -> None:
        for key in self.keys():
            self.s3.delete_object(Bucket=self.bucket, Key=key)
        self.s3.delete_bucket(Bucket=self.bucket)

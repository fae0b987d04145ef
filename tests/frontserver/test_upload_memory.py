"""An upload over its size limit costs the web worker no memory, whatever the body's shape:
gunicorn as the Dockerfile starts it (one worker, so the one measured is the one serving),
a 600 MB body without a single newline streamed from a generator, and the worker's
resident memory sampled from /proc while it arrives."""

from __future__ import annotations

import pytest

from tests.frontserver.client import MB, PeakMemory, Session, children, send_upload
from tests.frontserver.harness import collected_static
from tests.pipeline.harness import ServicesTestCase, service_env
from tests.processes import Process, gunicorn, production_settings, wait_for

pytestmark = [pytest.mark.services]

BODY_BYTES = 600 * 1024 * 1024
GROWTH_LIMIT_MB = 30


class UploadMemoryTestCase(ServicesTestCase):
    def setUp(self) -> None:
        super().setUp()
        env = service_env(**production_settings(collected_static()))
        self.server, base = gunicorn(env, workers=1, quiet=True)
        self.addCleanup(self.server.stop)
        self.worker = wait_for(
            lambda: (found := children(self.server.proc.pid)) and found[0],
            timeout=60,
            what="gunicorn's worker",
        )
        self.session = Session(base)
        self.session.log_in("ada", "password-ada")
        # Warm: the worker has imported and rendered everything an upload page needs.
        self.session.request("GET", self.record_path())

    def record_path(self) -> str:
        return f"/songs/{self.song.pk}/stages/{self.open_stage}/"

    def upload_costs(
        self,
        path: str,
        field_name: str,
        *,
        chunked: bool = False,
        htmx: bool = False,
        **fields: str,
    ) -> tuple[PeakMemory, bytes]:
        """The worker's memory while it is sent a 600 MB body to `path`, and what it
        answered."""
        with PeakMemory(self.worker) as memory:
            answer = send_upload(
                self.session,
                path,
                field_name=field_name,
                file_bytes=BODY_BYTES,
                fields=fields,
                chunked=chunked,
                htmx=htmx,
            )
        self.assertTrue(self.server.running, self.server.output())
        print(  # the figures for the README and the closing note (pytest -s shows them)
            f"\n{path}: worker idle {memory.idle_bytes / MB:.0f} MB, "
            f"peak {memory.peak_bytes / MB:.0f} MB"
        )
        return memory, answer


def assert_within(test: UploadMemoryTestCase, memory: PeakMemory, server: Process) -> None:
    test.assertLess(
        memory.growth_mb,
        GROWTH_LIMIT_MB,
        f"the worker went from {memory.idle_bytes / MB:.0f} MB to "
        f"{memory.peak_bytes / MB:.0f} MB while refusing a 600 MB body\n{server.output()}",
    )


class UploadMemoryTests(UploadMemoryTestCase):
    def test_a_600_mb_bounce_without_newlines_is_refused_with_flat_worker_memory(self) -> None:
        memory, answer = self.upload_costs(self.record_path() + "bounces/", "file")
        assert_within(self, memory, self.server)
        self.assertIn(b"bounces can be up to 250 MB", answer)

    def test_a_600_mb_cover_without_newlines_is_refused_with_flat_worker_memory(self) -> None:
        memory, answer = self.upload_costs(f"/songs/{self.song.pk}/artwork/", "file")
        assert_within(self, memory, self.server)
        self.assertIn(b"covers can be up to 30 MB", answer)

    def test_600_mb_voice_notes_and_references_leave_the_worker_memory_flat(self) -> None:
        voice_path = f"/records/{self.record.pk}/comments/"
        memory, answer = self.upload_costs(voice_path, "voice", htmx=True, body="Listen")
        assert_within(self, memory, self.server)
        self.assertIn(b"voice notes can be up to 10 MB", answer)

        memory, answer = self.upload_costs(
            f"/songs/{self.song.pk}/references/", "file", title="A record"
        )
        assert_within(self, memory, self.server)
        self.assertIn(b"reference tracks can be up to 250 MB", answer)

    def test_a_600_mb_chunked_body_leaves_the_worker_memory_flat(self) -> None:
        memory, _ = self.upload_costs(self.record_path() + "bounces/", "file", chunked=True)
        assert_within(self, memory, self.server)

"""Hostile bounce uploads, one test each (the artwork's own are in tests/release/)."""

from __future__ import annotations

import io
import struct
import uuid
import zlib

from songs.models import AnalysisState, Bounce
from tests.base import BaseTestCase, upload_file


def declared_4gb_wav() -> bytes:
    """A WAV header announcing about 4 GB of audio, followed by a few kilobytes."""
    fmt = struct.pack("<HHIIHH", 1, 2, 44_100, 44_100 * 4, 4, 16)
    data_size = 0xFFFF_FF00
    return (
        b"RIFF"
        + struct.pack("<I", 0xFFFF_FFF0)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", data_size)
        + bytes(8192)
    )


def huge_png_header(side: int = 50_000) -> bytes:
    """The start of a PNG claiming side x side pixels (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + bytes(1024)
    )


class HostileBounceUploadTests(BaseTestCase):
    def setUp(self) -> None:
        self.started("recording")
        self.client.force_login(self.alice)
        self.url = f"/songs/{self.song.pk}/stages/recording/bounces/"

    def post(self, name: str, data: bytes):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                self.url, {"file": upload_file(name, data), "request_key": str(uuid.uuid4())}
            )

    def test_a_wav_declaring_4_gb_is_kept_and_fails_analysis_with_a_reason(self) -> None:
        response = self.post("huge.wav", declared_4gb_wav())
        self.assertEqual(response.status_code, 302)
        bounce = Bounce.objects.get()
        self.assertEqual(bounce.size_bytes, len(declared_4gb_wav()))
        self.assertEqual(bounce.analysis_state, AnalysisState.FAILED)
        self.assertIn("The file says it lasts", bounce.analysis_error)

    def test_a_50000_pixel_png_named_wav_is_refused_without_decoding(self) -> None:
        response = self.post("bomb.wav", huge_png_header())
        self.assertContains(response, "not an audio file Stagecoach can take")
        self.assertFalse(Bounce.objects.exists())

    def test_a_name_with_nul_bytes_and_traversal_is_kept_only_as_clean_data(self) -> None:
        self.post(
            "..\\..\\windows\\sys\x00tem.wav", io.BytesIO(b"").getvalue() or upload_file().read()
        )
        bounce = Bounce.objects.get()
        self.assertEqual(bounce.original_name, "system.wav")
        self.assertNotIn("..", bounce.file.name)

    def test_downloads_never_render_as_html(self) -> None:
        self.post("take.wav", upload_file().read())
        bounce = Bounce.objects.get()
        for suffix in ("audio/", "download/"):
            response = self.client.get(f"/bounces/{bounce.pk}/{suffix}")
            self.assertEqual(response["Content-Type"], "audio/wav")
            self.assertEqual(response["X-Content-Type-Options"], "nosniff")
            self.assertIn("sandbox", response["Content-Security-Policy"])

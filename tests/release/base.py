"""Helpers for the release tests: images built in code, and songs prepared to a known state."""

from __future__ import annotations

import dataclasses
import functools
import io
import random
import struct
import zlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from songs.analysis import Report, analyse
from songs.models import Bounce, Song
from songs.release import artwork
from stages.models import StageRecord, Status
from tests.base import BaseTestCase, audio_bytes, store_bounce

ISRC = "USS1Z9900001"


# --- Images ---------------------------------------------------------------------------------


@functools.cache
def image_bytes(
    width: int = 3000, height: int | None = None, *, fmt: str = "JPEG", mode: str = "RGB"
) -> bytes:
    colour: Any = {"RGB": (200, 80, 40), "CMYK": (0, 160, 200, 0), "RGBA": (200, 80, 40, 128)}
    image = Image.new(mode, (width, height or width), colour.get(mode, 128))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    """A JPEG carrying EXIF with a GPS position and a camera maker, as phones write."""
    image = Image.new("RGB", (1600, 1600), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret note")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def truncated_png() -> bytes:
    """A PNG cut off halfway (noise, so the image data is most of the file)."""
    noisy = Image.frombytes("RGB", (600, 600), random.Random(8).randbytes(600 * 600 * 3))
    out = io.BytesIO()
    noisy.save(out, "PNG")
    data = out.getvalue()
    return data[: len(data) // 2]


def eps_bytes() -> bytes:
    return (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 3000 3000\n"
        b"newpath 0 0 moveto 3000 3000 lineto stroke\nshowpage\n%%EOF\n"
    )


def image_upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- Reports --------------------------------------------------------------------------------


@functools.cache
def _measured() -> Report:
    """A real engine report (of a short synthesised master) to change measurements in."""
    data = audio_bytes("WAV", seconds=3.0, subtype="PCM_24")
    return analyse(io.BytesIO(data), stage="mastering")


# Measurements of a master that passes every readiness item on the CD quality profile.
GOOD_MASTER: dict[str, Any] = {
    "integrated_lufs": -14.2,
    "true_peak_dbtp": -1.3,
    "loudness_range_lu": 6.5,
    "plr_db": 11.0,
    "sample_peak_dbfs": -1.5,
    "format": "wav",
    "codec": "pcm_s24",
    "lossless": True,
    "sample_rate": 44_100,
    "bit_depth": 24,
    "channels": 2,
    "duration_s": 200.0,
    "tags": {"title": "Paper Lanterns", "artist": "Alice"},
    "isrc": ISRC,
    "isrc_valid": True,
    "artwork": None,
}


def report(**changes: Any) -> Report:
    """A master's report that passes every readiness item, with measurements changed as
    given (`integrated_lufs=-8.0`, `tags={...}`); the checks are judged from them."""
    return dataclasses.replace(_measured(), **(GOOD_MASTER | changes))


class ReleaseTestCase(BaseTestCase):
    def song_url(self, name: str, song: Song | None = None) -> str:
        from django.urls import reverse

        return reverse(f"songs:{name}", args=[(song or self.song).pk])

    def approve_all(self, song: Song | None = None, *, but: str = "") -> StageRecord:
        """Approve every stage of `song` (except `but`, left submitted); returns Mastering."""
        song = song or self.song
        for record in StageRecord.objects.filter(song=song).select_related("stage"):
            if record.status == Status.APPROVED:
                continue
            self.complete(record)
            if record.stage.slug != but:
                record.approve()
        return StageRecord.objects.select_related("stage").get(song=song, stage__slug="mastering")

    def master(
        self,
        data: Report | None = None,
        *,
        song: Song | None = None,
        state: str = "done",
    ) -> Bounce:
        """A bounce on the Mastering record with `data` stored as its analysis report."""
        record = StageRecord.objects.get(song=song or self.song, stage__slug="mastering")
        bounce = store_bounce(record, audio_bytes())
        if state == "done":
            bounce.store_report(data if data is not None else report(), waveform_name="")
        elif state == "failed":
            bounce.mark_failed("The file is not audio.")
        return bounce

    def cover(self, song: Song | None = None, size: int = 3000, **image: Any) -> Song:
        song = song or self.song
        processed = artwork.process(io.BytesIO(image_bytes(size, **image)))
        artwork.store(song=song, processed=processed)
        return song

    def make_ready(self, song: Song | None = None) -> Song:
        """Every readiness item passes: ISRC set, cover stored, stages approved on a good
        master uploaded before Mastering was approved."""
        song = song or self.song
        Song.objects.filter(pk=song.pk).update(isrc=ISRC)
        song.refresh_from_db()
        self.cover(song)
        for record in StageRecord.objects.filter(song=song).select_related("stage"):
            if record.stage.slug != "mastering":
                self.complete(record)
                record.approve()
        mastering = StageRecord.objects.select_related("stage").get(
            song=song, stage__slug="mastering"
        )
        self.complete(mastering)
        self.master(song=song)
        mastering.approve()
        return song

    def readiness(self, song: Song | None = None, user: Any = None) -> Any:
        """The readiness as the panel's view computes it, over HTTP."""
        self.client.force_login(user or self.alice)
        response = self.client.get(self.song_url("readiness", song), headers={"HX-Request": "true"})
        self.assertEqual(response.status_code, 200)
        return response.context["readiness"]

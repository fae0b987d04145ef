"""Tags, ISRC and artwork read alike from ID3, Vorbis comments, MP4 atoms and RIFF/AIFF chunks.

Each file is written into a temp dir: audio by soundfile or PyAV, tags by mutagen (or by
libsndfile and by hand for RIFF INFO and AIFF text chunks, which mutagen cannot write).
"""

from __future__ import annotations

import base64
import io
import struct
import tempfile
import unittest
import zlib
from pathlib import Path

import soundfile
from mutagen.aiff import AIFF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TALB, TCON, TDRC, TIT2, TPE1, TRCK, TSRC, TXXX
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import Image

from songs.analysis import analyse
from songs.analysis.metadata import isrc_is_valid, measure_artwork, normalise_isrc
from tests.analysis.signals import encode, encode_m4a, faded, tone

RATE = 44100
TAGS = {
    "title": "Night Bus",
    "artist": "Zoë & the Stops",
    "album": "Late",
    "track": "3/10",
    "date": "2025",
    "genre": "Indie",
    "isrc": "GB-ABC-25-00001",
}


def picture(kind: str = "JPEG", size: tuple[int, int] = (640, 640)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format=kind)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A 1 x 1 PNG whose header claims width x height pixels (with a valid checksum)."""
    tiny = picture("PNG", (1, 1))
    ihdr = struct.pack(">II", width, height) + tiny[24:29]
    checksum = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return tiny[:16] + ihdr + checksum + tiny[33:]


def audio() -> object:
    return faded(tone(1.5, -20, rate=RATE), rate=RATE)


def flac_picture(data: bytes) -> Picture:
    art = Picture()
    art.type, art.mime, art.data, art.width, art.height, art.depth = 3, "image/jpeg", data, 0, 0, 24
    return art


def id3_frames(tags: ID3, cover: bytes) -> None:
    tags.add(TIT2(encoding=3, text=TAGS["title"]))
    tags.add(TPE1(encoding=3, text=TAGS["artist"]))
    tags.add(TALB(encoding=3, text=TAGS["album"]))
    tags.add(TRCK(encoding=3, text=TAGS["track"]))
    tags.add(TDRC(encoding=3, text=TAGS["date"]))
    tags.add(TCON(encoding=3, text=TAGS["genre"]))
    tags.add(TSRC(encoding=3, text=TAGS["isrc"]))
    tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=cover))


class TaggedFilesTests(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)
        self.cover = picture()

    def path(self, name: str, data: bytes) -> Path:
        path = Path(self.folder.name) / name
        path.write_bytes(data)
        return path

    def assert_tagged(self, path: Path, *, keys: tuple[str, ...] = tuple(TAGS)) -> None:
        with path.open("rb") as f:
            report = analyse(f, stage="mastering")
        for key in keys:
            expected = TAGS[key]
            if key == "isrc":
                self.assertEqual(report.isrc, "GBABC2500001")
                self.assertTrue(report.isrc_valid)
            else:
                self.assertEqual(report.tags.get(key), expected, key)
        self.assertIsNotNone(report.artwork)
        self.assertEqual(
            (report.artwork.format, report.artwork.width_px, report.artwork.height_px),
            ("JPEG", 640, 640),
        )
        self.assertEqual(report.artwork.size_bytes, len(self.cover))
        statuses = {check.id: check.status for check in report.checks}
        self.assertEqual(statuses["tags"], "pass")
        self.assertEqual(statuses["isrc"], "pass")
        self.assertEqual(statuses["artwork"], "warn")  # 640 px is under the 3000 px stores want

    def test_id3_tags_in_an_mp3_are_read(self) -> None:
        path = self.path("song.mp3", encode(audio(), RATE, fmt="MP3", subtype="MPEG_LAYER_III"))
        tags = ID3()
        id3_frames(tags, self.cover)
        tags.save(path)
        self.assert_tagged(path)

    def test_an_id3_chunk_in_a_wav_is_read(self) -> None:
        path = self.path("song.wav", encode(audio(), RATE, subtype="PCM_24"))
        wave = WAVE(path)
        wave.add_tags()
        id3_frames(wave.tags, self.cover)
        wave.save()
        self.assert_tagged(path)

    def test_an_id3_chunk_in_an_aiff_is_read(self) -> None:
        path = self.path("song.aiff", encode(audio(), RATE, fmt="AIFF", subtype="PCM_24"))
        aiff = AIFF(path)
        aiff.add_tags()
        id3_frames(aiff.tags, self.cover)
        aiff.save()
        self.assert_tagged(path)

    def test_vorbis_comments_in_a_flac_are_read(self) -> None:
        path = self.path("song.flac", encode(audio(), RATE, fmt="FLAC", subtype="PCM_24"))
        flac = FLAC(path)
        flac.update({"TITLE": TAGS["title"], "ARTIST": TAGS["artist"], "ALBUM": TAGS["album"]})
        flac.update({"TRACKNUMBER": "3/10", "DATE": "2025", "GENRE": "Indie"})
        flac["ISRC"] = TAGS["isrc"]
        flac.add_picture(flac_picture(self.cover))
        flac.save()
        self.assert_tagged(path)

    def test_vorbis_comments_and_a_picture_block_in_an_ogg_are_read(self) -> None:
        path = self.path("song.ogg", encode(audio(), RATE, fmt="OGG", subtype="VORBIS"))
        ogg = OggVorbis(path)
        ogg.update({"title": TAGS["title"], "artist": TAGS["artist"], "album": TAGS["album"]})
        ogg.update({"tracknumber": "3/10", "date": "2025", "genre": "Indie", "isrc": TAGS["isrc"]})
        ogg["metadata_block_picture"] = [
            base64.b64encode(flac_picture(self.cover).write()).decode("ascii")
        ]
        ogg.save()
        self.assert_tagged(path)

    def test_mp4_atoms_in_aac_and_alac_m4a_files_are_read(self) -> None:
        for codec in ("aac", "alac"):
            path = self.path(f"song-{codec}.m4a", encode_m4a(audio(), RATE, codec=codec))
            mp4 = MP4(path)
            mp4["\xa9nam"], mp4["\xa9ART"], mp4["\xa9alb"] = "Night Bus", TAGS["artist"], "Late"
            mp4["\xa9day"], mp4["\xa9gen"], mp4["trkn"] = "2025", "Indie", [(3, 10)]
            mp4["----:com.apple.iTunes:ISRC"] = [MP4FreeForm(TAGS["isrc"].encode())]
            mp4["covr"] = [MP4Cover(self.cover, imageformat=MP4Cover.FORMAT_JPEG)]
            mp4.save()
            with self.subTest(codec=codec):
                self.assert_tagged(path)

    def test_riff_info_and_aiff_text_chunks_are_read(self) -> None:
        for container, name in (("WAV", "song.wav"), ("AIFF", "song.aiff")):
            path = Path(self.folder.name) / name
            with soundfile.SoundFile(path, "w", RATE, 2, format=container) as f:
                f.title, f.artist, f.comment = TAGS["title"], TAGS["artist"], "take 4"
                f.write(audio())
            with self.subTest(container=container), path.open("rb") as f:
                report = analyse(f)
                self.assertEqual(report.tags["title"], TAGS["title"])
                self.assertEqual(report.tags["artist"], TAGS["artist"])
                self.assertEqual(report.tags["comment"], "take 4")


def riff_info_wav(
    fields: dict[bytes, bytes], *, extra: list[tuple[bytes, bytes]] | None = None
) -> bytes:
    """A WAV with a hand-made LIST/INFO chunk (libsndfile has no field for ISRC), and any
    `extra` chunks (id, data) after it."""
    wav = encode(audio(), RATE, subtype="PCM_16")
    body = b"INFO"
    for key, value in fields.items():
        value += b"\x00"
        body += key + struct.pack("<I", len(value)) + value + (b"\x00" if len(value) % 2 else b"")
    data = wav + b"LIST" + struct.pack("<I", len(body)) + body
    for chunk_id, chunk in extra or []:
        data += (
            chunk_id + struct.pack("<I", len(chunk)) + chunk + (b"\x00" if len(chunk) % 2 else b"")
        )
    return data[:4] + struct.pack("<I", len(data) - 8) + data[8:]


class RiffInfoTests(unittest.TestCase):
    def test_an_isrc_in_the_riff_info_field_is_recognised_and_named(self) -> None:
        # What `ffmpeg -metadata ISRC=GBABC2500001 out.wav` writes.
        data = riff_info_wav({b"INAM": b"Night Bus", b"ISRC": b"GBABC2500001"})
        report = analyse(io.BytesIO(data), stage="mastering")
        self.assertEqual((report.isrc, report.isrc_valid), ("GBABC2500001", True))
        self.assertEqual(report.isrc_field, "RIFF INFO ISRC")
        self.assertEqual(report.tags["source"], "GBABC2500001")
        self.assertEqual(report.tags["title"], "Night Bus")
        check = next(check for check in report.checks if check.id == "isrc")
        self.assertIn("RIFF INFO “ISRC” field", check.message)
        self.assertIn("distributors take the ISRC you type into their upload form", check.message)
        self.assertNotIn("No ISRC is embedded", check.message)

    def test_a_riff_info_source_that_is_no_isrc_stays_a_source(self) -> None:
        data = riff_info_wav({b"INAM": b"Night Bus", b"ISRC": b"Studio B tape 4"})
        report = analyse(io.BytesIO(data), stage="mastering")
        self.assertIsNone(report.isrc)
        self.assertEqual(report.tags["source"], "Studio B tape 4")

    def test_an_isrc_in_a_bwf_axml_chunk_is_read(self) -> None:
        xml = b'<ebucore:identifier typeLabel="ISRC"><dc:identifier>GB-ABC-25-00002'
        xml += b"</dc:identifier></ebucore:identifier>"
        data = riff_info_wav({b"INAM": b"Night Bus"}, extra=[(b"axml", xml)])
        report = analyse(io.BytesIO(data), stage="mastering")
        self.assertEqual((report.isrc, report.isrc_field), ("GBABC2500002", "BWF axml chunk"))

    def test_the_id3_chunk_of_a_wav_wins_over_its_riff_info(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "both.wav"
            path.write_bytes(riff_info_wav({b"ISRC": b"GBABC2500001"}))
            wave = WAVE(path)
            wave.add_tags()
            wave.tags.add(TSRC(encoding=3, text="USRC17607839"))
            wave.save()
            report = analyse(io.BytesIO(path.read_bytes()), stage="mastering")
        self.assertEqual((report.isrc, report.isrc_field), ("USRC17607839", "ID3 chunk"))

    def test_latin1_text_is_read(self) -> None:
        report = analyse(io.BytesIO(riff_info_wav({b"IART": "Zoë".encode("latin-1")})))
        self.assertEqual(report.tags["artist"], "Zoë")


class IsrcTests(unittest.TestCase):
    def test_an_isrc_is_normalised_without_prefix_hyphens_or_spaces(self) -> None:
        self.assertEqual(normalise_isrc(" isrc gb-abc-25-00001 "), "GBABC2500001")
        self.assertEqual(normalise_isrc("ISRC:USRC17607839"), "USRC17607839")

    def test_only_a_12_character_isrc_of_the_right_kinds_is_valid(self) -> None:
        self.assertTrue(isrc_is_valid("GBABC2500001"))
        self.assertTrue(isrc_is_valid("USRC17607839"))
        self.assertFalse(isrc_is_valid("GBABC250001"))  # 11 characters
        self.assertFalse(isrc_is_valid("1BABC2500001"))  # country must be letters
        self.assertFalse(isrc_is_valid("GBABC25X0001"))  # year and number are digits

    def test_an_isrc_in_an_id3_user_text_frame_is_read(self) -> None:
        data = io.BytesIO(encode(audio(), RATE, fmt="MP3", subtype="MPEG_LAYER_III"))
        tags = ID3()
        tags.add(TXXX(encoding=3, desc="ISRC", text="usrc17607839"))
        tags.save(data)
        report = analyse(io.BytesIO(data.getvalue()))
        self.assertEqual((report.isrc, report.isrc_valid), ("USRC17607839", True))

    def test_invalid_isrc_fails_mastering(self) -> None:
        data = encode(audio(), RATE, fmt="FLAC", subtype="PCM_16")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "song.flac"
            path.write_bytes(data)
            flac = FLAC(path)
            flac["ISRC"] = "not-an-isrc"
            flac.save()
            with path.open("rb") as f:
                report = analyse(f, stage="mastering")
        check = next(check for check in report.checks if check.id == "isrc")
        self.assertEqual(check.status, "fail")
        self.assertFalse(report.isrc_valid)


class ArtworkTests(unittest.TestCase):
    def test_png_and_jpeg_sizes_are_read_from_their_headers(self) -> None:
        for kind in ("PNG", "JPEG"):
            with self.subTest(kind=kind):
                art = measure_artwork(picture(kind, (3000, 2000)), max_pixels=40_000_000)
                self.assertEqual((art.format, art.width_px, art.height_px), (kind, 3000, 2000))
                self.assertIsNone(art.problem)

    def test_other_image_formats_are_not_opened(self) -> None:
        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, format="GIF")
        art = measure_artwork(out.getvalue(), max_pixels=40_000_000)
        self.assertIsNone(art.format)
        self.assertIsNotNone(art.problem)

    def test_huge_declared_size_is_reported_not_decoded(self) -> None:
        # PNG headers claiming 8000 x 8000 (64 MP, past our limit) and 30000 x 30000 pixels
        # (900 MP, past Pillow's own) on a few bytes of data.
        art = measure_artwork(png_header(8000, 8000), max_pixels=40_000_000)
        self.assertEqual((art.width_px, art.height_px), (8000, 8000))
        self.assertIn("too large", art.problem)
        art = measure_artwork(png_header(30000, 30000), max_pixels=40_000_000)
        self.assertIsNone(art.width_px)
        self.assertIn("too large", art.problem)

    def test_a_garbage_picture_is_measured_without_a_size(self) -> None:
        art = measure_artwork(b"\xff\xd8\xff\xe0 not really a jpeg", max_pixels=40_000_000)
        self.assertIsNone(art.width_px)
        self.assertEqual(art.size_bytes, 22)

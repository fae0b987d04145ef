"""Malformed files end in a typed error with a reason, quickly and in bounded memory."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import unittest

import numpy as np
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TIT2, TXXX

from songs.analysis import AnalysisError, Report, analyse, analyse_music
from tests.analysis.signals import encode, encode_m4a, tone

RATE = 44100
SECONDS_ALLOWED = 10.0
MEMORY_ALLOWED = 150 * 1024 * 1024


def song() -> np.ndarray:
    return tone(5, -20, rate=RATE, freq=440.0)


class BadInputTests(unittest.TestCase):
    def outcome(self, data: bytes) -> Report | AnalysisError:
        """Analyse under a stopwatch and a memory tracer; an AnalysisError is returned."""
        tracemalloc.start()
        started = time.perf_counter()
        try:
            result: Report | AnalysisError = analyse(io.BytesIO(data))
        except AnalysisError as error:
            result = error
        finally:
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        self.assertLess(elapsed, SECONDS_ALLOWED)
        self.assertLess(peak, MEMORY_ALLOWED)
        return result

    def assert_error(self, data: bytes, *codes: str) -> AnalysisError:
        result = self.outcome(data)
        self.assertIsInstance(result, AnalysisError)
        self.assertIn(result.code, codes)
        self.assertGreater(len(result.reason), 20)
        self.assertEqual(result.to_dict(), {"error": result.code, "reason": result.reason})
        return result

    def test_an_empty_file_is_refused_as_empty(self) -> None:
        self.assert_error(b"", "empty")

    def test_files_that_are_not_audio_at_all_are_refused(self) -> None:
        self.assert_error(b"just some words " * 100, "not_audio")
        self.assert_error(b"\x89PNG\r\n\x1a\n" + bytes(200), "not_audio")
        self.assert_error(b"%PDF-1.7\n" + bytes(5000), "not_audio")

    def test_format_is_decided_by_content_not_name(self) -> None:
        flac = encode(song(), RATE, fmt="FLAC", subtype="PCM_16")
        report = self.outcome(flac)  # whatever the upload was called
        self.assertEqual(report.format, "flac")

    def test_a_wav_header_without_audio_is_refused(self) -> None:
        wav = encode(song(), RATE, subtype="PCM_16")
        self.assert_error(wav[:44], "no_audio", "truncated")

    def test_a_file_cut_in_half_is_refused_in_every_format(self) -> None:
        cases = {
            "WAV": encode(song(), RATE, subtype="PCM_16"),
            "AIFF": encode(song(), RATE, fmt="AIFF", subtype="PCM_16"),
            "FLAC": encode(song(), RATE, fmt="FLAC", subtype="PCM_16"),
            "MP3": encode(song(), RATE, fmt="MP3", subtype="MPEG_LAYER_III"),
            "OGG": encode(song(), RATE, fmt="OGG", subtype="VORBIS"),
            "M4A": encode_m4a(song(), RATE, codec="aac"),
        }
        for name, data in cases.items():
            with self.subTest(format=name):
                self.assert_error(
                    data[: len(data) // 2],
                    "truncated",
                    "damaged",
                    "no_audio",
                    "unreadable",
                    "not_audio",
                )

    def test_headers_that_lie_about_the_length_are_refused(self) -> None:
        flac = bytearray(encode(song(), RATE, fmt="FLAC", subtype="PCM_16"))
        for hours, codes in ((4, ("too_long",)), (1, ("truncated", "damaged"))):
            # STREAMINFO's total sample count: the low 36 bits of bytes 18..25.
            field = int.from_bytes(flac[18:26], "big")
            field = (field & ~((1 << 36) - 1)) | (hours * 3600 * RATE)
            flac[18:26] = field.to_bytes(8, "big")
            with self.subTest(hours=hours):
                self.assert_error(bytes(flac), *codes)
        wav = bytearray(encode(song(), RATE, subtype="PCM_16"))
        wav[40:44] = struct.pack("<I", 0x7FFFFF00)  # the data chunk claims 2 GB
        self.assert_error(bytes(wav), "too_long", "truncated")

    def test_absurd_channel_counts_are_refused(self) -> None:
        wav = bytearray(encode(song(), RATE, subtype="PCM_16"))
        for channels in (1000, 0):
            wav[22:24] = struct.pack("<H", channels)
            with self.subTest(channels=channels):
                self.assert_error(
                    bytes(wav), "unsupported_channels", "unreadable", "impossible_header"
                )

    def test_impossible_wav_headers_are_refused_with_what_is_wrong(self) -> None:
        wav = encode(song(), RATE, subtype="PCM_16")  # stereo, 16 bits: 4 bytes a frame
        cases = {
            "block align 0": (32, "<H", 0, "0 bytes"),
            "block align 3": (32, "<H", 3, "3 bytes"),
            "bits not matching the block align": (34, "<H", 24, "24-bit"),
            "12 bits": (34, "<H", 12, "12-bit"),
            "0 channels": (22, "<H", 0, "0 channels"),
            "sample rate 0": (24, "<I", 0, "0 Hz"),
        }
        for name, (offset, layout, value, said) in cases.items():
            broken = bytearray(wav)
            broken[offset : offset + struct.calcsize(layout)] = struct.pack(layout, value)
            with self.subTest(header=name):
                error = self.assert_error(bytes(broken), "impossible_header")
                self.assertIn(said, error.reason)
                self.assertIn("export", error.reason.lower())
                with self.assertRaises(AnalysisError) as music:
                    analyse_music(io.BytesIO(bytes(broken)))
                self.assertEqual(music.exception.code, "impossible_header")

    def test_absurd_sample_rates_are_refused(self) -> None:
        wav = bytearray(encode(song(), RATE, subtype="PCM_16"))
        wav[24:28] = struct.pack("<I", 1)
        self.assert_error(bytes(wav), "unsupported_sample_rate")
        aiff = bytearray(encode(song(), RATE, fmt="AIFF", subtype="PCM_16"))
        comm = aiff.find(b"COMM")
        # The 80-bit extended sample rate set to NaN.
        aiff[comm + 16 : comm + 26] = b"\x7f\xff\xc0" + bytes(7)
        self.assert_error(bytes(aiff), "unsupported_sample_rate", "unreadable")

    def test_nan_inf_and_absurd_samples_are_refused_as_invalid(self) -> None:
        for bad in (np.nan, np.inf, -np.inf, 1e30):
            signal = song()
            signal[12345, 1] = bad
            with self.subTest(value=bad):
                self.assert_error(encode(signal, RATE, subtype="FLOAT"), "invalid_samples")

    def test_a_5000_deep_mp4_atom_tree_is_refused_as_not_audio(self) -> None:
        nested = b""
        for _ in range(5000):
            nested = struct.pack(">I", 8 + len(nested)) + b"moov" + nested
        self.assert_error(struct.pack(">I", 16) + b"ftypM4A " + bytes(4) + nested, "not_audio")

    def test_an_id3_tag_claiming_more_than_the_file_is_refused(self) -> None:
        mp3 = encode(song(), RATE, fmt="MP3", subtype="MPEG_LAYER_III")
        self.assert_error(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + mp3, "not_audio")

    def test_huge_tag_frames_are_read_and_cut(self) -> None:
        mp3 = encode(song(), RATE, fmt="MP3", subtype="MPEG_LAYER_III")
        data = io.BytesIO(mp3)
        tags = ID3()
        tags.add(TIT2(encoding=3, text="x" * 5_000_000))
        tags.add(TXXX(encoding=3, desc="notes", text="y" * 3_000_000))
        tags.save(data)
        report = self.outcome(data.getvalue())
        self.assertIsInstance(report, Report)
        self.assertLessEqual(len(report.tags["title"]), 500)
        untagged = analyse(io.BytesIO(mp3))
        self.assertAlmostEqual(report.integrated_lufs, untagged.integrated_lufs, delta=0.01)

    def test_tags_that_are_not_utf8_still_give_a_report(self) -> None:
        # An ID3 UTF-8 text frame holding bytes that are not UTF-8.
        body = b"\x03" + b"Caf\xe9 \xff\xfe"
        frame = b"TIT2" + self.syncsafe(len(body)) + b"\x00\x00" + body
        tag = b"ID3\x04\x00\x00" + self.syncsafe(len(frame)) + frame
        mp3 = encode(song(), RATE, fmt="MP3", subtype="MPEG_LAYER_III")
        report = self.outcome(tag + mp3)
        self.assertIsInstance(report, Report)
        # A Vorbis comment with bytes that are not UTF-8.
        flac_file = io.BytesIO(encode(song(), RATE, fmt="FLAC", subtype="PCM_16"))
        flac = FLAC(flac_file)
        flac["TITLE"] = "QQQQQQ"
        flac_file.seek(0)
        flac.save(flac_file)
        broken = flac_file.getvalue().replace(b"QQQQQQ", b"\xffCaf\xe9\xfe")
        report = self.outcome(broken)
        self.assertIsInstance(report, Report)
        self.assertIn("Caf", report.tags.get("title", "Caf"))

    @staticmethod
    def syncsafe(size: int) -> bytes:
        return bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))

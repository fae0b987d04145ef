"""Every accepted format decodes to the same measurements (lossy ones within reason)."""

from __future__ import annotations

import io
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import numpy as np

from songs.analysis import analyse
from tests.analysis.signals import encode, encode_m4a, faded, join, music, silence, tone

RATE = 44100


def signal() -> np.ndarray:
    # -20 dBFS at 997 Hz reads -20.0 LUFS in stereo; faded so lossy codecs do not ring.
    return faded(tone(6, -20, rate=RATE, freq=997.0), rate=RATE)


class LosslessFormatsTests(unittest.TestCase):
    CASES = (
        ("WAV", "PCM_16", "wav", "pcm_s16", 16),
        ("WAV", "PCM_24", "wav", "pcm_s24", 24),
        ("WAV", "PCM_32", "wav", "pcm_s32", 32),
        ("WAV", "FLOAT", "wav", "pcm_f32", 32),
        ("WAV", "DOUBLE", "wav", "pcm_f64", 64),
        ("RF64", "PCM_24", "wav", "pcm_s24", 24),
        ("AIFF", "PCM_16", "aiff", "pcm_s16", 16),
        ("AIFF", "PCM_24", "aiff", "pcm_s24", 24),
        ("FLAC", "PCM_16", "flac", "flac", 16),
        ("FLAC", "PCM_24", "flac", "flac", 24),
    )

    def test_each_container_and_sample_format_decodes_to_the_same_measures(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            for container, subtype, fmt, codec, bits in self.CASES:
                path = Path(folder) / f"bounce-{subtype}.{fmt}"
                path.write_bytes(encode(signal(), RATE, fmt=container, subtype=subtype))
                with self.subTest(container=container, subtype=subtype), path.open("rb") as f:
                    report = analyse(f)
                    self.assertEqual(report.format, fmt)
                    self.assertEqual(report.codec, codec)
                    self.assertEqual(report.bit_depth, bits)
                    self.assertTrue(report.lossless)
                    self.assertEqual(report.sample_rate, RATE)
                    self.assertEqual(report.channels, 2)
                    self.assertAlmostEqual(report.duration_s, 6.0, places=6)
                    self.assertAlmostEqual(report.integrated_lufs, -20.0, delta=0.02)
                    self.assertAlmostEqual(report.true_peak_dbtp, -20.0, delta=0.05)

    def test_alac_in_m4a_is_decoded_as_lossless_16_bit(self) -> None:
        report = analyse(io.BytesIO(encode_m4a(signal(), RATE, codec="alac")))
        self.assertEqual((report.format, report.codec, report.bit_depth), ("m4a", "alac", 16))
        self.assertTrue(report.lossless)
        self.assertAlmostEqual(report.duration_s, 6.0, places=3)
        self.assertAlmostEqual(report.integrated_lufs, -20.0, delta=0.02)


class LossyFormatsTests(unittest.TestCase):
    def check(self, data: bytes, fmt: str, codec: str) -> None:
        report = analyse(io.BytesIO(data))
        self.assertEqual((report.format, report.codec), (fmt, codec))
        self.assertFalse(report.lossless)
        self.assertIsNone(report.bit_depth)
        self.assertAlmostEqual(report.duration_s, 6.0, delta=0.1)
        self.assertAlmostEqual(report.integrated_lufs, -20.0, delta=0.5)
        self.assertGreater(report.bitrate_kbps, 8)  # a pure tone needs few bits

    def test_an_ogg_vorbis_file_is_decoded_with_its_bit_rate(self) -> None:
        self.check(encode(signal(), RATE, fmt="OGG", subtype="VORBIS"), "ogg", "vorbis")

    def test_an_mp3_is_decoded_with_its_bit_rate(self) -> None:
        self.check(encode(signal(), RATE, fmt="MP3", subtype="MPEG_LAYER_III"), "mp3", "mp3")

    def test_aac_in_m4a_is_decoded_with_its_bit_rate(self) -> None:
        self.check(encode_m4a(signal(), RATE, codec="aac"), "m4a", "aac")

    def test_a_mono_48k_m4a_keeps_its_channels_and_rate(self) -> None:
        mono = faded(tone(4, -20, rate=48000, channels=1, freq=997.0), rate=48000)
        report = analyse(io.BytesIO(encode_m4a(mono, 48000, codec="aac")))
        self.assertEqual((report.channels, report.sample_rate), (1, 48000))
        self.assertAlmostEqual(report.integrated_lufs, -23.0, delta=0.5)


class StreamingEqualsWholeFileTests(unittest.TestCase):
    """Decoding in blocks must give the answers of one block holding the whole file."""

    def test_reports_match_for_any_block_size(self) -> None:
        rate = RATE
        song = join(silence(0.7, rate=rate), music(14, rate=rate), silence(1.3, rate=rate))
        song[rate * 5 : rate * 5 + 9, 0] = 1.0  # one clip
        data = encode(song, rate)
        whole = self.analysed(data, block=len(song) + 1)
        for block in (4096, 65536):
            with self.subTest(block=block):
                streamed = self.analysed(data, block=block)
                for key in (
                    "integrated_lufs",
                    "loudness_range_lu",
                    "momentary_max_lufs",
                    "short_term_max_lufs",
                    "true_peak_dbtp",
                    "sample_peak_dbfs",
                    "correlation",
                    "noise_floor_lufs",
                ):
                    self.assertAlmostEqual(streamed[key], whole[key], delta=1e-3, msg=key)
                for key in ("clipped_samples", "leading_silence_s", "trailing_silence_s"):
                    self.assertEqual(streamed[key], whole[key], msg=key)
                np.testing.assert_allclose(
                    streamed["loudness_curve"]["short_term_lufs"],
                    whole["loudness_curve"]["short_term_lufs"],
                    atol=0.011,
                )

    def analysed(self, data: bytes, *, block: int) -> dict:
        with mock.patch("songs.analysis.decode.BLOCK_FRAMES", block):
            return analyse(io.BytesIO(data)).to_dict()

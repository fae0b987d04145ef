"""The music pass reads the same with scipy's single-precision transforms as with numpy's.

The worker loads scipy.fft (songs.services) and the engine's command does not, so the
same bounce goes through either; they must agree to the digits the report keeps.
"""

from __future__ import annotations

import io
import unittest
from types import ModuleType
from unittest import mock

import numpy as np
import scipy.fft

from songs.analysis import MusicReport, analyse_music, fft
from tests.analysis.signals import encode, music


def measure(signal: np.ndarray, transforms: ModuleType | None) -> MusicReport:
    with mock.patch.object(fft, "_fast", return_value=transforms):
        return analyse_music(io.BytesIO(encode(signal, 44100)))


class FastTransformTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        signal = music(20.0)
        cls.plain = measure(signal, None)
        cls.fast = measure(signal, scipy.fft)

    def test_the_tempo_key_and_tuning_are_the_same(self) -> None:
        self.assertEqual(self.fast.key, self.plain.key)
        assert self.fast.tempo_bpm is not None and self.plain.tempo_bpm is not None
        self.assertAlmostEqual(self.fast.tempo_bpm, self.plain.tempo_bpm, delta=0.01)
        assert self.fast.tuning_cents is not None and self.plain.tuning_cents is not None
        self.assertAlmostEqual(self.fast.tuning_cents, self.plain.tuning_cents, delta=0.1)

    def test_the_band_levels_and_tilt_agree_within_a_hundredth_of_a_db(self) -> None:
        for fast, plain in zip(self.fast.band_levels_db, self.plain.band_levels_db, strict=True):
            assert fast is not None and plain is not None
            self.assertAlmostEqual(fast, plain, delta=0.01)
        assert self.fast.spectral_tilt_db_per_octave is not None
        assert self.plain.spectral_tilt_db_per_octave is not None
        self.assertAlmostEqual(
            self.fast.spectral_tilt_db_per_octave,
            self.plain.spectral_tilt_db_per_octave,
            delta=0.001,
        )

    def test_the_stereo_measures_agree(self) -> None:
        assert self.fast.stereo_width is not None and self.plain.stereo_width is not None
        for band in ("low", "mid", "high"):
            fast, plain = (
                getattr(self.fast.stereo_width, band),
                getattr(self.plain.stereo_width, band),
            )
            assert fast is not None and plain is not None
            self.assertAlmostEqual(fast, plain, delta=1e-3)
        assert self.fast.low_end_correlation is not None
        assert self.plain.low_end_correlation is not None
        self.assertAlmostEqual(
            self.fast.low_end_correlation, self.plain.low_end_correlation, delta=1e-4
        )

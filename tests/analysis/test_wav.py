"""WAV decoded from the bytes reads exactly what libsndfile reads."""

from __future__ import annotations

import io
import unittest

import numpy as np
import soundfile

from songs.analysis.decode import _SoundFileStream, _WavStream, open_stream
from songs.analysis.formats import AudioFormat
from songs.analysis.targets import Targets
from tests.analysis.signals import music

RATE = 44100


class WavDecodeTests(unittest.TestCase):
    def test_every_plain_wav_encoding_decodes_to_libsndfile_s_samples_and_facts(self) -> None:
        signal = music(3.1, rate=RATE)
        signal[100, 0], signal[101, 1] = 1.0, -1.0  # full scale both ways
        for subtype in ("PCM_16", "PCM_24", "PCM_32", "FLOAT"):
            for channels in (1, 2, 6):
                samples = np.tile(signal[:, :1], (1, channels)) * np.linspace(0.2, 1, channels)
                for container in ("WAV", "RF64", "WAVEX"):
                    out = io.BytesIO()
                    soundfile.write(out, samples, RATE, subtype=subtype, format=container)
                    data = out.getvalue()
                    with self.subTest(subtype=subtype, channels=channels, container=container):
                        ours = open_stream(io.BytesIO(data), AudioFormat.WAV, Targets())
                        theirs = _SoundFileStream(io.BytesIO(data), AudioFormat.WAV)
                        self.assertIsInstance(ours, _WavStream)
                        self.assertEqual(ours.info, theirs.info)
                        decoded = np.concatenate([block.copy() for block in ours.blocks()])
                        reference = np.concatenate([block.copy() for block in theirs.blocks()])
                        np.testing.assert_array_equal(decoded, reference)

    def test_a_cut_off_wav_gives_the_whole_frames_that_are_there(self) -> None:
        out = io.BytesIO()
        soundfile.write(out, music(2.0, rate=RATE), RATE, subtype="PCM_24", format="WAV")
        data = out.getvalue()[: 44 + 6 * 1000 + 4]  # 1000 frames and part of the next
        stream = open_stream(io.BytesIO(data), AudioFormat.WAV, Targets())
        self.assertEqual(sum(len(block) for block in stream.blocks()), 1000)
        self.assertEqual(stream.info.declared_frames, 2 * RATE)

"""The report's JSON form (the contract other tools read), its rebuild, and its pictures."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import unittest
from pathlib import Path

import numpy as np
from PIL import Image

from songs.analysis import CONTRACT_KEYS, Report
from songs.analysis.summary import render_text
from songs.analysis.waveform import COLUMNS, PNG_HEIGHT, PNG_WIDTH, PeakCollector, render_png
from tests.analysis.signals import join, music, report_for, silence, tone


class JsonTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.report = report_for(music(12), 44100, stage="mastering")
        cls.silent = report_for(silence(4, rate=44100), 44100)

    def test_contract_keys_are_all_present(self) -> None:
        for report in (self.report, self.silent):
            data = report.to_dict()
            self.assertEqual([key for key in CONTRACT_KEYS if key not in data], [])

    def test_json_has_no_nan_or_infinity(self) -> None:
        for report in (self.report, self.silent):
            json.dumps(report.to_dict(), allow_nan=False)

    def test_silence_is_null_with_a_flag(self) -> None:
        data = self.silent.to_dict()
        for key in ("integrated_lufs", "true_peak_dbtp", "sample_peak_dbfs", "plr_db"):
            self.assertIsNone(data[key])
        self.assertIn("silent", data["flags"])
        self.assertTrue(all(v is None for v in data["loudness_curve"]["short_term_lufs"]))
        self.assertTrue(all(p["gain_db"] is None for p in data["streaming"]))

    def test_rebuilt_report_gives_the_same_json(self) -> None:
        for report in (self.report, self.silent):
            data = json.loads(json.dumps(report.to_dict()))
            rebuilt = Report.from_dict(data)
            self.assertEqual(rebuilt.to_dict(), data)
            self.assertEqual(render_text(rebuilt), render_text(Report.from_dict(data)))

    def test_checks_and_streaming_have_the_contract_shape(self) -> None:
        data = self.report.to_dict()
        check = data["checks"][0]
        self.assertEqual(
            set(check), {"id", "stages", "status", "measured", "target", "unit", "message"}
        )
        self.assertIn(check["status"], ("pass", "warn", "fail"))
        self.assertEqual(
            [p["platform"] for p in data["streaming"]],
            ["Spotify", "Apple Music", "YouTube", "Tidal", "Amazon Music", "Deezer"],
        )

    def test_the_text_summary_names_loudness_checks_and_platforms(self) -> None:
        text = render_text(self.report)
        self.assertIn("LUFS integrated", text)
        self.assertIn("Checks for mastering:", text)
        self.assertIn("Spotify", text)
        self.assertIn("n/a", render_text(self.silent))


class IndependenceTests(unittest.TestCase):
    def test_engine_imports_no_django(self) -> None:
        code = "import sys, songs.analysis; print(any(m.startswith('django') for m in sys.modules))"
        root = Path(__file__).resolve().parents[2]
        finished = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60
        )
        self.assertEqual(finished.stdout.strip(), "False", finished.stderr)


class WaveformTests(unittest.TestCase):
    def test_the_waveform_has_its_columns_peaks_and_png(self) -> None:
        report = report_for(tone(30, -6, rate=44100, freq=100.0), 44100)
        self.assertEqual(len(report.waveform.maxs), COLUMNS)
        self.assertAlmostEqual(report.waveform.seconds_per_column, 30 / COLUMNS, places=3)
        self.assertAlmostEqual(max(report.waveform.maxs), 10 ** (-6 / 20), places=4)
        self.assertAlmostEqual(min(report.waveform.mins), -(10 ** (-6 / 20)), places=4)
        image = Image.open(io.BytesIO(report.waveform_png))
        self.assertEqual((image.format, image.size), ("PNG", (PNG_WIDTH, PNG_HEIGHT)))

    def test_waveform_follows_the_music(self) -> None:
        rate = 44100
        report = report_for(join(silence(5, rate=rate), tone(5, -6, rate=rate)), rate)
        half = len(report.waveform.maxs) // 2
        self.assertEqual(max(report.waveform.maxs[: half - 1]), 0.0)
        self.assertGreater(min(report.waveform.maxs[half + 1 :]), 0.49)

    def test_short_file_has_fewer_columns(self) -> None:
        report = report_for(tone(0.01, -6, rate=44100), 44100)
        self.assertLessEqual(len(report.waveform.maxs), COLUMNS)
        self.assertGreater(len(report.waveform.maxs), 0)

    def test_png_can_be_drawn_from_stored_peaks(self) -> None:
        png = render_png([-0.5, -1.0, 0.0], [0.5, 1.0, 0.0], width=300, height=50)
        self.assertEqual(Image.open(io.BytesIO(png)).size, (300, 50))
        Image.open(io.BytesIO(render_png([], []))).verify()

    def test_collector_is_bounded_and_exact(self) -> None:
        rng = np.random.default_rng(5)
        values = rng.uniform(-1, 1, size=200_003)
        collector = PeakCollector(columns=100)
        for start in range(0, len(values), 777):
            part = values[start : start + 777]
            collector.add(part, part)
            self.assertLessEqual(collector._held, 4 * collector.columns)
        lows, highs = collector.result()
        self.assertEqual(len(highs), 100)
        self.assertAlmostEqual(highs.max(), values.max(), places=6)
        self.assertAlmostEqual(lows.min(), values.min(), places=6)
        self.assertTrue(np.all(lows <= highs))


class LoudnessCurveTests(unittest.TestCase):
    def test_steady_tone_is_a_flat_line(self) -> None:
        report = report_for(tone(20, -23, rate=48000), 48000)
        curve = report.loudness_curve
        self.assertAlmostEqual(curve.step_s, 0.1)
        self.assertEqual(len(curve.short_term_lufs), 171)  # windows ending at 3.0 .. 20.0 s
        self.assertLess(max(abs(value + 23.0) for value in curve.short_term_lufs), 0.1)

    def test_long_file_is_decimated_for_a_chart(self) -> None:
        report = report_for(tone(120, -23, rate=8000), 8000)
        self.assertLessEqual(len(report.loudness_curve.short_term_lufs), 600)
        self.assertAlmostEqual(report.loudness_curve.step_s, 0.2)

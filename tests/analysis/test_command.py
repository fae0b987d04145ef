"""`manage.py analyse_bounce`: the engine on the command line, with settings as targets."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import SimpleTestCase, TestCase, override_settings
from PIL import Image

from songs.analysis import CONTRACT_KEYS, MUSIC_KEYS
from tests.analysis.music_signals import tonal_piece
from tests.analysis.signals import encode, encode_m4a, faded, tone


class AnalyseBounceCommandTests(SimpleTestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)
        self.path = self.folder / "bounce.wav"
        self.path.write_bytes(encode(faded(tone(5, -10, rate=44100), rate=44100), 44100))

    def run_command(self, *args: str) -> str:
        out = io.StringIO()
        call_command("analyse_bounce", *args, stdout=out)
        return out.getvalue()

    def test_json_report_has_the_contract_keys(self) -> None:
        data = json.loads(self.run_command(str(self.path), "--json"))
        self.assertEqual([key for key in CONTRACT_KEYS if key not in data], [])
        self.assertEqual(data["format"], "wav")
        self.assertAlmostEqual(data["integrated_lufs"], -10.0, delta=0.1)

    def test_json_report_has_the_musical_keys_for_every_accepted_format(self) -> None:
        song = tonal_piece(9, True, 8.0, timbre="piano", with_drums=True, bpm=120)
        files = {
            "wav": encode(song, 44100, subtype="PCM_24"),
            "aiff": encode(song, 44100, fmt="AIFF", subtype="PCM_16"),
            "flac": encode(song, 44100, fmt="FLAC", subtype="PCM_16"),
            "ogg": encode(song, 44100, fmt="OGG", subtype="VORBIS"),
            "mp3": encode(song, 44100, fmt="MP3", subtype="MPEG_LAYER_III"),
            "m4a": encode_m4a(song, 44100),
        }
        for fmt, data in files.items():
            with self.subTest(fmt):
                path = self.folder / f"song.{fmt}"
                path.write_bytes(data)
                report = json.loads(self.run_command(str(path), "--json"))
                self.assertEqual([key for key in MUSIC_KEYS if key not in report], [])
                self.assertEqual([key for key in CONTRACT_KEYS if key not in report], [])
                self.assertEqual(report["format"], fmt)
                self.assertAlmostEqual(report["tempo_bpm"], 120.0, delta=120 * 0.04)
                self.assertEqual(report["key"], "A minor")
                self.assertEqual(len(report["band_levels_db"]), 21)

    def test_stage_selects_the_checks(self) -> None:
        data = json.loads(self.run_command(str(self.path), "--json", "--stage", "recording"))
        self.assertEqual(data["stage"], "recording")
        self.assertTrue(all("recording" in check["stages"] for check in data["checks"]))

    def test_without_json_the_command_prints_a_readable_summary(self) -> None:
        text = self.run_command(str(self.path))
        self.assertIn("LUFS integrated", text)
        self.assertIn("Streaming preview:", text)

    def test_the_waveform_option_writes_a_png_picture(self) -> None:
        picture = self.folder / "wave.png"
        self.run_command(str(self.path), "--waveform", str(picture))
        self.assertEqual(Image.open(picture).format, "PNG")

    @override_settings(STAGECOACH_AUDIO_TARGETS={"master_integrated_lufs": -10})
    def test_settings_override_the_targets(self) -> None:
        data = json.loads(self.run_command(str(self.path), "--json", "--stage", "mastering"))
        check = next(check for check in data["checks"] if check["id"] == "integrated_loudness")
        self.assertEqual(check["status"], "pass")
        self.assertIn("-10.0 LUFS", check["target"])

    @override_settings(ANALYSIS_MAX_DURATION_S=2)
    def test_the_longest_audio_setting_limits_the_command_as_it_limits_the_worker(self) -> None:
        with self.assertRaisesRegex(CommandError, "we analyse bounces of up to 0:02"):
            self.run_command(str(self.path), "--json")

    def test_without_a_profile_delivery_is_judged_as_cd_quality(self) -> None:
        data = json.loads(self.run_command(str(self.path), "--json", "--stage", "mastering"))
        check = next(check for check in data["checks"] if check["id"] == "delivery_format")
        self.assertTrue(check["target"].startswith("CD quality: WAV or FLAC"), check["target"])

    @override_settings(STAGECOACH_AUDIO_TARGETS={"loudness_target": -14})
    def test_unknown_setting_is_refused(self) -> None:
        with self.assertRaisesRegex(CommandError, "loudness_target"):
            self.run_command(str(self.path), "--json")

    def test_broken_file_prints_a_json_error_and_fails(self) -> None:
        broken = self.folder / "broken.wav"
        broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
        out = io.StringIO()
        with self.assertRaises(CommandError) as raised:
            call_command("analyse_bounce", str(broken), "--json", stdout=out)
        self.assertNotEqual(raised.exception.returncode, 0)
        error = json.loads(out.getvalue())
        self.assertEqual(set(error), {"error", "reason"})
        self.assertEqual(error["reason"], str(raised.exception))

    def test_a_missing_file_is_reported_as_unopenable(self) -> None:
        out = io.StringIO()
        with self.assertRaises(CommandError):
            call_command("analyse_bounce", str(self.folder / "nope.wav"), "--json", stdout=out)
        self.assertEqual(json.loads(out.getvalue())["error"], "unopenable")

    def test_the_real_command_exits_non_zero_on_a_broken_file(self) -> None:
        broken = self.folder / "broken.mp3"
        broken.write_bytes(b"\xff\xfb" + bytes(100))
        manage = Path(__file__).resolve().parents[2] / "manage.py"
        finished = subprocess.run(
            [sys.executable, str(manage), "analyse_bounce", str(broken), "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertNotEqual(finished.returncode, 0)
        self.assertEqual(json.loads(finished.stdout)["error"], "not_audio")


class AnalyseBounceProfileTests(TestCase):
    def test_a_named_delivery_profile_decides_the_delivery_check(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "master.wav"
            path.write_bytes(encode(faded(tone(5, -10, rate=44100), rate=44100), 44100))
            out = io.StringIO()
            call_command(
                "analyse_bounce",
                str(path),
                "--json",
                "--stage",
                "mastering",
                "--profile",
                "Hi-res",
                stdout=out,
            )
        check = next(
            c for c in json.loads(out.getvalue())["checks"] if c["id"] == "delivery_format"
        )
        self.assertEqual(check["status"], "fail")
        self.assertIn("export at 96 kHz or more", check["message"])

    def test_an_unknown_profile_is_refused_with_the_known_ones(self) -> None:
        with self.assertRaisesRegex(CommandError, "No delivery profile is called 'Vinyl'.*Hi-res"):
            call_command("analyse_bounce", "x.wav", "--profile", "Vinyl", stdout=io.StringIO())

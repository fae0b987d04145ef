"""`python -m songs.analysis`: the engine's own command, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from songs.analysis import CONTRACT_KEYS, MUSIC_KEYS
from tests.analysis.signals import encode, faded, tone

ROOT = Path(__file__).resolve().parents[2]
RATE = 44100
# Runs the command's module as `-m` does, then says which of the heavy packages it loaded.
PROBE = """
import runpy, sys
sys.argv = ["songs.analysis", *sys.argv[1:]]
try:
    runpy.run_module("songs.analysis", run_name="__main__", alter_sys=True)
except SystemExit as done:
    code = done.code
print(sorted(name for name in ("django", "celery", "av", "scipy") if name in sys.modules),
      code, file=sys.stderr)
"""


class EngineCommandTests(unittest.TestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.path = Path(folder.name) / "bounce.wav"
        self.path.write_bytes(encode(faded(tone(5, -10, rate=RATE), rate=RATE), RATE))

    def run_command(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        return subprocess.run(
            [sys.executable, "-m", "songs.analysis", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )

    def test_the_json_report_holds_the_loudness_report_and_the_musical_pass(self) -> None:
        done = self.run_command(str(self.path), "--json", "--stage", "mastering")
        self.assertEqual(done.returncode, 0, done.stderr)
        data = json.loads(done.stdout)
        self.assertEqual([key for key in (*CONTRACT_KEYS, *MUSIC_KEYS) if key not in data], [])
        self.assertAlmostEqual(data["integrated_lufs"], -10.0, delta=0.1)
        self.assertEqual(data["stage"], "mastering")

    def test_the_text_report_names_loudness_and_key(self) -> None:
        done = self.run_command(str(self.path))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("LUFS integrated", done.stdout)
        self.assertIn("Key", done.stdout)

    def test_targets_given_as_json_change_the_verdict(self) -> None:
        targets = json.dumps({"master_integrated_lufs": -10})
        done = self.run_command(
            str(self.path), "--json", "--stage", "mastering", "--targets", targets
        )
        checks = {check["id"]: check for check in json.loads(done.stdout)["checks"]}
        self.assertEqual(checks["integrated_loudness"]["status"], "pass")

    def test_a_file_it_cannot_analyse_exits_2_with_the_reason(self) -> None:
        self.path.write_bytes(b"not audio at all " * 100)
        done = self.run_command(str(self.path), "--json")
        self.assertEqual(done.returncode, 2)
        self.assertEqual(json.loads(done.stdout)["error"], "not_audio")
        self.assertIn("not audio", done.stderr)

    def test_the_command_loads_neither_django_nor_celery(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(self.path), "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )
        self.assertEqual(done.stderr.strip().splitlines()[-1], "[] 0")

"""The README's first command, minus the server: migrate and seed on a fresh SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class EmbeddedDefaultTests(unittest.TestCase):
    def manage(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def test_migrate_and_seed_demo_run_twice_on_sqlite(self) -> None:
        with tempfile.TemporaryDirectory() as workdir:
            env = {
                k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))
            }
            env |= {
                "DATABASE_URL": f"sqlite:///{workdir}/db.sqlite3",
                "DJANGO_MEDIA_ROOT": f"{workdir}/media",
            }
            migrate = self.manage("migrate", "--no-input", env=env)
            self.assertEqual(migrate.returncode, 0, migrate.stderr)
            first = self.manage("seed_demo", env=env)
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertIn("7 songs added", first.stdout)
            self.assertIn("ada", first.stdout)
            second = self.manage("seed_demo", env=env)
            self.assertEqual(second.returncode, 0, second.stderr)
            self.assertIn("0 songs added", second.stdout)
            counts = self.manage(
                "shell",
                "-c",
                "from songs.models import Song, Bounce; from coaching.models import User; "
                "print(Song.objects.count(), Bounce.objects.count(), User.objects.count(), "
                "Bounce.objects.filter(analysis_state='done').count())",
                env=env,
            )
            # Tasks run in-process: every demo bounce is analysed by the time seeding ends.
            self.assertEqual(counts.stdout.split()[-4:], ["7", "9", "7", "9"])
            self.assertEqual(len(list(Path(workdir, "media", "bounces").rglob("*.*"))), 9)
            self.assertEqual(len(list(Path(workdir, "media", "waveforms").rglob("*.png"))), 9)

    def test_seed_demo_refuses_with_debug_off(self) -> None:
        env = {
            **os.environ,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "x" * 50,
            "DATABASE_URL": "sqlite:///:memory:",
        }
        result = self.manage("seed_demo", env=env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DEBUG is off", result.stderr)

"""The README's first command, minus the server: migrate and seed on a fresh SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


MATRIX_ON_SQLITE = """
from django.utils import timezone
from coaching import progress
from coaching.models import Cohort, Membership
from songs.models import Song
now = timezone.now()
for cohort in Cohort.objects.all():
    students = Membership.objects.filter(cohort=cohort, role="student")
    for sort in ("name", "progress", "activity"):
        for only in ("", "inactive", "late", "waiting"):
            for query in ("", "a", "%", "e"):
                # Inactive for a day less than none: everybody, since the cutoff is ahead.
                shown = progress.progress(
                    cohort, today=now.date(), now=now, inactive_days=-1,
                    sort=sort, only=only, query=query, per_page=2,
                )
                if only == "inactive" and not query:
                    assert shown.shown_students == students.count(), shown.shown_students
                if only or not query:
                    continue
                names = {
                    m.user_id for m in students.select_related("user")
                    if query.lower() in (m.user.display_name + m.user.email).lower()
                }
                assert shown.shown_students == len(names), (query, shown.shown_students)
                pages = [
                    progress.progress(
                        cohort, today=now.date(), now=now, inactive_days=14,
                        sort=sort, query=query, page=n, per_page=2,
                    )
                    for n in range(1, shown.page.paginator.num_pages + 1)
                ]
                seen = [r.student.pk for p in pages for r in p.rows if r.first_of_student]
                assert sorted(seen) == sorted(names), (sort, query, seen, names)
                songs = [r.song.pk for p in pages for r in p.rows if r.song]
                expected = Song.objects.filter(cohort=cohort, owner_id__in=names)
                assert sorted(songs) == sorted(s.pk for s in expected), (sort, query, songs)
print("matrix-ok")
"""


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

            # The matrix's statements in SQLite's dialect (keys as one JSON parameter, LIMIT
            # and OFFSET as parameters, a search's LIKE pattern, a datetime), against what
            # the ORM finds itself.
            matrix = self.manage("shell", "-c", MATRIX_ON_SQLITE, env=env)
            self.assertEqual(matrix.returncode, 0, matrix.stderr)
            self.assertEqual(matrix.stdout.split()[-1], "matrix-ok", matrix.stdout)

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

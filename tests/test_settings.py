"""Settings come from the environment only; a fresh checkout runs on embedded defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_settings(env: dict[str, str], *names: str) -> subprocess.CompletedProcess:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: str(getattr(settings, n)) for n in {list(names)!r}}}))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "STAGECOACH_"))
    }
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


class SettingsTests(unittest.TestCase):
    def test_with_no_environment_the_embedded_defaults_apply(self) -> None:
        result = read_settings(
            {},
            "DEBUG",
            "DATABASES",
            "CELERY_TASK_ALWAYS_EAGER",
            "EMAIL_BACKEND",
            "MEDIA_ROOT",
            "BOUNCE_MAX_UPLOAD_BYTES",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('"DEBUG": "True"', result.stdout)
        self.assertIn("sqlite3", result.stdout)
        self.assertIn('"CELERY_TASK_ALWAYS_EAGER": "True"', result.stdout)
        self.assertIn("console.EmailBackend", result.stdout)
        self.assertIn(str(ROOT / "media"), result.stdout)
        self.assertIn(str(250 * 1024 * 1024), result.stdout)

    def test_values_come_from_the_environment(self) -> None:
        result = read_settings(
            {
                "DJANGO_DEBUG": "false",
                "DJANGO_SECRET_KEY": "s" * 50,
                "DJANGO_ALLOWED_HOSTS": "stagecoach.example, www.stagecoach.example",
                "DATABASE_URL": "postgres://u:p@db:5432/stagecoach",
                "CELERY_BROKER_URL": "redis://redis:6379/0",
                "DJANGO_MEDIA_ROOT": "/srv/media",
                "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "STAGECOACH_MAX_UPLOAD_MB": "100",
            },
            "DEBUG",
            "ALLOWED_HOSTS",
            "DATABASES",
            "CELERY_BROKER_URL",
            "CELERY_TASK_ALWAYS_EAGER",
            "MEDIA_ROOT",
            "EMAIL_BACKEND",
            "BOUNCE_MAX_UPLOAD_BYTES",
            "SESSION_COOKIE_SECURE",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout
        self.assertIn('"DEBUG": "False"', out)
        self.assertIn("stagecoach.example", out)
        self.assertIn("'HOST': 'db'", out)
        self.assertIn('"CELERY_TASK_ALWAYS_EAGER": "False"', out)
        self.assertIn("/srv/media", out)
        self.assertIn("smtp.EmailBackend", out)
        self.assertIn(str(100 * 1024 * 1024), out)
        self.assertIn('"SESSION_COOKIE_SECURE": "True"', out)

    def test_production_refuses_to_start_without_a_secret_key(self) -> None:
        result = read_settings({"DJANGO_DEBUG": "0"}, "DEBUG")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DJANGO_SECRET_KEY must be set", result.stderr)

    def test_a_malformed_value_names_its_variable(self) -> None:
        result = read_settings({"STAGECOACH_MAX_UPLOAD_MB": "lots"}, "DEBUG")
        self.assertIn("STAGECOACH_MAX_UPLOAD_MB must be a whole number", result.stderr)
        result = read_settings({"DJANGO_DEBUG": "maybe"}, "DEBUG")
        self.assertIn("DJANGO_DEBUG must be true or false", result.stderr)


class AudioTargetSettingsTests(unittest.TestCase):
    def check(self, targets: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "STAGECOACH_AUDIO_TARGETS": targets, "DATABASE_URL": "sqlite://"}
        return subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )

    def test_a_valid_override_passes_the_system_check(self) -> None:
        result = self.check('{"master_integrated_lufs": -16}')
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_an_unknown_target_stops_the_system_check(self) -> None:
        result = self.check('{"master_loudness": -16}')
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("stagecoach.E001", result.stderr)

    def test_malformed_json_names_the_variable(self) -> None:
        result = self.check("{-16")
        self.assertIn("STAGECOACH_AUDIO_TARGETS is not valid JSON", result.stderr)


class LimitSettingsTests(unittest.TestCase):
    LIMITS = (
        "SESSION_COOKIE_AGE",
        "STUDENT_QUOTA_BYTES",
        "UPLOADS_PER_HOUR",
        "PASSWORD_RESETS_PER_ADDRESS_PER_HOUR",
        "PASSWORD_RESETS_PER_CLIENT_PER_HOUR",
    )

    def limits(self, env: dict[str, str]) -> tuple[dict[str, int], str]:
        """The limits as numbers, and the CACHES setting as text, under `env`."""
        result = read_settings(env, *self.LIMITS, "CACHES")
        self.assertEqual(result.returncode, 0, result.stderr)
        values = json.loads(result.stdout)
        return {name: int(values[name]) for name in self.LIMITS}, values["CACHES"]

    def test_limits_quota_session_and_cache_have_embedded_defaults(self) -> None:
        limits, caches = self.limits({})
        self.assertEqual(
            limits,
            {
                "SESSION_COOKIE_AGE": 14 * 24 * 3600,
                "STUDENT_QUOTA_BYTES": 2048 * 1024 * 1024,
                "UPLOADS_PER_HOUR": 60,
                "PASSWORD_RESETS_PER_ADDRESS_PER_HOUR": 3,
                "PASSWORD_RESETS_PER_CLIENT_PER_HOUR": 20,
            },
        )
        self.assertIn("LocMemCache", caches)

    def test_limits_quota_session_and_cache_come_from_the_environment(self) -> None:
        limits, caches = self.limits(
            {
                "STAGECOACH_SESSION_DAYS": "2",
                "STAGECOACH_STUDENT_QUOTA_MB": "500",
                "STAGECOACH_UPLOADS_PER_HOUR": "10",
                "STAGECOACH_RESETS_PER_ADDRESS_PER_HOUR": "1",
                "STAGECOACH_RESETS_PER_CLIENT_PER_HOUR": "5",
                "STAGECOACH_CACHE_URL": "redis://redis:6379/1",
            }
        )
        self.assertEqual(
            limits,
            {
                "SESSION_COOKIE_AGE": 2 * 24 * 3600,
                "STUDENT_QUOTA_BYTES": 500 * 1024 * 1024,
                "UPLOADS_PER_HOUR": 10,
                "PASSWORD_RESETS_PER_ADDRESS_PER_HOUR": 1,
                "PASSWORD_RESETS_PER_CLIENT_PER_HOUR": 5,
            },
        )
        self.assertIn("django.core.cache.backends.redis.RedisCache", caches)
        self.assertIn("redis://redis:6379/1", caches)

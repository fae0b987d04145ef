"""The production files agree with the settings they feed (the machine that runs these
tests has no Docker engine, so the compose file itself is checked as data)."""

from __future__ import annotations

import re
import unittest
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (ROOT / "config" / "settings.py").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
POSTGRES_IMAGE_VARIABLES = {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"}


class ComposeTests(unittest.TestCase):
    def test_compose_runs_the_production_shape_with_health_checks(self) -> None:
        services = COMPOSE["services"]
        self.assertLessEqual({"db", "redis", "migrate", "web", "worker", "beat"}, set(services))
        for name in ("db", "redis", "web", "worker"):
            self.assertIn("healthcheck", services[name], name)
        self.assertIn("gunicorn", Path(ROOT / "Dockerfile").read_text())
        self.assertEqual(services["worker"]["command"][:4], ["celery", "-A", "config", "worker"])
        self.assertEqual(services["beat"]["command"][:4], ["celery", "-A", "config", "beat"])
        self.assertEqual(set(COMPOSE["volumes"]), {"pgdata", "objects"})

    def test_web_and_workers_keep_media_in_the_object_store_not_on_a_volume(self) -> None:
        services = COMPOSE["services"]
        self.assertIn("healthcheck", services["object-storage"])
        for name in ("web", "worker", "beat", "migrate"):
            service = services[name]
            self.assertNotIn("volumes", service, name)
            self.assertNotIn("DJANGO_MEDIA_ROOT", service["environment"], name)
            self.assertIn(
                "object-storage:9000", service["environment"]["STAGECOACH_S3_ENDPOINT_URL"]
            )
            self.assertTrue(service["environment"]["STAGECOACH_S3_BUCKET"], name)

    def test_every_variable_compose_sets_is_read_by_the_settings(self) -> None:
        environment = COMPOSE["services"]["web"]["environment"]
        self.assertEqual(environment["DJANGO_DEBUG"], "false")
        for name in environment:
            self.assertIn(f'"{name}"', SETTINGS, f"{name} is set but nothing reads it")

    def test_the_example_env_file_names_only_known_variables(self) -> None:
        compose_text = (ROOT / "docker-compose.yml").read_text()
        for line in (ROOT / ".env.example").read_text().splitlines():
            if not line or line.startswith("#"):
                continue
            name = line.split("=", 1)[0]
            known = f'"{name}"' in SETTINGS or name in POSTGRES_IMAGE_VARIABLES
            self.assertTrue(known and re.search(rf"\b{name}\b", compose_text), name)

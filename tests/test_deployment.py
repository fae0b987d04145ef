"""The production files agree with the settings they feed (the machine that runs these
tests has no Docker engine, so the compose file itself is checked as data)."""

from __future__ import annotations

import re
import unittest
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (ROOT / "config" / "settings.py").read_text()
NGINX_START = (ROOT / "deploy" / "nginx" / "start").read_text()
# What deploy/nginx/start reads from the environment (`: "${NAME:=default}"`).
NGINX_VARIABLES = set(re.findall(r'^: "\$\{(\w+):=', NGINX_START, re.MULTILINE))
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
POSTGRES_IMAGE_VARIABLES = {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"}


class ComposeTests(unittest.TestCase):
    def test_compose_runs_the_production_shape_with_health_checks(self) -> None:
        services = COMPOSE["services"]
        self.assertLessEqual({"db", "redis", "migrate", "web", "worker", "beat"}, set(services))
        for name in ("db", "redis", "web", "worker"):
            self.assertIn("healthcheck", services[name], name)
        self.assertIn("gunicorn", Path(ROOT / "Dockerfile").read_text())
        # Beside the web processes, the analyses take the CPU the pages leave.
        self.assertEqual(
            services["worker"]["command"][:7],
            ["nice", "-n", "10", "celery", "-A", "config", "worker"],
        )
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
            known = (
                f'"{name}"' in SETTINGS
                or name in POSTGRES_IMAGE_VARIABLES
                or name in NGINX_VARIABLES
            )
            self.assertTrue(known and re.search(rf"\b{name}\b", compose_text), name)


class FrontServerDeploymentTests(unittest.TestCase):
    def test_compose_puts_nginx_in_front_and_publishes_no_gunicorn_port(self) -> None:
        services = COMPOSE["services"]
        self.assertNotIn("ports", services["web"])
        self.assertEqual(services["nginx"]["ports"], ["80:8080", "443:8443"])
        self.assertEqual(services["nginx"]["build"]["dockerfile"], "deploy/nginx/Dockerfile")
        dockerfile = (ROOT / "deploy" / "nginx" / "Dockerfile").read_text()
        self.assertIn('CMD ["/bin/sh", "/etc/stagecoach/nginx/start"]', dockerfile)
        # Media is in the bucket, streamed by the app through nginx: no media on its disk.
        self.assertEqual(services["nginx"]["volumes"], ["./tls:/etc/stagecoach/tls:ro"])

    def test_the_nginx_service_sets_only_what_its_start_script_reads(self) -> None:
        for name in COMPOSE["services"]["nginx"]["environment"]:
            self.assertIn(name, NGINX_VARIABLES, f"{name} is set but deploy/nginx/start ignores it")

    def test_the_front_server_and_the_app_agree_on_the_media_and_upload_settings(self) -> None:
        app = COMPOSE["services"]["web"]["environment"]
        front = COMPOSE["services"]["nginx"]["environment"]
        for name in ("STAGECOACH_MAX_UPLOAD_MB", "STAGECOACH_VOICE_MAX_MB"):
            self.assertEqual(front[name], app[name], name)
        # With media in a bucket the app streams it; X-Accel-Redirect needs it on disk.
        self.assertTrue(app["STAGECOACH_S3_BUCKET"])
        self.assertEqual(app["STAGECOACH_MEDIA_SERVE"], "django")

    def test_the_front_servers_cover_limit_is_the_apps_own(self) -> None:
        from songs.release import artwork

        cover_mb = int(re.search(r"^COVER_MAX_MB=(\d+)$", NGINX_START, re.MULTILINE)[1])
        self.assertEqual(cover_mb * 1024 * 1024, artwork.MAX_UPLOAD_BYTES)

"""Security headers, production settings and login throttling."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import unittest
from pathlib import Path

from django.test import override_settings

from tests.base import BaseTestCase, audio_bytes, store_bounce

ROOT = Path(__file__).resolve().parents[2]


class ContentSecurityPolicyTests(BaseTestCase):
    def test_pages_send_a_strict_policy_with_a_script_nonce(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get("/")
        policy = response["Content-Security-Policy"]
        for directive in [
            "default-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "style-src 'self' 'nonce-",
            "form-action 'self'",
        ]:
            self.assertIn(directive, policy)
        nonce = policy.split("'nonce-")[1].split("'")[0]
        self.assertContains(response, f'nonce="{nonce}"')
        self.assertNotIn("unsafe-inline", policy)
        self.assertNotIn("unsafe-eval", policy)

    def test_templates_carry_no_inline_handlers_scripts_or_styles(self) -> None:
        import re

        for template in (ROOT / "templates").rglob("*.html"):
            text = template.read_text()
            handler = re.search(r"<[^>]*\son[a-z]+\s*=\s*[\"']", text)
            self.assertIsNone(handler, f"event handler in {template}")
            self.assertNotIn(" style=", text, f"inline style in {template}")
            self.assertIsNone(
                re.search(r"<script(?![^>]*\bsrc=)", text), f"inline script in {template}"
            )

    def test_media_keeps_its_own_sandboxing_policy(self) -> None:
        record = self.started("recording")
        bounce = store_bounce(record, audio_bytes("WAV", 1.0))
        self.client.force_login(self.alice)
        response = self.client.get(f"/bounces/{bounce.pk}/audio/")
        self.assertEqual(response["Content-Security-Policy"], "default-src 'none'; sandbox")

    def test_pages_send_frame_sniffing_and_referrer_headers(self) -> None:
        response = self.client.get("/accounts/login/")
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["Referrer-Policy"], "same-origin")


class LoginThrottlingTests(BaseTestCase):
    def test_repeated_failures_lock_the_username_with_a_clear_message(self) -> None:
        for _ in range(5):
            self.client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        response = self.client.post(
            "/accounts/login/", {"username": "alice", "password": "password-alice"}
        )
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Too many failed log-ins", status_code=429)
        # Another student on the same network is not locked out.
        response = self.client.post(
            "/accounts/login/", {"username": "carol", "password": "password-carol"}
        )
        self.assertRedirects(response, "/")

    @override_settings(AXES_ENABLED=False)
    def test_throttling_can_be_switched_off(self) -> None:
        for _ in range(6):
            self.client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        response = self.client.post(
            "/accounts/login/", {"username": "alice", "password": "password-alice"}
        )
        self.assertRedirects(response, "/")


class DeployCheckTests(unittest.TestCase):
    def test_check_deploy_is_clean_with_the_production_environment(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
        env |= {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "stagecoach.example",
            "DATABASE_URL": "sqlite://",
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no issues", result.stdout)

"""Script and HTML typed into every user-text field come back as text on every page and
htmx fragment that shows them."""

from __future__ import annotations

from django.db import models

from coaching.models import Activity, Cohort, Comment, Notification, Review, Snippet, User
from songs.models import Bounce, Song
from stages.models import CoreAction, Stage, StageRecord
from tests.base import HTMX
from tests.security.test_permission_matrix import (
    ADMIN,
    COACH,
    OWNER,
    RULES,
    MatrixTestCase,
)
from tests.world import url_names

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)><b>bold</b>'
DANGER = ["<script>alert(", "<img src=x", "<b>bold"]
# Identifiers, codes and choices: not free text, validated elsewhere.
NOT_FREE_TEXT = {
    "username",
    "email",
    "password",
    "key",
    "sha256",
    "slug",
    "check_id",
    "verb",
    "url",
    "audio_format",
    "status",
    "role",
    "kind",
    "verdict",
    "mark",
    "analysis_state",
    "analysis_task_id",
    "file",
    "waveform",
    "isrc",
    "request_key",
    "artwork",
    "thumbnail",
    "artwork_format",
    "analysis_error",
}


def fill_text_fields(instance: models.Model) -> None:
    changed = []
    for field in instance._meta.concrete_fields:
        if (
            isinstance(field, models.CharField | models.TextField)
            and not field.choices
            and field.name not in NOT_FREE_TEXT
            and not field.unique
        ):
            value = PAYLOAD if not field.max_length else PAYLOAD[: field.max_length]
            setattr(instance, field.name, value)
            changed.append(field.name)
    if changed:
        type(instance).objects.filter(pk=instance.pk).update(
            **{name: getattr(instance, name) for name in changed}
        )


class SafeRenderingTests(MatrixTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.review = Review.objects.create(
            record=self.submitted,
            round=1,
            coach=self.bob,
            verdict="changes_requested",
            summary="s",
            coach_balance=1,
            balance_comment="c",
            self_balance=0,
        )
        Comment.objects.create(
            record=self.submitted, author=self.alice, body="b", parent=self.comment
        )
        Comment.objects.create(record=self.submitted, author=self.bob, body="stage-wide")
        for model in (
            User,
            Cohort,
            Song,
            StageRecord,
            Bounce,
            Comment,
            Review,
            Snippet,
            Notification,
            Activity,
            Stage,
            CoreAction,
        ):
            for instance in model.objects.all():
                fill_text_fields(instance)

    def assert_safe(self, response, where: str) -> None:
        if not response.get("Content-Type", "").startswith("text/html"):
            return
        body = response.content.decode()
        for danger in DANGER:
            self.assertNotIn(danger, body, where)

    def test_every_page_and_fragment_shows_user_text_as_text(self) -> None:
        shown = 0
        for name in url_names():
            methods, allowed = RULES[name]
            if "GET" not in methods:
                continue
            url = self.reverse(name)
            for kind in (OWNER, COACH, ADMIN):
                if kind not in allowed:
                    continue
                self.client.force_login(self.users[kind])
                for headers in ({}, HTMX):
                    response = self.client.get(url, headers=headers)
                    if response.status_code == 200 and "text/html" in response["Content-Type"]:
                        shown += "&lt;script&gt;" in response.content.decode()
                    self.assert_safe(response, f"{name} as {kind} {headers}")
        self.assertGreater(shown, 20, "the payload should show (escaped) on many pages")

    def test_fragments_returned_after_a_change_escape_user_text(self) -> None:
        record_url = f"/songs/{self.song.pk}/stages/mastering/"
        recording = self.record("mastering")
        recording.start()
        fill_text_fields(recording)
        self.client.force_login(self.alice)
        action = recording.stage.core_actions.first()
        for url, data in [
            (record_url + f"actions/{action.pk}/", {"done": "on"}),
            (record_url + "balance/", {"self_balance": "2"}),
            (record_url + "journal/", {"journal": PAYLOAD}),
            (
                f"/records/{self.submitted.pk}/comments/",
                {"body": PAYLOAD, "bounce": self.bounce.pk},
            ),
            (f"/records/{self.submitted.pk}/comments/", {"body": PAYLOAD}),
            (f"/comments/{self.comment.pk}/resolve/", {"resolved": "1", "bounce": self.bounce.pk}),
        ]:
            response = self.client.post(url, data, headers=HTMX)
            self.assertEqual(response.status_code, 200, url)
            self.assert_safe(response, url)
        self.client.force_login(self.bob)
        response = self.client.post(f"/coach/review/{self.submitted.pk}/", {"summary": PAYLOAD})
        self.assert_safe(response, "review form errors")
        self.assertIn("&lt;script&gt;", response.content.decode())

    def reverse(self, name: str) -> str:
        from django.urls import reverse

        return reverse(name, kwargs=self.kwargs(name))

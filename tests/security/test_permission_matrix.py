"""Every URL x every kind of user x its methods, against the expected answer.

The URL list comes from the URL configuration itself: a new URL that nobody classified
below makes this test fail. Answers: "ok" (any 2xx, or a redirect that is not to the
log-in page), "login" (a redirect to log in), 404, 405, 410. Each request runs in a
savepoint that is rolled back, so one user's POST cannot change what the next one meets.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from coaching.models import Comment, Invite, Membership, Notification, Role, Snippet
from songs import services
from songs.release import artwork
from tests.base import BaseTestCase, audio_bytes, store_bounce, voice_bytes

ANON, OWNER, PEER, OUTSIDER, COACH, OTHER_COACH, ADMIN = (
    "anonymous",
    "owner",
    "peer",
    "outsider",
    "coach",
    "other coach",
    "admin",
)
KINDS = [ANON, OWNER, PEER, OUTSIDER, COACH, OTHER_COACH, ADMIN]
LOGGED_IN = {OWNER, PEER, OUTSIDER, COACH, OTHER_COACH, ADMIN}
SEES_SONG = {OWNER, COACH, ADMIN}
COACHES = {COACH, OTHER_COACH, ADMIN}
PUBLIC = set(KINDS)

# name: (methods the view answers, who gets "ok"; everyone else logged in gets 404 and
# the anonymous visitor is sent to log in, unless the URL is public)
Rule = tuple[tuple[str, ...], set[str]]
RULES: dict[str, Rule] = {
    "songs:home": (("GET",), LOGGED_IN),
    "songs:new": (("GET", "POST"), LOGGED_IN),
    "songs:detail": (("GET",), SEES_SONG),
    "songs:edit": (("GET", "POST"), {OWNER}),
    "songs:upload_artwork": (("POST",), {OWNER}),
    "songs:artwork": (("GET",), SEES_SONG),
    "songs:artwork_thumbnail": (("GET",), SEES_SONG),
    "songs:release_details": (("GET", "POST"), {OWNER}),
    "songs:readiness": (("GET",), SEES_SONG),
    "songs:release": (("POST",), {OWNER}),
    "songs:archive": (("POST",), {OWNER}),
    "songs:retrospective": (("GET", "POST"), {OWNER}),
    "songs:dossier": (("GET",), SEES_SONG),
    "songs:dossier_json": (("GET",), SEES_SONG),
    "songs:bounce": (("GET",), SEES_SONG),
    "songs:compare": (("GET",), SEES_SONG),
    "songs:bounce_analysis": (("GET",), SEES_SONG),
    "songs:reanalyse": (("POST",), {COACH, ADMIN}),
    "songs:hide_bounce": (("POST",), {OWNER}),
    "songs:bounce_waveform": (("GET",), SEES_SONG),
    "songs:bounce_peaks": (("GET",), SEES_SONG),
    "songs:bounce_audio": (("GET",), SEES_SONG),
    "songs:bounce_download": (("GET",), SEES_SONG),
    "stages:record": (("GET",), SEES_SONG),
    "stages:tick": (("POST",), {OWNER}),
    "stages:journal": (("POST",), {OWNER}),
    "stages:balance": (("POST",), {OWNER}),
    "stages:start": (("POST",), {OWNER}),
    "stages:submit": (("POST",), {OWNER}),
    "stages:reopen": (("POST",), {OWNER}),
    "songs:upload": (("POST",), {OWNER}),
    "coaching:queue": (("GET",), COACHES),
    "coaching:review": (("GET", "POST"), {COACH, ADMIN}),
    "coaching:review_blocking": (("GET",), {COACH, ADMIN}),
    "coaching:review_draft": (("POST",), {COACH, ADMIN}),
    "coaching:snippets": (("GET", "POST"), COACHES),
    "coaching:delete_snippet": (("POST",), {COACH}),
    "coaching:add_comment": (("POST",), SEES_SONG),
    "coaching:resolve_comment": (("POST",), SEES_SONG),
    "coaching:comment_voice": (("GET",), SEES_SONG),
    "coaching:notifications": (("GET",), LOGGED_IN),
    "coaching:bell": (("GET",), LOGGED_IN),
    "coaching:open_notification": (("GET",), {OWNER}),
    "coaching:read_all": (("POST",), LOGGED_IN),
    "coaching:tendencies": (("GET",), SEES_SONG),
    # Coaches and admins pick a student; a student is sent on to their own page.
    "coaching:tendencies_people": (("GET",), LOGGED_IN),
    "coaching:cohorts": (("GET",), COACHES),
    "coaching:cohort_new": (("GET", "POST"), {ADMIN}),
    "coaching:cohort": (("GET",), {COACH, ADMIN}),
    "coaching:cohort_edit": (("GET", "POST"), {ADMIN}),
    "coaching:cohort_archive": (("POST",), {ADMIN}),
    "coaching:cohort_duplicate": (("GET", "POST"), {ADMIN}),
    "coaching:invite_create": (("POST",), {ADMIN}),
    "coaching:invite_revoke": (("POST",), {ADMIN}),
    "coaching:cohort_import": (("GET", "POST"), {ADMIN}),
    "coaching:coach_add": (("POST",), {ADMIN}),
    "coaching:member_remove": (("POST",), {ADMIN}),
    "coaching:member_move": (("POST",), {ADMIN}),
    "coaching:progress": (("GET",), {COACH, ADMIN}),
    "coaching:analytics": (("GET",), {COACH, ADMIN}),
    "coaching:export": (("GET",), {COACH, ADMIN}),
    # Public pages: anyone, logged in or not.
    "coaching:join": (("GET", "POST"), PUBLIC),
    "login": (("GET", "POST"), PUBLIC),
    "logout": (("POST",), PUBLIC),
    "password_reset": (("GET", "POST"), PUBLIC),
    "password_reset_done": (("GET",), PUBLIC),
    "password_reset_confirm": (("GET",), PUBLIC),
    "password_reset_complete": (("GET",), PUBLIC),
    "password_change": (("GET", "POST"), LOGGED_IN),
    "password_change_done": (("GET",), LOGGED_IN),
}
# Logging out sends everyone to the log-in page: that is its success.
EXPECTED_OVERRIDES = {"logout": "login"}
# Django's own form views treat PUT like POST; their methods are Django's business.
DJANGO_FORM_VIEWS = {"login", "password_change", "password_reset", "password_reset_confirm"}


def url_routes() -> dict[str, str]:
    """Every named URL of the project and its route (Django's admin aside: it has its own
    checks)."""

    def walk(patterns: list, namespace: str | None, prefix: str) -> dict[str, str]:
        routes: dict[str, str] = {}
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith("admin"):
                    continue
                routes |= walk(
                    pattern.url_patterns,
                    pattern.namespace or namespace,
                    prefix + str(pattern.pattern),
                )
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                routes[name] = prefix + str(pattern.pattern)
        return routes

    return walk(get_resolver().url_patterns, None, "")


def url_names() -> list[str]:
    return list(url_routes())


def png(size: int = 1400) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


@override_settings(AXES_ENABLED=False)
class MatrixTestCase(BaseTestCase):
    """One of everything, for every kind of user to ask for."""

    def setUp(self) -> None:
        self.users = {
            OWNER: self.alice,
            PEER: self.carol,
            OUTSIDER: self.dave,
            COACH: self.bob,
            OTHER_COACH: self.erin,
            ADMIN: self.frank,
        }
        self.submitted = self.complete(self.started("mixing"))
        self.bounce = store_bounce(self.submitted, audio_bytes("WAV", 2.0))
        self.other_bounce = store_bounce(self.submitted, audio_bytes("WAV", 2.0))
        for bounce in (self.bounce, self.other_bounce):
            services.analyse_bounce(bounce_id=bounce.pk, task_id="matrix")
        self.comment = Comment.objects.create(
            record=self.submitted, bounce=self.bounce, author=self.bob, body="x", at_s=0.5
        )
        # The comment speaks too: its voice note leaves only to those who see the song.
        note = voice_bytes()
        self.comment.voice.save("note.webm", ContentFile(note), save=False)
        self.comment.voice_content_type = "audio/webm"
        self.comment.voice_duration_s = 2.0
        self.comment.voice_size_bytes = len(note)
        self.comment.save()
        self.snippet = Snippet.objects.create(coach=self.bob, title="t", body="b")
        self.notification = Notification.objects.create(
            recipient=self.alice, kind="reviewed", message="m", url="/"
        )
        self.invite = Invite.objects.create(
            cohort=self.cohort,
            role=Role.STUDENT,
            created_by=self.frank,
            expires_at=timezone.now() + dt.timedelta(days=3),
        )
        self.membership = Membership.objects.get(user=self.carol)
        artwork.store(song=self.song, processed=artwork.process(io.BytesIO(png())))

    def kwargs(self, name: str) -> dict[str, Any]:
        song, record = self.song, self.submitted
        by_name: dict[str, Callable[[], dict[str, Any]]] = {
            "songs:compare": lambda: {"pk": self.bounce.pk, "other_pk": self.other_bounce.pk},
            "stages:record": lambda: {"song_pk": song.pk, "stage": "mixing"},
            "songs:upload": lambda: {"song_pk": song.pk, "stage": "mixing"},
            "stages:tick": lambda: {
                "song_pk": song.pk,
                "stage": "mixing",
                "action_pk": record.stage.core_actions.first().pk,
            },
            "coaching:review": lambda: {"pk": record.pk},
            "coaching:review_blocking": lambda: {"pk": record.pk},
            "coaching:review_draft": lambda: {"pk": record.pk},
            "coaching:delete_snippet": lambda: {"pk": self.snippet.pk},
            "coaching:add_comment": lambda: {"record_pk": record.pk},
            "coaching:resolve_comment": lambda: {"pk": self.comment.pk},
            "coaching:comment_voice": lambda: {"pk": self.comment.pk},
            "coaching:open_notification": lambda: {"pk": self.notification.pk},
            "coaching:tendencies": lambda: {"pk": self.alice.pk},
            "coaching:invite_revoke": lambda: {"pk": self.invite.pk},
            "coaching:join": lambda: {"token": self.invite.token},
            "coaching:member_remove": lambda: {
                "pk": self.cohort.pk,
                "membership_pk": self.membership.pk,
            },
            "coaching:member_move": lambda: {
                "pk": self.cohort.pk,
                "membership_pk": self.membership.pk,
            },
            "password_reset_confirm": lambda: {"uidb64": "MQ", "token": "set-password"},
        }
        if name in by_name:
            return by_name[name]()
        if name.startswith("stages:"):
            return {"song_pk": song.pk, "stage": "mixing"}
        if name.startswith("songs:bounce") or name in {"songs:reanalyse", "songs:hide_bounce"}:
            return {"pk": self.bounce.pk}
        if name.startswith("songs:") and name not in {"songs:home", "songs:new"}:
            return {"pk": song.pk}
        if name.startswith("coaching:") and "<int:pk>" in url_routes()[name]:
            return {"pk": self.cohort.pk}
        return {}

    def answer(self, kind: str, method: str, url: str) -> str:
        self.client.logout()
        if kind != ANON:
            self.client.force_login(self.users[kind])
        with transaction.atomic():
            response = getattr(self.client, method.lower())(url)
            transaction.set_rollback(True)
        status = response.status_code
        if status in (301, 302) and "/accounts/login/" in response.get("Location", ""):
            return "login"
        if status < 400:
            return "ok"
        return str(status)


class PermissionMatrixTests(MatrixTestCase):
    def test_every_url_is_classified(self) -> None:
        unclassified = sorted(set(url_names()) - set(RULES))
        self.assertEqual(unclassified, [], "classify these URLs in RULES")
        stale = sorted(set(RULES) - set(url_names()))
        self.assertEqual(stale, [], "these rules name URLs that no longer exist")

    def test_every_url_answers_every_kind_of_user_as_expected(self) -> None:
        for name in url_names():
            methods, allowed = RULES[name]
            url = reverse(name, kwargs=self.kwargs(name))
            for kind in KINDS:
                for method in methods:
                    if name in EXPECTED_OVERRIDES:
                        expected = EXPECTED_OVERRIDES[name]
                    elif kind in allowed:
                        expected = "ok"
                    elif kind == ANON:
                        expected = "login"
                    else:
                        expected = "404"
                    with self.subTest(url=name, user=kind, method=method):
                        self.assertEqual(self.answer(kind, method, url), expected)
                wrong = "GET" if methods == ("POST",) else "PUT"
                if kind in allowed and kind != ANON and name not in DJANGO_FORM_VIEWS:
                    with self.subTest(url=name, user=kind, method=wrong):
                        self.assertEqual(self.answer(kind, wrong, url), "405")

"""One of everything the app has, around the shared cast (tests/base.py): a submitted
stage with two analysed bounces, an analysed reference track, a comment with a voice note,
a snippet, a notification, an invite and cover art; and every named URL of the project
with arguments that reach those things. For the tests that go over every URL: the
permission matrix and the accessibility run."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from coaching.models import Comment, Invite, Membership, Notification, Role, Snippet
from songs import services
from songs.references import services as references
from songs.release import artwork
from tests.base import CastMixin, audio_bytes, store_bounce, store_reference, voice_bytes


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


class WorldMixin(CastMixin):
    """build_world() makes one of everything; kwargs(name) reaches it through a URL."""

    def build_world(self) -> None:
        self.submitted = self.complete(self.started("mixing"))
        self.bounce = store_bounce(self.submitted, audio_bytes("WAV", 2.0))
        self.other_bounce = store_bounce(self.submitted, audio_bytes("WAV", 2.0))
        for bounce in (self.bounce, self.other_bounce):
            services.analyse_bounce(bounce_id=bounce.pk, task_id="matrix")
        # A released record beside the song: it plays inline to those who see the song.
        self.reference = store_reference(self.song, audio_bytes("FLAC", 2.0), "record.flac")
        references.analyse_reference(reference_id=self.reference.pk)
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
            "songs:compare_reference": lambda: {
                "pk": self.bounce.pk,
                "reference_pk": self.reference.pk,
            },
            "stages:record": lambda: {"song_pk": song.pk, "stage": "mixing"},
            "songs:upload": lambda: {"song_pk": song.pk, "stage": "mixing"},
            "songs:earlier_bounces": lambda: {"song_pk": song.pk, "stage": "mixing"},
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
        if name.startswith("songs:reference") or name in {
            "songs:remove_reference",
            "songs:retry_reference",
        }:
            return {"pk": self.reference.pk}
        if name.startswith("songs:bounce") or name in {
            "songs:reanalyse",
            "songs:hide_bounce",
            "songs:fill_song",
        }:
            return {"pk": self.bounce.pk}
        if name.startswith("songs:") and name not in {"songs:home", "songs:new"}:
            return {"pk": song.pk}
        if name.startswith("coaching:") and "<int:pk>" in url_routes()[name]:
            return {"pk": self.cohort.pk}
        return {}

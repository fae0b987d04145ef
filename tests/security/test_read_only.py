"""An archived cohort is read-only on every path: every state-changing URL of the URL
configuration, asked by the person who could use it while the cohort was open, is refused
with a clear message and changes no row; its pages stay readable and offer no such change.

The URL list comes from the permission matrix's rules, which come from the URL
configuration: a URL that changes state and is neither refused nor exempted (with the
reason) below makes this test fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from coaching.models import Cohort, Membership
from tests.base import HTMX, audio_bytes
from tests.security.test_permission_matrix import (
    ADMIN,
    ANON,
    COACH,
    OUTSIDER,
    OWNER,
    RULES,
    MatrixTestCase,
)
from tests.world import png

# The state-changing URLs that an archived cohort allows, and why.
EXEMPT = {
    "coaching:cohort_archive": "unarchiving is how a course admin opens an archived cohort again",
    "coaching:cohort_duplicate": "it only reads the archived cohort, to start the next term's",
    "coaching:snippets": "a coach's own snippets belong to no cohort",
    "coaching:delete_snippet": "a coach's own snippets belong to no cohort",
    "coaching:read_all": "a person's own notifications belong to no cohort",
    "coaching:cohort_new": "a new cohort is an open one",
    "login": "signing in touches no cohort",
    "logout": "signing out touches no cohort",
    "password_reset": "a person's own account touches no cohort",
    "password_change": "a person's own account touches no cohort",
}

# How an allowed user asks each refused URL: who, and the form they send.
Payload = Callable[["ReadOnlyTests"], dict[str, Any]]
REFUSED: dict[str, tuple[str, Payload]] = {
    "songs:new": (OWNER, lambda t: {"title": "New", "purpose": "p", "cohort": t.cohort.pk}),
    "songs:edit": (OWNER, lambda t: {"title": "Renamed", "purpose": "Another story."}),
    "songs:upload_artwork": (
        OWNER,
        lambda t: {"file": SimpleUploadedFile("cover.png", png(1500))},
    ),
    "songs:release_details": (
        OWNER,
        lambda t: {"artist_name": "Someone", "isrc": "", "delivery_profile": ""},
    ),
    "songs:release": (OWNER, lambda t: {}),
    "songs:archive": (OWNER, lambda t: {}),
    "songs:retrospective": (OWNER, lambda t: {"worked": "w", "change": "c", "habit": "h"}),
    "songs:upload": (
        OWNER,
        lambda t: {"note": "v3", "file": SimpleUploadedFile("v3.wav", audio_bytes())},
    ),
    "songs:reanalyse": (COACH, lambda t: {}),
    "songs:hide_bounce": (OWNER, lambda t: {}),
    "songs:add_reference": (
        OWNER,
        lambda t: {"title": "A record", "file": SimpleUploadedFile("ref.wav", audio_bytes())},
    ),
    "songs:remove_reference": (OWNER, lambda t: {}),
    "songs:retry_reference": (OWNER, lambda t: {}),
    "songs:fill_song": (OWNER, lambda t: {}),
    "stages:tick": (OWNER, lambda t: {"done": "on"}),
    "stages:journal": (OWNER, lambda t: {"journal": "A new line."}),
    "stages:balance": (OWNER, lambda t: {"self_balance": "3"}),
    "stages:start": (OWNER, lambda t: {}),
    "stages:submit": (OWNER, lambda t: {}),
    "stages:reopen": (OWNER, lambda t: {}),
    "coaching:review": (COACH, lambda t: t.review_data()),
    "coaching:review_draft": (
        COACH,
        lambda t: {"summary": "Half a thought.", "verdict": "approved"},
    ),
    "coaching:add_comment": (COACH, lambda t: {"body": "One more thing."}),
    "coaching:resolve_comment": (COACH, lambda t: {}),
    "coaching:cohort_edit": (
        ADMIN,
        lambda t: {"cohort-name": "Renamed", "cohort-course": "", "schedule-due_1": ""},
    ),
    "coaching:invite_create": (
        ADMIN,
        lambda t: {"role": "student", "valid_days": 7, "max_uses": 5},
    ),
    "coaching:invite_revoke": (ADMIN, lambda t: {}),
    "coaching:cohort_import": (
        ADMIN,
        lambda t: {"file": SimpleUploadedFile("list.csv", b"Nia Okoro,nia@example.com\n")},
    ),
    "coaching:coach_add": (ADMIN, lambda t: {"who": "erin"}),
    "coaching:member_remove": (ADMIN, lambda t: {}),
    "coaching:member_move": (ADMIN, lambda t: {"to": t.other_cohort.pk}),
    "coaching:join": (OUTSIDER, lambda t: {}),
}
# The pages that are only a form for one of those changes: they say why instead.
FORM_PAGES = {
    "songs:edit",
    "songs:release_details",
    "songs:retrospective",
    "coaching:cohort_edit",
    "coaching:cohort_import",
}

# Rows that any request may write without changing the app's state.
UNTRACKED = {"sessions.session", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"}


def state_changing(name: str) -> bool:
    methods, _ = RULES[name]
    return any(method not in {"GET", "HEAD"} for method in methods)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the app keeps, in a comparable form."""
    rows = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in UNTRACKED or not model._meta.managed:
            continue
        rows[label] = list(model._default_manager.order_by("pk").values_list())
    return rows


@override_settings(AXES_ENABLED=False)
class ReadOnlyTests(MatrixTestCase):
    def setUp(self) -> None:
        super().setUp()
        Cohort.objects.filter(pk=self.cohort.pk).update(archived_at=timezone.now())
        self.cohort.refresh_from_db()

    def review_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "verdict": "approved",
            "summary": "Good.",
            "coach_balance": "0",
            "balance_comment": "Balanced.",
        }
        for action in self.submitted.stage.core_actions.all():
            data[f"mark_{action.pk}"] = "done_well"
        return data

    def test_every_state_changing_url_is_refused_or_exempted_with_a_reason(self) -> None:
        changing = {name for name in RULES if state_changing(name)}
        self.assertEqual(sorted(changing - set(REFUSED) - set(EXEMPT)), [], "classify these")
        self.assertEqual(sorted((set(REFUSED) | set(EXEMPT)) - changing), [], "stale entries")

    def test_every_refused_url_says_why_and_changes_nothing(self) -> None:
        for name, (kind, payload) in REFUSED.items():
            url = reverse(name, kwargs=self.kwargs(name))
            for headers in ({}, HTMX):
                with self.subTest(url=name, htmx=bool(headers)):
                    self.client.force_login(self.users[kind])
                    before = snapshot()
                    with transaction.atomic():
                        response = self.client.post(url, payload(self), headers=headers)
                        after = snapshot()
                        transaction.set_rollback(True)
                    self.assertEqual(before, after, "rows changed")
                    if name == "songs:new":
                        # The form offers only open cohorts, and says so of any other.
                        self.assertContains(response, "archived")
                    elif name == "coaching:join":
                        self.assertContains(response, "the cohort is archived", status_code=410)
                    elif headers:
                        self.assertEqual(response.status_code, 403)
                        self.assertEqual(response["HX-Refresh"], "true")
                    else:
                        self.assertContains(response, "is archived", status_code=403)
                        self.assertContains(response, "Nothing was changed.", status_code=403)

    def test_the_pages_stay_readable_and_offer_no_refused_change(self) -> None:
        # A new song may still start in another, open cohort: its form is no refused change.
        refused = set(REFUSED) - {"songs:new"}
        for name, (methods, allowed) in RULES.items():
            if "GET" not in methods or name in EXEMPT:
                continue
            url = reverse(name, kwargs=self.kwargs(name))
            for kind in sorted(allowed - {ANON}):
                with self.subTest(url=name, user=kind):
                    self.client.force_login(self.users[kind])
                    with transaction.atomic():
                        response = self.client.get(url, headers=HTMX if "readiness" in name else {})
                        transaction.set_rollback(True)
                    if name in FORM_PAGES:
                        self.assertContains(response, "is archived", status_code=403)
                        continue
                    if name == "coaching:join":
                        self.assertEqual(response.status_code, 410)
                        continue
                    self.assertLess(response.status_code, 400)
                    if not response.get("Content-Type", "").startswith("text/html"):
                        continue  # files and exports offer nothing
                    offered = self.offered_changes(response.content.decode(errors="replace"))
                    self.assertEqual(sorted(offered & refused), [], f"{name} offers these")

    def offered_changes(self, html: str) -> set[str]:
        """The URL names that the page's forms and htmx requests would change."""
        targets = re.findall(r'(?:action|hx-post)="([^"]+)"', html)
        names = set()
        for target in targets:
            try:
                match = resolve(target.split("?")[0])
            except Resolver404:
                continue
            names.add(f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name)
        return names

    def test_an_archived_cohorts_page_lists_its_invites_as_unusable(self) -> None:
        self.client.force_login(self.frank)
        page = self.client.get(reverse("coaching:cohort", args=[self.cohort.pk]))
        self.assertContains(page, "cohort archived")
        self.assertNotContains(page, "· active ·")
        self.assertNotContains(page, "Withdraw")
        self.assertContains(page, self.cohort.read_only_reason)

    def test_unarchiving_opens_everything_again(self) -> None:
        self.client.force_login(self.frank)
        self.client.post(
            reverse("coaching:cohort_archive", args=[self.cohort.pk]), {"archive": "0"}
        )
        self.client.force_login(self.alice)
        response = self.client.post(
            reverse("stages:journal", kwargs={"song_pk": self.song.pk, "stage": "production"}),
            {"journal": "Open again."},
        )
        self.assertNotEqual(response.status_code, 403)
        membership = Membership.objects.get(user=self.carol)
        self.client.force_login(self.frank)
        self.client.post(
            reverse(
                "coaching:member_remove",
                kwargs={"pk": self.cohort.pk, "membership_pk": membership.pk},
            )
        )
        self.assertFalse(Membership.objects.filter(pk=membership.pk).exists())


class SettledListsTests(MatrixTestCase):
    def test_lists_and_the_songs_own_rule_agree_on_what_is_still_at_work(self) -> None:
        from songs.models import Song
        from stages.models import StageRecord

        states = {
            "open": {},
            "released": {"released_at": timezone.now()},
            "set aside": {"archived_at": timezone.now()},
        }
        for name, change in states.items():
            for archived_cohort in (False, True):
                with self.subTest(song=name, archived_cohort=archived_cohort):
                    Song.objects.filter(pk=self.song.pk).update(
                        **({"released_at": None, "archived_at": None} | change)
                    )
                    Cohort.objects.filter(pk=self.cohort.pk).update(
                        archived_at=timezone.now() if archived_cohort else None
                    )
                    song = Song.objects.select_related("cohort").get(pk=self.song.pk)
                    listed = StageRecord.objects.at_work().filter(song=song).exists()
                    self.assertEqual(listed, not song.read_only_reason)

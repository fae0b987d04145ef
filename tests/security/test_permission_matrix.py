"""Every URL x every kind of user x its methods, against the expected answer.

The URL list comes from the URL configuration itself: a new URL that nobody classified
below makes this test fail. Answers: "ok" (any 2xx, or a redirect that is not to the
log-in page), "login" (a redirect to log in), 404, 405, 410. Each request runs in a
savepoint that is rolled back, so one user's POST cannot change what the next one meets.
"""

from __future__ import annotations

from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from tests.base import BaseTestCase
from tests.world import WorldMixin, url_names

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
    "songs:fill_song": (("POST",), {OWNER}),
    "songs:bounce_waveform": (("GET",), SEES_SONG),
    "songs:bounce_peaks": (("GET",), SEES_SONG),
    "songs:bounce_audio": (("GET",), SEES_SONG),
    "songs:bounce_download": (("GET",), SEES_SONG),
    # Reference tracks: the owner changes them; whoever sees the song plays and compares.
    "songs:add_reference": (("POST",), {OWNER}),
    "songs:remove_reference": (("POST",), {OWNER}),
    "songs:retry_reference": (("POST",), {OWNER}),
    "songs:reference_analysis": (("GET",), SEES_SONG),
    "songs:reference_audio": (("GET",), SEES_SONG),
    "songs:reference_peaks": (("GET",), SEES_SONG),
    "songs:compare_reference": (("GET",), SEES_SONG),
    "stages:record": (("GET",), SEES_SONG),
    "stages:tick": (("POST",), {OWNER}),
    "stages:journal": (("POST",), {OWNER}),
    "stages:balance": (("POST",), {OWNER}),
    "stages:start": (("POST",), {OWNER}),
    "stages:submit": (("POST",), {OWNER}),
    "stages:reopen": (("POST",), {OWNER}),
    "songs:upload": (("POST",), {OWNER}),
    "songs:earlier_bounces": (("GET",), SEES_SONG),
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


@override_settings(AXES_ENABLED=False)
class MatrixTestCase(WorldMixin, BaseTestCase):
    """One of everything, for every kind of user to ask for."""

    def setUp(self) -> None:
        self.build_world()
        self.users = {
            OWNER: self.alice,
            PEER: self.carol,
            OUTSIDER: self.dave,
            COACH: self.bob,
            OTHER_COACH: self.erin,
            ADMIN: self.frank,
        }

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

"""Invite links, sign-up and CSV import of students."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from coaching.models import Invite, Membership, Role, User
from tests.base import BaseTestCase, make_user


class InviteTestCase(BaseTestCase):
    def invite(self, **extra) -> Invite:
        fields = {
            "cohort": self.cohort,
            "role": Role.STUDENT,
            "created_by": self.frank,
            "expires_at": timezone.now() + dt.timedelta(days=7),
            **extra,
        }
        return Invite.objects.create(**fields)


class InviteLinkTests(InviteTestCase):
    def test_an_admin_creates_and_revokes_a_link(self) -> None:
        self.client.force_login(self.frank)
        self.client.post(
            f"/cohorts/{self.cohort.pk}/invites/",
            {"role": "coach", "valid_days": "3", "max_uses": "2"},
        )
        invite = Invite.objects.get()
        self.assertEqual((invite.role, invite.max_uses), ("coach", 2))
        page = self.client.get(f"/cohorts/{self.cohort.pk}/")
        self.assertContains(page, f"/join/{invite.token}/")
        self.client.post(f"/invites/{invite.pk}/revoke/")
        invite.refresh_from_db()
        self.assertEqual(invite.state, "revoked")

    def test_a_new_person_signs_up_and_lands_in_the_cohort(self) -> None:
        invite = self.invite()
        url = f"/join/{invite.token}/"
        self.assertContains(self.client.get(url), "Create my account and join")
        response = self.client.post(
            url,
            {
                "name": "Nia Okoro",
                "email": "Nia@Example.com",
                "password1": "lanterns-at-dusk-42",
                "password2": "lanterns-at-dusk-42",
            },
        )
        self.assertRedirects(response, "/")
        nia = User.objects.get(email="nia@example.com")
        self.assertEqual((nia.first_name, nia.last_name), ("Nia", "Okoro"))
        self.assertTrue(
            Membership.objects.filter(user=nia, cohort=self.cohort, role="student").exists()
        )
        invite.refresh_from_db()
        self.assertEqual(invite.uses, 1)
        self.assertContains(self.client.get("/"), "Your first song starts here")

    def test_a_sign_up_error_keeps_the_input(self) -> None:
        invite = self.invite()
        response = self.client.post(
            f"/join/{invite.token}/",
            {
                "name": "Nia <b>",
                "email": "alice@example.com",
                "password1": "short",
                "password2": "different",
            },
        )
        self.assertContains(response, "An account already uses this e-mail")
        self.assertContains(response, "The two passwords differ.")
        self.assertContains(response, 'value="Nia &lt;b&gt;"')

    def test_an_existing_account_joins_straight_away(self) -> None:
        invite = self.invite(cohort=self.other_cohort)
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(f"/join/{invite.token}/"), "Join as Alice")
        self.client.post(f"/join/{invite.token}/")
        self.assertTrue(
            Membership.objects.filter(user=self.alice, cohort=self.other_cohort).exists()
        )
        self.client.post(f"/join/{invite.token}/")  # twice: harmless
        invite.refresh_from_db()
        self.assertEqual(invite.uses, 1)

    def test_expired_revoked_used_up_and_forged_links_do_not_work(self) -> None:
        cases = [
            (self.invite(expires_at=timezone.now() - dt.timedelta(minutes=1)), "has expired"),
            (self.invite(revoked_at=timezone.now()), "was withdrawn"),
            (self.invite(max_uses=1, uses=1), "used as many times as it allows"),
        ]
        for invite, says in cases:
            response = self.client.get(f"/join/{invite.token}/")
            self.assertEqual(response.status_code, 410, invite.state)
            self.assertContains(response, says, status_code=410)
        good = self.invite()
        forged = good.token[:-4] + ("AAAA" if not good.token.endswith("AAAA") else "BBBB")
        self.assertEqual(self.client.get(f"/join/{forged}/").status_code, 410)
        response = self.client.post(
            f"/join/{forged}/",
            {
                "name": "x",
                "email": "x@example.com",
                "password1": "lanterns-at-dusk-42",
                "password2": "lanterns-at-dusk-42",
            },
        )
        self.assertEqual(response.status_code, 410)
        self.assertFalse(User.objects.filter(email="x@example.com").exists())

    def test_the_last_use_is_not_given_twice(self) -> None:
        invite = self.invite(max_uses=1)
        self.client.force_login(make_user("first"))
        self.client.post(f"/join/{invite.token}/")
        self.client.force_login(make_user("second"))
        response = self.client.post(f"/join/{invite.token}/")
        self.assertEqual(response.status_code, 410)
        self.assertEqual(
            Membership.objects.filter(cohort=self.cohort, user__username="second").count(), 0
        )


def csv_upload(text: str | bytes, name: str = "class.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


class CsvImportTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.frank)
        self.url = f"/cohorts/{self.cohort.pk}/import/"

    def post(self, text):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(self.url, {"file": csv_upload(text)})

    def outcomes(self, response) -> list[tuple[str, str]]:
        return [(r.email, r.outcome) for r in response.context["results"]]

    def test_valid_rows_create_accounts_and_send_invitations(self) -> None:
        response = self.post("name,email\nNia Okoro,nia@example.com\nTom Reyes,tom@example.com\n")
        self.assertEqual(
            self.outcomes(response),
            [("nia@example.com", "created"), ("tom@example.com", "created")],
        )
        nia = User.objects.get(email="nia@example.com")
        self.assertFalse(nia.has_usable_password())
        self.assertTrue(
            Membership.objects.filter(user=nia, cohort=self.cohort, role="student").exists()
        )
        self.assertEqual(len(mail.outbox), 2)
        self.assertIn("/accounts/reset/", mail.outbox[0].body)

    def test_uploading_the_same_list_twice_changes_nothing(self) -> None:
        text = "Nia Okoro,nia@example.com\n"
        self.post(text)
        response = self.post(text)
        self.assertEqual(self.outcomes(response), [("nia@example.com", "already")])
        self.assertEqual(User.objects.filter(email="nia@example.com").count(), 1)

    def test_an_existing_account_is_added_and_told(self) -> None:
        response = self.post("Dave,DAVE@example.com\nAlice,alice@example.com\n")
        self.assertEqual(
            self.outcomes(response),
            [("dave@example.com", "added"), ("alice@example.com", "already")],
        )
        self.assertTrue(Membership.objects.filter(user=self.dave, cohort=self.cohort).exists())
        self.assertEqual([m.to for m in mail.outbox], [["dave@example.com"]])

    def test_invalid_rows_are_reported_and_skipped(self) -> None:
        response = self.post(
            "name,email\nNo Mail,\nBad,not-an-address\n,nameless@example.com\n"
            "Twice,twice@example.com\nTwice Again,twice@example.com\n"
        )
        results = response.context["results"]
        self.assertEqual(
            [r.outcome for r in results], ["invalid", "invalid", "invalid", "created", "invalid"]
        )
        self.assertEqual(results[1].reason, "not an e-mail address")
        self.assertContains(response, "listed twice in this file")

    def test_formula_injection_is_stored_as_text_and_neutralised_on_export(self) -> None:
        self.post('"=HYPERLINK(""http://evil.example"",""x"")",evil@example.com\n')
        user = User.objects.get(email="evil@example.com")
        self.assertTrue(user.first_name.startswith("=HYPERLINK"))
        export = b"".join(
            self.client.get(f"/cohorts/{self.cohort.pk}/export.csv").streaming_content
        )
        self.assertIn(b"'=HYPERLINK", export)
        self.assertNotIn(b",=HYPERLINK", export)

    def test_a_huge_file_is_refused_with_a_clear_message(self) -> None:
        big = "name,email\n" + "x" * (1024 * 1024 + 10)
        response = self.post(big)
        self.assertContains(response, "a class list can be up to 1024 KB")
        self.assertFalse(User.objects.filter(email__startswith="x").exists())

    def test_too_many_rows_are_refused(self) -> None:
        rows = "".join(f"S{i},s{i}@example.com\n" for i in range(2001))
        response = self.post(rows)
        self.assertContains(response, "import up to 2000 at a time")

    def test_a_wrong_encoding_says_how_to_save_it(self) -> None:
        response = self.post("Zoë,zoe@example.com\n".encode("utf-16"))
        self.assertContains(response, "save it as “CSV UTF-8”")
        latin = self.post("Zoë,zoe@example.com\n".encode("latin-1"))
        self.assertContains(latin, "not UTF-8")

    def test_a_binary_file_is_refused(self) -> None:
        response = self.post(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        self.assertContains(response, "not UTF-8")

    def test_only_course_admins_import(self) -> None:
        for user in [self.bob, self.alice, self.erin]:
            self.client.force_login(user)
            response = self.client.post(self.url, {"file": csv_upload("A,a@example.com\n")})
            self.assertEqual(response.status_code, 404, user)
        self.assertFalse(User.objects.filter(email="a@example.com").exists())

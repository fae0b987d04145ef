"""Names are one line, and import e-mails that fail are logged and reported (issue 16): a
cohort name with a line break (a hand-made POST) made the CSV import drop the invitation
e-mail silently."""

from __future__ import annotations

import smtplib
from unittest import mock

from django.core import mail

from coaching.models import Cohort
from songs.models import Song
from tests.base import BaseTestCase
from tests.coaching.test_enrolment import csv_upload


class OneLineNameTests(BaseTestCase):
    def test_a_cohort_name_or_course_with_a_line_break_is_refused_and_kept(self) -> None:
        self.client.force_login(self.frank)
        for field in ("name", "course"):
            data = {"name": "Winter", "course": "Mixing", "starts_on": "", "ends_on": ""}
            data[field] = "Winter\r\nBcc: everyone@example.com"
            response = self.client.post("/cohorts/new/", data)
            self.assertEqual(response.status_code, 200, field)
            self.assertContains(response, "Keep this to one line")
            self.assertContains(response, "Bcc: everyone@example.com")
        self.assertFalse(Cohort.objects.filter(name__startswith="Winter").exists())

    def test_editing_a_cohort_refuses_a_control_character(self) -> None:
        self.client.force_login(self.frank)
        data = {
            "cohort-name": "Autumn\x07",
            "cohort-course": "Foundations",
            "cohort-starts_on": "",
            "cohort-ends_on": "",
        }
        response = self.client.post(f"/cohorts/{self.cohort.pk}/edit/", data)
        self.assertContains(response, "Keep this to one line")
        self.cohort.refresh_from_db()
        self.assertEqual(self.cohort.name, "Autumn")

    def test_a_song_title_with_a_line_break_is_refused(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            "/songs/new/",
            {"title": "Two\nlines", "cohort": self.cohort.pk, "purpose": "A song."},
        )
        self.assertContains(response, "Keep this to one line")
        self.assertFalse(Song.objects.filter(title__startswith="Two").exists())

    def test_a_reference_title_with_a_control_character_is_refused(self) -> None:
        from tests.base import upload_file

        self.client.force_login(self.alice)
        response = self.client.post(
            f"/songs/{self.song.pk}/references/",
            {"title": "Someone\x00A Record", "file": upload_file("record.wav")},
        )
        self.assertContains(response, "Keep this to one line")
        self.assertFalse(self.song.references.exists())

    def test_line_breaks_in_long_text_stay_allowed(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            "/songs/new/",
            {"title": "Lanterns", "cohort": self.cohort.pk, "purpose": "One.\nTwo."},
        )
        self.assertEqual(response.status_code, 302)


class ImportMailTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.frank)
        self.url = f"/cohorts/{self.cohort.pk}/import/"

    def post(self, text: str):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(self.url, {"file": csv_upload(text)})

    def test_a_cohort_named_with_a_line_break_still_gets_its_invitations_sent(self) -> None:
        Cohort.objects.filter(pk=self.cohort.pk).update(name="Autumn\nterm")
        response = self.post("name,email\nNia Okoro,nia@example.com\n")
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].subject, "Your place in Autumn term")
        self.assertNotContains(response, "not sent")

    def test_an_email_the_server_refuses_is_logged_and_shown_on_its_row(self) -> None:
        refused = smtplib.SMTPRecipientsRefused({"tom@example.com": (550, b"no such user")})
        real_send = mail.EmailMessage.send

        def send(message: mail.EmailMessage, fail_silently: bool = False) -> int:
            if message.to == ["tom@example.com"]:
                raise refused
            return real_send(message, fail_silently)

        with (
            mock.patch.object(mail.EmailMessage, "send", send),
            self.assertLogs("coaching.enrolment", "ERROR") as logs,
        ):
            response = self.post(
                "name,email\nNia Okoro,nia@example.com\nTom Reyes,tom@example.com\n"
            )
        self.assertEqual([m.to for m in mail.outbox], [["nia@example.com"]])
        self.assertIn("tom@example.com", "\n".join(logs.output))
        rows = {r.email: r for r in response.context["results"]}
        self.assertEqual(rows["nia@example.com"].mail_error, "")
        self.assertIn("SMTPRecipientsRefused", rows["tom@example.com"].mail_error)
        self.assertContains(response, "1</strong> e-mail not sent")
        self.assertContains(response, "Forgot your password?")

    def test_a_mail_server_out_of_reach_is_reported_on_every_row(self) -> None:
        with (
            mock.patch(
                "django.core.mail.backends.locmem.EmailBackend.open",
                side_effect=ConnectionRefusedError("refused"),
                create=True,
            ),
            self.assertLogs("coaching.enrolment", "ERROR"),
        ):
            response = self.post(
                "name,email\nNia Okoro,nia@example.com\nTom Reyes,tom@example.com\n"
            )
        self.assertEqual(len(mail.outbox), 0)
        self.assertTrue(all(r.mail_error for r in response.context["results"]))
        self.assertContains(response, "2</strong> e-mails not sent")

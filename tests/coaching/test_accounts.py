from __future__ import annotations

import re

from django.core import mail
from django.db import IntegrityError

from coaching.models import Cohort, User
from tests.base import BaseTestCase, make_user


class UserModelTests(BaseTestCase):
    def test_the_custom_user_model_is_in_use(self) -> None:
        from django.contrib.auth import get_user_model

        self.assertIs(get_user_model(), User)
        self.assertTrue(self.frank.is_course_admin)
        self.assertFalse(self.alice.is_course_admin)

    def test_e_mail_addresses_are_unique_whatever_the_case(self) -> None:
        with self.assertRaises(IntegrityError):
            User.objects.create_user(username="alice2", email="ALICE@example.com")

    def test_roles_come_from_cohort_membership(self) -> None:
        self.assertEqual(list(Cohort.objects.coached_by(self.bob)), [self.cohort])
        self.assertEqual(list(self.alice.student_cohorts()), [self.cohort])
        self.assertEqual(list(Cohort.objects.coached_by(self.alice)), [])


class LoginTests(BaseTestCase):
    def test_the_login_page_logs_a_user_in_and_goes_home(self) -> None:
        self.assertContains(self.client.get("/accounts/login/"), "Log in")
        response = self.client.post(
            "/accounts/login/", {"username": "alice", "password": "password-alice"}
        )
        self.assertRedirects(response, "/")

    def test_a_wrong_password_keeps_the_username(self) -> None:
        response = self.client.post("/accounts/login/", {"username": "alice", "password": "no"})
        self.assertContains(response, "Please enter a correct username and password")
        self.assertContains(response, 'value="alice"')

    def test_logout_is_a_post(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get("/accounts/logout/").status_code, 405)
        self.assertRedirects(self.client.post("/accounts/logout/"), "/accounts/login/")
        self.assertEqual(self.client.get("/").status_code, 302)


class PasswordTests(BaseTestCase):
    def test_a_user_changes_their_password_on_the_change_page(self) -> None:
        self.client.force_login(self.alice)
        self.assertContains(self.client.get("/accounts/password_change/"), "Change your password")
        response = self.client.post(
            "/accounts/password_change/",
            {
                "old_password": "password-alice",
                "new_password1": "lanterns-at-dusk-42",
                "new_password2": "lanterns-at-dusk-42",
            },
        )
        self.assertRedirects(response, "/accounts/password_change/done/")
        self.alice.refresh_from_db()
        self.assertTrue(self.alice.check_password("lanterns-at-dusk-42"))

    def test_a_weak_new_password_is_refused(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            "/accounts/password_change/",
            {
                "old_password": "password-alice",
                "new_password1": "12345678",
                "new_password2": "12345678",
            },
        )
        self.assertContains(response, "This password is too common.")

    def test_a_password_is_reset_through_a_link_sent_by_e_mail(self) -> None:
        response = self.client.post("/accounts/password_reset/", {"email": "alice@example.com"})
        self.assertRedirects(response, "/accounts/password_reset/done/")
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].subject, "Reset your Stagecoach password")
        link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
        form = self.client.get(link, follow=True)
        self.assertContains(form, "Choose a new password")
        response = self.client.post(
            form.redirect_chain[-1][0],
            {"new_password1": "lanterns-at-dusk-42", "new_password2": "lanterns-at-dusk-42"},
        )
        self.assertRedirects(response, "/accounts/reset/done/")
        self.alice.refresh_from_db()
        self.assertTrue(self.alice.check_password("lanterns-at-dusk-42"))

    def test_an_unknown_address_reveals_nothing(self) -> None:
        response = self.client.post("/accounts/password_reset/", {"email": "who@example.com"})
        self.assertRedirects(response, "/accounts/password_reset/done/")
        self.assertEqual(len(mail.outbox), 0)
        make_user("zed")


class ExpiredSessionTests(BaseTestCase):
    def test_an_htmx_save_after_the_session_ended_sends_the_whole_page_to_log_in(self) -> None:
        self.started("production")
        url = f"/songs/{self.song.pk}/stages/production/journal/"
        page = f"http://testserver/songs/{self.song.pk}/stages/production/"
        response = self.client.post(
            url, {"journal": "typed"}, headers={"HX-Request": "true", "HX-Current-URL": page}
        )
        self.assertEqual(
            response["HX-Redirect"],
            f"/accounts/login/?next=%2Fsongs%2F{self.song.pk}%2Fstages%2Fproduction%2F",
        )
        self.assertEqual(self.record("production").journal, "")

    def test_plain_requests_still_get_the_ordinary_redirect(self) -> None:
        response = self.client.get("/")
        self.assertRedirects(response, "/accounts/login/?next=/")

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.test import override_settings
from django.utils import timezone

from coaching import services
from coaching.models import Comment, Notification
from tests.base import HTMX, BaseTestCase, audio_bytes, make_user, store_bounce


class CommentTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.record_ = self.started("mixing")
        self.bounce = store_bounce(self.record_, audio_bytes("WAV", seconds=4.0))
        self.bounce.duration_s = 4.0
        self.bounce.save(update_fields=["duration_s"])
        self.url = f"/records/{self.record_.pk}/comments/"

    def comment(self, user, body="Kick is too loud here", **extra):
        self.client.force_login(user)
        data = {"body": body, "bounce": self.bounce.pk, "at_s": "1.5", **extra}
        return self.client.post(self.url, data, headers=HTMX)


class BounceCommentTests(CommentTestCase):
    def test_a_coach_comments_at_a_moment_and_the_marker_appears(self) -> None:
        response = self.comment(self.bob)
        self.assertTemplateUsed(response, "coaching/_bounce_threads_response.html")
        comment = Comment.objects.get()
        self.assertEqual(
            (comment.at_s, comment.bounce, comment.author), (1.5, self.bounce, self.bob)
        )
        self.assertContains(response, 'data-at="1.500"')
        self.assertContains(response, 'hx-swap-oob="true"')
        self.assertContains(response, "0:01")

    def test_a_range_is_kept(self) -> None:
        self.comment(self.bob, until_s="3.25")
        self.assertEqual(Comment.objects.get().until_s, 3.25)
        self.assertEqual(Comment.objects.get().moment_label, "0:01–0:03")

    def test_a_moment_outside_the_bounce_is_refused(self) -> None:
        response = self.comment(self.bob, at_s="99")
        self.assertContains(response, "outside the bounce")
        self.assertContains(response, "Kick is too loud here")
        self.assertFalse(Comment.objects.exists())

    def test_the_student_replies_in_the_thread(self) -> None:
        self.comment(self.bob)
        root = Comment.objects.get()
        response = self.comment(self.alice, body="Turned it down 2 dB", parent=root.pk, at_s="")
        reply = Comment.objects.exclude(pk=root.pk).get()
        self.assertEqual((reply.parent, reply.bounce, reply.at_s), (root, self.bounce, None))
        self.assertContains(response, "Turned it down 2 dB")

    def test_a_reply_to_a_reply_joins_the_same_thread(self) -> None:
        self.comment(self.bob)
        root = Comment.objects.get()
        self.comment(self.alice, body="first reply", parent=root.pk)
        reply = Comment.objects.get(body="first reply")
        self.comment(self.bob, body="second reply", parent=reply.pk)
        self.assertEqual(Comment.objects.get(body="second reply").parent, root)

    def test_html_in_a_comment_is_shown_as_text(self) -> None:
        response = self.comment(self.bob, body="<script>alert(1)</script>")
        self.assertNotContains(response, "<script>alert(1)")
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")

    def test_an_empty_comment_says_so(self) -> None:
        response = self.comment(self.bob, body="   ")
        self.assertContains(response, "Write something first.")

    def test_the_bounce_page_shows_threads_and_markers(self) -> None:
        self.comment(self.bob)
        self.client.force_login(self.alice)
        page = self.client.get(f"/bounces/{self.bounce.pk}/")
        self.assertContains(page, "Kick is too loud here")
        self.assertContains(page, 'class="marker')

    def test_unresolved_comments_carry_over_to_the_next_version(self) -> None:
        self.comment(self.bob, body="Still open")
        self.comment(self.bob, body="Already fixed", at_s="2")
        fixed = Comment.objects.get(body="Already fixed")
        fixed.resolved_by = self.bob
        fixed.save()
        from django.utils import timezone

        Comment.objects.filter(pk=fixed.pk).update(resolved_at=timezone.now())
        v2 = store_bounce(self.record_, audio_bytes("WAV", seconds=4.0))
        self.client.force_login(self.alice)
        page = self.client.get(f"/bounces/{v2.pk}/")
        self.assertContains(page, "Still open from earlier versions")
        self.assertContains(page, "Still open")
        self.assertNotContains(page, "Already fixed")
        self.assertContains(page, "marker person-0 carried")

    def test_other_users_get_404_when_commenting(self) -> None:
        for user in [self.carol, self.dave, self.erin, make_user("visitor")]:
            self.client.force_login(user)
            response = self.client.post(self.url, {"body": "x", "bounce": self.bounce.pk})
            self.assertEqual(response.status_code, 404, user)
        self.assertFalse(Comment.objects.exists())

    def test_a_bounce_of_another_stage_is_404(self) -> None:
        other = store_bounce(self.record("production"), audio_bytes("WAV", 1.0))
        self.client.force_login(self.bob)
        response = self.client.post(self.url, {"body": "x", "bounce": other.pk})
        self.assertEqual(response.status_code, 404)

    def test_the_comments_url_refuses_get(self) -> None:
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url).status_code, 405)


class BlockingAndResolvingTests(CommentTestCase):
    def test_only_a_coach_marks_a_comment_blocking(self) -> None:
        response = self.comment(self.alice, blocking="on")
        self.assertContains(response, "Only a coach can mark a comment as blocking.")
        self.comment(self.bob, blocking="on")
        self.assertTrue(Comment.objects.get().blocking)

    def test_anyone_in_the_conversation_resolves_an_ordinary_comment(self) -> None:
        self.comment(self.bob)
        comment = Comment.objects.get()
        self.client.force_login(self.alice)
        response = self.client.post(
            f"/comments/{comment.pk}/resolve/",
            {"resolved": "1", "bounce": self.bounce.pk},
            headers=HTMX,
        )
        self.assertContains(response, "Resolved by Alice")
        comment.refresh_from_db()
        self.assertTrue(comment.is_resolved)
        self.client.post(f"/comments/{comment.pk}/resolve/", {"resolved": "0"})
        comment.refresh_from_db()
        self.assertFalse(comment.is_resolved)

    def test_the_student_cannot_resolve_a_blocking_comment(self) -> None:
        self.comment(self.bob, blocking="on")
        comment = Comment.objects.get()
        self.client.force_login(self.alice)
        self.client.post(f"/comments/{comment.pk}/resolve/", {"resolved": "1"})
        comment.refresh_from_db()
        self.assertFalse(comment.is_resolved)
        self.client.force_login(self.bob)
        self.client.post(f"/comments/{comment.pk}/resolve/", {"resolved": "1"})
        comment.refresh_from_db()
        self.assertTrue(comment.is_resolved)

    def test_other_users_cannot_resolve_a_comment(self) -> None:
        self.comment(self.bob)
        comment = Comment.objects.get()
        for user in [self.carol, self.dave, self.erin]:
            self.client.force_login(user)
            response = self.client.post(f"/comments/{comment.pk}/resolve/", {"resolved": "1"})
            self.assertEqual(response.status_code, 404, user)


class CommentNotificationTests(CommentTestCase):
    def test_a_coach_comment_reaches_the_student_only(self) -> None:
        self.comment(self.bob)
        self.assertEqual(
            list(Notification.objects.values_list("recipient__username", flat=True)), ["alice"]
        )
        note = Notification.objects.get()
        self.assertIn(f"/bounces/{self.bounce.pk}/#comment-", note.url)

    def test_a_student_reply_reaches_the_coach_who_wrote_the_comment(self) -> None:
        self.comment(self.bob)
        root = Comment.objects.get()
        Notification.objects.all().delete()
        self.comment(self.alice, body="Done", parent=root.pk)
        self.assertEqual(
            list(Notification.objects.values_list("recipient__username", flat=True)), ["bob"]
        )

    def test_a_student_comment_on_the_stage_reaches_the_cohorts_coaches(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(self.url, {"body": "Is the chorus too long?"})
        self.assertEqual(
            list(Notification.objects.values_list("recipient__username", flat=True)), ["bob"]
        )
        page = self.client.get(f"/songs/{self.song.pk}/stages/mixing/")
        self.assertContains(page, "Is the chorus too long?")


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, COMMENT_MAIL_SITTING_S=300)
class CommentMailTests(CommentTestCase):
    """In the app a comment shows at once; by e-mail, a sitting's comments come together."""

    def test_four_comments_in_one_sitting_make_one_e_mail(self) -> None:
        for at in ("0.5", "1.5", "2.5", "3.5"):
            with self.captureOnCommitCallbacks(execute=True):
                self.comment(self.bob, body=f"Note at {at}", at_s=at)
        self.assertEqual(Notification.objects.filter(recipient=self.alice).count(), 4)
        self.assertEqual(len(mail.outbox), 0)
        self.assertEqual(services.send_comment_mail(now=timezone.now()), 0)  # still going
        later = timezone.now() + dt.timedelta(minutes=6)
        self.assertEqual(services.send_comment_mail(now=later), 1)
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["alice@example.com"])
        self.assertEqual(message.subject, "Stagecoach: 4 new comments")
        for at in ("0.5", "1.5", "2.5", "3.5"):
            self.assertIn(f"Note at {at}", message.body)
        self.assertIn("Bob commented on v1 of Mixing of “Paper Lanterns” at 0:00", message.body)
        self.assertEqual(services.send_comment_mail(now=later), 0)  # sent once

    def test_a_reply_says_it_is_a_reply(self) -> None:
        self.comment(self.bob, body="Kick is too loud here")
        thread = Comment.objects.get()
        self.comment(self.alice, body="Turned it down 2 dB.", parent=thread.pk)
        note = Notification.objects.get(recipient=self.bob)
        self.assertTrue(
            note.message.startswith("Alice replied to your comment on v1 of Mixing"), note.message
        )
        self.assertNotIn("commented on", note.message)

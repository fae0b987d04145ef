"""Cohort administration over HTTP: pages, permissions, schedule, archive, duplicate."""

from __future__ import annotations

import datetime as dt

from coaching.models import Activity, Cohort, Membership, Role, StageDeadline
from songs.models import Song
from stages.models import Stage
from tests.base import BaseTestCase, add_students, make_song, make_user


class CohortPageTests(BaseTestCase):
    def test_course_admins_see_every_cohort_and_coaches_their_own(self) -> None:
        self.client.force_login(self.frank)
        page = self.client.get("/cohorts/")
        self.assertContains(page, "Autumn")
        self.assertContains(page, "Spring")
        self.client.force_login(self.bob)
        page = self.client.get("/cohorts/")
        self.assertContains(page, "Autumn")
        self.assertNotContains(page, "Spring")

    def test_students_get_404_for_all_of_it(self) -> None:
        self.client.force_login(self.alice)
        pk = self.cohort.pk
        for url in [
            "/cohorts/",
            "/cohorts/new/",
            f"/cohorts/{pk}/",
            f"/cohorts/{pk}/edit/",
            f"/cohorts/{pk}/progress/",
            f"/cohorts/{pk}/analytics/",
            f"/cohorts/{pk}/export.csv",
            f"/cohorts/{pk}/import/",
            f"/cohorts/{pk}/duplicate/",
        ]:
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_a_coach_gets_404_for_another_cohort(self) -> None:
        self.client.force_login(self.erin)
        pk = self.cohort.pk
        for url in [
            f"/cohorts/{pk}/",
            f"/cohorts/{pk}/progress/",
            f"/cohorts/{pk}/analytics/",
            f"/cohorts/{pk}/export.csv",
        ]:
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_a_coach_reads_but_does_not_manage(self) -> None:
        self.client.force_login(self.bob)
        pk = self.cohort.pk
        self.assertEqual(self.client.get(f"/cohorts/{pk}/").status_code, 200)
        self.assertNotContains(self.client.get(f"/cohorts/{pk}/"), "Import students")
        for url in [f"/cohorts/{pk}/edit/", f"/cohorts/{pk}/import/", f"/cohorts/{pk}/duplicate/"]:
            self.assertEqual(self.client.get(url).status_code, 404, url)
        for url in [
            f"/cohorts/{pk}/archive/",
            f"/cohorts/{pk}/invites/",
            f"/cohorts/{pk}/coaches/",
        ]:
            self.assertEqual(self.client.post(url).status_code, 404, url)

    def test_an_admin_creates_a_cohort(self) -> None:
        self.client.force_login(self.frank)
        response = self.client.post(
            "/cohorts/new/",
            {"name": "Winter", "course": "Mixing", "starts_on": "2027-01-10", "ends_on": ""},
        )
        cohort = Cohort.objects.get(name="Winter")
        self.assertRedirects(response, f"/cohorts/{cohort.pk}/")
        self.assertTrue(Activity.objects.filter(cohort=cohort, verb="created").exists())

    def test_a_bad_cohort_form_keeps_the_input(self) -> None:
        self.client.force_login(self.frank)
        response = self.client.post(
            "/cohorts/new/",
            {
                "name": "",
                "course": "Mixing <b>",
                "starts_on": "2027-01-10",
                "ends_on": "2026-01-01",
            },
        )
        self.assertContains(response, "Give the cohort a name.")
        self.assertContains(response, "cannot end before it starts")
        self.assertContains(response, "Mixing &lt;b&gt;")

    def test_the_schedule_sets_due_dates_that_students_see(self) -> None:
        self.client.force_login(self.frank)
        stage = Stage.objects.get(slug="production")
        yesterday = dt.date.today() - dt.timedelta(days=1)
        data = {
            "cohort-name": "Autumn",
            "cohort-course": "Foundations",
            f"schedule-due_{stage.pk}": yesterday.isoformat(),
        }
        self.assertRedirects(
            self.client.post(f"/cohorts/{self.cohort.pk}/edit/", data),
            f"/cohorts/{self.cohort.pk}/",
        )
        self.assertEqual(StageDeadline.objects.get(cohort=self.cohort).due_on, yesterday)
        self.started("production")
        self.client.force_login(self.alice)
        page = self.client.get(f"/songs/{self.song.pk}/stages/production/")
        self.assertContains(page, "Late: was due")
        data[f"schedule-due_{stage.pk}"] = ""
        self.client.force_login(self.frank)
        self.client.post(f"/cohorts/{self.cohort.pk}/edit/", data)
        self.assertFalse(StageDeadline.objects.exists())


class ArchiveAndDuplicateTests(BaseTestCase):
    def test_an_archived_cohort_is_read_only_but_browsable(self) -> None:
        record = self.started("production")
        self.client.force_login(self.frank)
        self.client.post(f"/cohorts/{self.cohort.pk}/archive/", {"archive": "1"})
        self.cohort.refresh_from_db()
        self.assertTrue(self.cohort.is_archived)
        self.client.force_login(self.alice)
        page = self.client.get(f"/songs/{self.song.pk}/stages/production/")
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "Submit for review")
        action = record.stage.core_actions.first()
        response = self.client.post(
            f"/songs/{self.song.pk}/stages/production/actions/{action.pk}/", {"done": "on"}
        )
        self.assertContains(response, "“Autumn” is archived", status_code=403)
        self.assertFalse(record.completed_actions.exists())
        self.assertContains(self.client.get("/songs/new/"), "not enrolled as a student")
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(f"/cohorts/{self.cohort.pk}/progress/").status_code, 200)
        self.client.force_login(self.frank)
        self.client.post(f"/cohorts/{self.cohort.pk}/archive/", {"archive": "0"})
        self.cohort.refresh_from_db()
        self.assertFalse(self.cohort.is_archived)

    def test_duplicate_copies_course_coaches_and_shifted_schedule(self) -> None:
        self.cohort.starts_on = dt.date(2026, 9, 1)
        self.cohort.save()
        stage = Stage.objects.get(slug="mixing")
        StageDeadline.objects.create(cohort=self.cohort, stage=stage, due_on=dt.date(2026, 11, 1))
        self.client.force_login(self.frank)
        response = self.client.post(
            f"/cohorts/{self.cohort.pk}/duplicate/",
            {"name": "Autumn 2027", "starts_on": "2027-09-01"},
        )
        copy = Cohort.objects.get(name="Autumn 2027")
        self.assertRedirects(response, f"/cohorts/{copy.pk}/")
        self.assertEqual(copy.course, "Foundations")
        self.assertEqual(copy.deadlines.get().due_on, dt.date(2027, 11, 1))
        self.assertEqual(
            list(copy.memberships.values_list("user__username", "role")), [("bob", "coach")]
        )


class MembershipTests(BaseTestCase):
    def test_a_coach_is_added_by_email_and_may_coach_several_cohorts(self) -> None:
        self.client.force_login(self.frank)
        self.client.post(f"/cohorts/{self.other_cohort.pk}/coaches/", {"who": "BOB@example.com"})
        self.assertEqual(
            set(Cohort.objects.coached_by(self.bob).values_list("name", flat=True)),
            {"Autumn", "Spring"},
        )

    def test_an_unknown_coach_says_what_to_do(self) -> None:
        self.client.force_login(self.frank)
        response = self.client.post(
            f"/cohorts/{self.cohort.pk}/coaches/", {"who": "nobody@example.com"}, follow=True
        )
        self.assertContains(response, "send them a coach invite link instead")

    def test_removing_a_student_keeps_their_songs(self) -> None:
        membership = Membership.objects.get(user=self.alice, cohort=self.cohort)
        self.client.force_login(self.frank)
        self.client.post(f"/cohorts/{self.cohort.pk}/members/{membership.pk}/remove/")
        self.assertFalse(Membership.objects.filter(pk=membership.pk).exists())
        self.assertTrue(Song.objects.filter(pk=self.song.pk, owner=self.alice).exists())
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(f"/songs/{self.song.pk}/").status_code, 200)

    def test_move_and_remove_ask_first_and_name_each_cohort_in_full(self) -> None:
        Cohort.objects.filter(pk=self.other_cohort.pk).update(
            name="Production Foundations · Spring 2027", course="Production Foundations"
        )
        self.client.force_login(self.frank)
        page = self.client.get(f"/cohorts/{self.cohort.pk}/")
        self.assertContains(page, '<summary class="button secondary small">Move…</summary>')
        self.assertContains(page, '<summary class="button secondary small">Remove…</summary>')
        self.assertContains(page, "Yes, remove Carol")
        self.assertContains(
            page, ">Production Foundations · Spring 2027 · Production Foundations</option>"
        )

    def test_moving_a_student_moves_their_songs_to_the_new_coaches(self) -> None:
        membership = Membership.objects.get(user=self.alice, cohort=self.cohort)
        self.client.force_login(self.frank)
        self.client.post(
            f"/cohorts/{self.cohort.pk}/members/{membership.pk}/move/", {"to": self.other_cohort.pk}
        )
        self.song.refresh_from_db()
        self.assertEqual(self.song.cohort, self.other_cohort)
        self.client.force_login(self.erin)
        self.assertEqual(self.client.get(f"/songs/{self.song.pk}/").status_code, 200)
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(f"/songs/{self.song.pk}/").status_code, 404)

    def test_members_of_another_cohort_cannot_be_touched_through_this_one(self) -> None:
        other = Membership.objects.get(user=self.dave)
        self.client.force_login(self.frank)
        response = self.client.post(f"/cohorts/{self.cohort.pk}/members/{other.pk}/remove/")
        self.assertEqual(response.status_code, 404)
        self.assertTrue(Membership.objects.filter(pk=other.pk).exists())

    def test_the_cohort_page_lists_its_students_as_text_for_coach_and_admin(self) -> None:
        eve = make_user("eve", last_name="O'Neil & co")
        eve.first_name = "<b>Eve</b>"
        eve.save()
        member = Membership.objects.create(user=eve, cohort=self.cohort, role=Role.STUDENT)
        admin = make_user("root", is_course_admin=True)
        for viewer, actions in ((self.bob, False), (admin, True)):
            with self.subTest(viewer=viewer.username):
                self.client.force_login(viewer)
                page = self.client.get(f"/cohorts/{self.cohort.pk}/")
                name = "&lt;b&gt;Eve&lt;/b&gt; O&#x27;Neil &amp; co"
                self.assertContains(page, f'<a href="/people/{eve.pk}/tendencies/">{name}</a>')
                self.assertContains(page, "eve@example.com")
                self.assertNotContains(page, "<b>Eve</b>")
                self.assertEqual(f'id="move-{member.pk}"' in page.content.decode(), actions)

    def test_the_cohort_page_shows_its_activity(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(
            "/songs/new/",
            {"title": "Second <i>song</i>", "purpose": "p", "cohort": self.cohort.pk},
        )
        self.client.force_login(self.bob)
        page = self.client.get(f"/cohorts/{self.cohort.pk}/")
        self.assertContains(page, "Alice started “Second &lt;i&gt;song&lt;/i&gt;”.")
        make_user("nobody")
        make_song(self.carol, self.cohort, title="x")
        self.assertEqual(Role.STUDENT, "student")


class DjangoAdminTests(BaseTestCase):
    def test_every_registered_model_lists_and_opens_in_the_admin(self) -> None:
        from django.contrib import admin

        root = make_user("root", is_staff=True, is_superuser=True, is_course_admin=True)
        self.client.force_login(root)
        self.started("mixing")
        for model, model_admin in admin.site._registry.items():
            meta = model._meta
            url = f"/admin/{meta.app_label}/{meta.model_name}/"
            self.assertEqual(self.client.get(url).status_code, 200, url)
            self.assertEqual(self.client.get(url + "?q=a").status_code, 200, url)
            first = model.objects.first()
            if first is not None:
                self.assertEqual(self.client.get(f"{url}{first.pk}/change/").status_code, 200, url)
            self.assertTrue(model_admin.list_display, meta.label)


class ArchivedSongTests(BaseTestCase):
    def test_song_details_and_release_data_are_read_only_in_an_archived_cohort(self) -> None:
        from django.utils import timezone

        Cohort.objects.filter(pk=self.cohort.pk).update(archived_at=timezone.now())
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(f"/songs/{self.song.pk}/").status_code, 200)
        self.assertNotContains(self.client.get(f"/songs/{self.song.pk}/"), "Edit details")
        for url in ["edit/", "release-details/", "retrospective/"]:
            response = self.client.get(f"/songs/{self.song.pk}/{url}")
            self.assertContains(response, "“Autumn” is archived", status_code=403, msg_prefix=url)

    def test_the_song_page_shows_its_history(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(f"/songs/{self.song.pk}/stages/production/start/")
        page = self.client.get(f"/songs/{self.song.pk}/")
        self.assertContains(page, "Alice started Music Production of “Paper Lanterns”.")


class ArchivedBoardTests(BaseTestCase):
    def test_a_student_whose_only_cohort_is_archived_is_not_offered_a_new_song(self) -> None:
        from django.utils import timezone

        self.client.force_login(self.alice)
        self.assertContains(self.client.get("/"), "Start a new song")
        Cohort.objects.filter(pk=self.cohort.pk).update(archived_at=timezone.now())
        self.assertNotContains(self.client.get("/"), "Start a new song")

    def test_the_cohort_page_queries_do_not_grow_with_its_students(self) -> None:
        from tests.base import count_queries

        self.client.force_login(self.frank)
        url = f"/cohorts/{self.cohort.pk}/"
        self.client.get(url)
        few = count_queries(lambda: self.client.get(url))
        students = [make_user(f"extra{i}") for i in range(40)]
        Membership.objects.bulk_create(
            Membership(user=s, cohort=self.cohort, role=Role.STUDENT) for s in students
        )
        self.assertEqual(few, count_queries(lambda: self.client.get(url)))


class DatePickerTests(BaseTestCase):
    def test_existing_dates_show_in_the_pickers_and_survive_a_save(self) -> None:
        stage = Stage.objects.get(slug="mixing")
        Cohort.objects.filter(pk=self.cohort.pk).update(starts_on=dt.date(2026, 9, 14))
        StageDeadline.objects.create(cohort=self.cohort, stage=stage, due_on=dt.date(2026, 11, 2))
        self.client.force_login(self.frank)
        page = self.client.get(f"/cohorts/{self.cohort.pk}/edit/")
        self.assertContains(page, 'value="2026-09-14"')
        self.assertContains(page, 'value="2026-11-02"')
        duplicate = self.client.get(f"/cohorts/{self.cohort.pk}/duplicate/")
        self.assertContains(duplicate, 'value="2026-09-14"')

    def test_not_found_uses_the_sites_own_page(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.get("/no/such/page/")
        self.assertContains(response, "There is nothing here", status_code=404)


class CohortStudentPagesTests(BaseTestCase):
    """The cohort page lists its students fifty a page, by name."""

    def names_on(self, url: str) -> list[str]:
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        return [member.user.username for member, _, _ in page.context["students"]]

    def test_every_student_is_on_exactly_one_page_in_name_order(self) -> None:
        add_students(self.cohort.pk, 57, "pager")  # with alice and carol: 59
        self.client.force_login(self.bob)
        url = f"/cohorts/{self.cohort.pk}/"
        first, second = self.names_on(url), self.names_on(url + "?page=2")
        self.assertEqual((len(first), len(second)), (50, 9))
        students = Membership.objects.filter(cohort=self.cohort, role=Role.STUDENT)
        expected = list(
            students.order_by(
                "user__first_name", "user__last_name", "user__username", "user_id"
            ).values_list("user__username", flat=True)
        )
        self.assertEqual(first + second, expected)
        self.assertEqual(self.names_on(url + "?page=9"), second)  # past the end: the last
        # A search pages the same way over what it finds.
        self.assertEqual(self.names_on(url + "?q=pager&page=2"), expected[-7:])

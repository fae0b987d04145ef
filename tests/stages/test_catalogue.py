from __future__ import annotations

from django.test import TestCase

from stages.models import Stage
from tests.base import make_user

EXPECTED = [
    (1, "production", "Music Production", "The Vision", "control", "chaos"),
    (2, "songwriting", "Songwriting", "The Message", "heart", "craft"),
    (3, "pre-production", "Pre-Production", "The Blueprint", "structure", "spontaneity"),
    (4, "recording", "Recording", "The Performance", "technical focus", "emotional freedom"),
    (5, "editing", "Editing", "The Refinement", "precision", "preservation"),
    (6, "mixing", "Mixing", "The Balance", "loud", "clear"),
    (7, "mastering", "Mastering", "The Translation", "impact", "integrity"),
]


class StageCatalogueTests(TestCase):
    def test_the_catalogue_ships_the_seven_stages_in_order(self) -> None:
        got = [
            (s.order, s.slug, s.name, s.theme, s.left_pole, s.right_pole)
            for s in Stage.objects.all()
        ]
        self.assertEqual(got, EXPECTED)

    def test_each_stage_has_three_core_actions_a_question_and_a_takeaway(self) -> None:
        for stage in Stage.objects.prefetch_related("core_actions"):
            self.assertEqual(len(stage.core_actions.all()), 3, stage.slug)
            self.assertTrue(stage.question.endswith("?"), stage.slug)
            self.assertTrue(stage.takeaway, stage.slug)

    def test_core_actions_keep_their_catalogue_names(self) -> None:
        mastering = Stage.objects.get(slug="mastering")
        self.assertEqual(
            [a.title for a in mastering.core_actions.all()],
            ["Match loudness", "Keep the dynamics", "Export with intent"],
        )
        recording = Stage.objects.get(slug="recording")
        self.assertEqual(
            [a.title for a in recording.core_actions.all()],
            ["Capture emotion", "Set proper gain and leave headroom", "Document everything"],
        )

    def test_a_course_admin_edits_a_stage_in_the_django_admin(self) -> None:
        admin = make_user("root", is_staff=True, is_superuser=True, is_course_admin=True)
        self.client.force_login(admin)
        stage = Stage.objects.get(slug="mixing")
        url = f"/admin/stages/stage/{stage.pk}/change/"
        page = self.client.get(url)
        self.assertContains(page, "Shape EQ and dynamics")
        data = {
            "order": 6,
            "slug": "mixing",
            "name": "Mixing",
            "theme": "The Balance",
            "question": stage.question,
            "summary": "New words.",
            "left_pole": "loud",
            "right_pole": "clear",
            "balance_note": "",
            "takeaway": stage.takeaway,
            "core_actions-TOTAL_FORMS": 3,
            "core_actions-INITIAL_FORMS": 3,
        }
        for index, action in enumerate(stage.core_actions.all()):
            data |= {
                f"core_actions-{index}-id": action.pk,
                f"core_actions-{index}-stage": stage.pk,
                f"core_actions-{index}-position": action.position,
                f"core_actions-{index}-title": action.title,
                f"core_actions-{index}-detail": action.detail,
            }
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        stage.refresh_from_db()
        self.assertEqual(stage.summary, "New words.")

"""The stage record's status rules, enforced by the model whatever the UI shows."""

from __future__ import annotations

from stages.models import JOURNAL_MAX_CHARS, StageRuleError, Status
from tests.base import BaseTestCase


class CreationTests(BaseTestCase):
    def test_a_new_song_has_seven_records_not_started(self) -> None:
        records = list(self.song.records.order_by("stage__order"))
        self.assertEqual(len(records), 7)
        self.assertEqual({r.status for r in records}, {Status.NOT_STARTED})


class StartTests(BaseTestCase):
    def test_the_first_stage_can_always_start(self) -> None:
        record = self.record("production")
        self.assertTrue(record.start())
        record.refresh_from_db()
        self.assertEqual(record.status, Status.IN_PROGRESS)
        self.assertIsNotNone(record.started_at)

    def test_a_stage_waits_until_the_previous_one_is_submitted(self) -> None:
        with self.assertRaisesMessage(StageRuleError, "Submit Music Production for review"):
            self.record("songwriting").start()
        self.record("production").start()
        with self.assertRaises(StageRuleError):
            self.record("songwriting").start()

    def test_a_stage_can_start_while_the_previous_one_is_in_review(self) -> None:
        self.complete(self.record("production"))
        self.assertTrue(self.record("songwriting").start())

    def test_starting_twice_is_a_quiet_no_op(self) -> None:
        record = self.record("production")
        record.start()
        self.assertFalse(record.start())


class SubmitTests(BaseTestCase):
    def test_a_submission_needs_every_core_action_and_a_balance_placement(self) -> None:
        record = self.started("production")
        with self.assertRaisesMessage(StageRuleError, "tick all 3 core actions (0 of 3 done)"):
            record.submit()
        for action in record.stage.core_actions.all():
            record.set_action_done(action, True)
        with self.assertRaisesMessage(StageRuleError, "place yourself between control and chaos"):
            record.submit()
        record.place_balance(-2)
        self.assertTrue(record.submit())
        record.refresh_from_db()
        self.assertEqual(record.status, Status.SUBMITTED)
        self.assertIsNotNone(record.submitted_at)

    def test_a_stage_not_started_cannot_be_submitted(self) -> None:
        with self.assertRaises(StageRuleError):
            self.record("production").submit()

    def test_submitting_twice_is_a_quiet_no_op(self) -> None:
        record = self.complete(self.record("production"))
        self.assertFalse(record.submit())

    def test_a_stale_copy_cannot_submit_an_approved_record(self) -> None:
        record = self.complete(self.record("production"))
        stale = self.record("production")
        record.approve()
        with self.assertRaises(StageRuleError):
            stale.submit()


class ReviewOutcomeTests(BaseTestCase):
    def test_approval_and_changes_need_a_submission(self) -> None:
        record = self.started("production")
        with self.assertRaises(StageRuleError):
            record.approve()
        with self.assertRaises(StageRuleError):
            record.request_changes()

    def test_changes_requested_opens_the_record_for_work_again(self) -> None:
        record = self.complete(self.record("production"))
        record.request_changes()
        self.assertTrue(record.is_open)
        record.write_journal("Reworked the purpose.")
        self.assertTrue(record.submit())

    def test_approval_locks_the_record(self) -> None:
        record = self.complete(self.record("production"))
        record.approve()
        record.refresh_from_db()
        self.assertEqual(record.status, Status.APPROVED)
        self.assertIsNotNone(record.approved_at)
        with self.assertRaises(StageRuleError):
            record.write_journal("late edit")
        with self.assertRaises(StageRuleError):
            record.place_balance(1)


class ReopenTests(BaseTestCase):
    def test_an_approved_earlier_stage_can_be_reopened(self) -> None:
        self.started("mixing")
        recording = self.record("recording")
        self.assertTrue(recording.reopen())
        recording.refresh_from_db()
        self.assertEqual(recording.status, Status.IN_PROGRESS)
        self.assertEqual(recording.reopened_count, 1)
        self.assertEqual(self.record("mixing").status, Status.IN_PROGRESS)

    def test_reopening_moves_the_song_back_to_that_stage(self) -> None:
        self.started("mixing")
        self.record("recording").reopen()
        from songs.models import Song

        song = Song.objects.get(pk=self.song.pk).load_work(newest_first=True)
        self.assertEqual(song.current_record().stage.slug, "recording")

    def test_a_submission_can_be_withdrawn_by_reopening(self) -> None:
        record = self.complete(self.record("production"))
        self.assertTrue(record.reopen())
        self.assertTrue(record.is_open)

    def test_a_stage_never_started_cannot_be_reopened(self) -> None:
        with self.assertRaises(StageRuleError):
            self.record("mastering").reopen()

    def test_reopening_an_open_stage_is_a_quiet_no_op(self) -> None:
        record = self.started("production")
        self.assertFalse(record.reopen())
        record.refresh_from_db()
        self.assertEqual(record.reopened_count, 0)


class EditingTests(BaseTestCase):
    def test_nothing_changes_before_the_stage_starts(self) -> None:
        record = self.record("production")
        action = record.stage.core_actions.first()
        with self.assertRaisesMessage(StageRuleError, "Start the stage first"):
            record.set_action_done(action, True)
        with self.assertRaises(StageRuleError):
            record.write_journal("early")

    def test_ticks_are_saved_and_can_be_undone(self) -> None:
        record = self.started("production")
        action = record.stage.core_actions.first()
        record.set_action_done(action, True)
        record.set_action_done(action, True)
        self.assertEqual(record.completed_actions.count(), 1)
        record.set_action_done(action, False)
        self.assertEqual(record.completed_actions.count(), 0)

    def test_an_action_of_another_stage_is_refused(self) -> None:
        record = self.started("production")
        foreign = self.record("mixing").stage.core_actions.first()
        with self.assertRaises(StageRuleError):
            record.set_action_done(foreign, True)

    def test_balance_stays_between_the_poles(self) -> None:
        record = self.started("production")
        for value in (-5, 0, 5):
            record.place_balance(value)
        for value in (-6, 6):
            with self.assertRaises(StageRuleError):
                record.place_balance(value)
        record.refresh_from_db()
        self.assertEqual(record.self_balance, 5)

    def test_the_journal_has_a_size_limit(self) -> None:
        record = self.started("production")
        with self.assertRaisesMessage(StageRuleError, "20,000 characters"):
            record.write_journal("x" * (JOURNAL_MAX_CHARS + 1))

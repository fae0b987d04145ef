"""Stage workflows that leave a trace: starting and reopening a stage (submitting one also
tells the coaches, so it lives in coaching.services)."""

from __future__ import annotations

from coaching import activity
from coaching.models import User
from stages.models import StageRecord


def start_record(*, record: StageRecord, by: User) -> bool:
    return _logged(record, by, "started", record.start())


def reopen_record(*, record: StageRecord, by: User) -> bool:
    return _logged(record, by, "reopened", record.reopen())


def _logged(record: StageRecord, by: User, verb: str, changed: bool) -> bool:
    if changed:
        activity.log(
            actor=by,
            verb=verb,
            message=f"{by.display_name} {verb} {record.stage.name} of “{record.song.title}”.",
            song=record.song,
        )
    return changed

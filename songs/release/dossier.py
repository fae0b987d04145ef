"""The release dossier: a song's journey through the seven stages, its loudness across
versions, the master's report and readiness, as one printable page and as JSON.

Pure over loaded objects (the view loads them in a fixed number of queries).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coaching.models import Review
from songs import charts
from songs.analysis import Check
from songs.models import Bounce, MusicState, Song
from songs.release import artwork as cover
from songs.release.readiness import Readiness
from stages.models import StageRecord

# The report keys the dossier's JSON carries for the master: everything but the long
# per-column arrays (waveform, loudness curve), which belong to the bounce page.
_REPORT_LEFT_OUT = {"waveform", "loudness_curve"}


@dataclass(frozen=True)
class StageJourney:
    record: StageRecord
    reviews: list[Review]


def journey(records: Sequence[StageRecord], reviews: Iterable[Review]) -> list[StageJourney]:
    by_record: dict[int, list[Review]] = {}
    for review in reviews:
        by_record.setdefault(review.record_id, []).append(review)
    return [
        StageJourney(record, sorted(by_record.get(record.pk, []), key=lambda r: r.round))
        for record in records
    ]


def started(song: Song, records: Sequence[StageRecord]) -> datetime:
    """When the song's journey began: its creation, or its first stage if that is earlier
    (work brought in from before the song was entered)."""
    starts = [record.started_at for record in records if record.started_at is not None]
    return min([song.created_at, *starts])


def history(records: Sequence[StageRecord]) -> list[Bounce]:
    """Every bounce of the song in the order it was uploaded (across stages)."""
    bounces = [bounce for record in records for bounce in record.bounces.all()]
    return sorted(bounces, key=lambda bounce: (bounce.created_at, bounce.pk))


def history_chart(
    versions: Sequence[Bounce], *, target_lufs: float | None
) -> charts.HistoryChart[Bounce]:
    return charts.loudness_history(
        versions, lufs_of=lambda bounce: bounce.integrated_lufs, target_lufs=target_lufs
    )


def balance_chart(
    stages: Sequence[StageJourney], *, narrow: bool = False
) -> charts.BalanceChart[StageRecord]:
    """Each stage's balance point: the student's place and the coach's in every round,
    laid out for a page's width or, `narrow`, for a phone's."""
    return charts.balance_chart(
        [
            (
                step.record,
                step.record.self_balance,
                [(review.round, review.coach_balance) for review in step.reviews],
            )
            for step in stages
        ],
        charts.BALANCE_NARROW if narrow else charts.BALANCE_WIDE,
    )


def dossier_json(
    *,
    song: Song,
    stages: Sequence[StageJourney],
    versions: Sequence[Bounce],
    readiness: Readiness,
    master_checks: Sequence[Check],
) -> dict[str, Any]:
    """The dossier as data; the master's checks are those judged now (`master_checks`)."""
    master = readiness.master
    report: dict[str, Any] = {}
    if master is not None and master.report:
        report = {k: v for k, v in master.report.items() if k not in _REPORT_LEFT_OUT}
        report["checks"] = [check.to_dict() for check in master_checks]
    return {
        "song": {
            "id": song.pk,
            "title": song.title,
            "artist": song.release_artist,
            "owner": song.owner.display_name,
            "cohort": song.cohort.name,
            "isrc": song.isrc or None,
            "purpose": song.purpose,
            "core_emotion": song.core_emotion,
            "hook": song.hook,
            "tempo_bpm": song.tempo_bpm,
            "key": song.key,
            "created_at": _iso(song.created_at),
            "started_at": _iso(started(song, stages_records(stages))),
            "released_at": _iso(song.released_at),
            "archived_at": _iso(song.archived_at),
            "artwork": (
                {
                    "format": song.artwork_format,
                    "width_px": song.artwork_width_px,
                    "height_px": song.artwork_height_px,
                    "mode": song.artwork_mode,
                    "size_bytes": song.artwork_size_bytes,
                    "checks": [
                        {"id": c.id, "status": c.status.value, "message": c.message}
                        for c in cover.checks_for(song)
                    ],
                }
                if song.artwork
                else None
            ),
        },
        "stages": [_stage_json(step) for step in stages],
        "loudness_history": [
            {
                "bounce": bounce.pk,
                "stage": bounce.record.stage.slug,
                "version": bounce.version,
                "uploaded_at": _iso(bounce.created_at),
                "analysis": bounce.analysis_state,
                "integrated_lufs": bounce.integrated_lufs,
                "true_peak_dbtp": bounce.true_peak_dbtp,
                "loudness_range_lu": bounce.loudness_range_lu,
            }
            for bounce in versions
        ],
        "master": (
            {
                "bounce": master.pk,
                "version": master.version,
                "approved": readiness.master_approved,
                "original_name": master.original_name,
                "analysed_at": _iso(master.analysed_at),
                "report": report,
                # The musical pass (tempo, key, tuning, tonal balance), when it has run.
                "music": master.music if master.music_state == MusicState.DONE else None,
            }
            if master
            else None
        ),
        "readiness": readiness.as_dict(),
        "retrospective": (
            {
                "what_worked": song.retro_worked,
                "what_to_change": song.retro_change,
                "next_habit": song.next_habit,
                "written_at": _iso(song.retrospective_at),
            }
            if song.has_retrospective
            else None
        ),
    }


def stages_records(stages: Sequence[StageJourney]) -> list[StageRecord]:
    return [step.record for step in stages]


def _stage_json(step: StageJourney) -> dict[str, Any]:
    record = step.record
    return {
        "order": record.stage.order,
        "slug": record.stage.slug,
        "name": record.stage.name,
        "status": record.status,
        "started_at": _iso(record.started_at),
        "submitted_at": _iso(record.submitted_at),
        "approved_at": _iso(record.approved_at),
        "reopened": record.reopened_count,
        "rounds": record.round,
        "balance": {
            "left_pole": record.stage.left_pole,
            "right_pole": record.stage.right_pole,
            "self": record.self_balance,
        },
        "reviews": [
            {
                "round": review.round,
                "coach": review.coach.display_name,
                "verdict": review.verdict,
                "at": _iso(review.created_at),
                "summary": review.summary,
                "coach_balance": review.coach_balance,
                "self_balance": review.self_balance,
                "balance_comment": review.balance_comment,
            }
            for review in step.reviews
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None

"""Release readiness, the release dossier's data, and the release workflow.

`readiness()` is pure: it judges objects already loaded (a song, its seven records, the
Mastering stage's bounces, a delivery profile) and never queries, so it is cheap to call
on the song page, which has prefetched all of them. Each item is pass / warn / fail with
a reason a student can act on; the song is ready to release only when every item passes.

The master judged is the approved Mastering bounce (the latest version uploaded before
the stage was approved, when it was analysed), or else the latest analysed Mastering
bounce. The loudness, true-peak and dynamics items reuse the judgements stored in the
master's analysis report, so they say exactly what the bounce page said; format, tags,
ISRC and artwork are judged here against the song and its delivery profile.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from songs import artwork as cover
from songs.analysis.formats import AudioFormat
from songs.models import (
    AnalysisState,
    Bounce,
    DeliveryProfile,
    ReleaseRuleError,
    Song,
    format_isrc,
)
from stages.models import Status

if TYPE_CHECKING:
    from coaching.models import Review
    from stages.models import StageRecord

PASS, WARN, FAIL = cover.PASS, cover.WARN, cover.FAIL
MASTERING = "mastering"
NEEDS_MASTER = "Waiting for an analysed master."
_FORMATS = {member.value for member in AudioFormat}


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    status: str
    reason: str


@dataclass(frozen=True)
class Readiness:
    items: tuple[Item, ...]
    profile: DeliveryProfile
    master: Bounce | None
    master_approved: bool

    @property
    def ready(self) -> bool:
        return all(item.status == PASS for item in self.items)

    @property
    def to_fix(self) -> int:
        return sum(item.status != PASS for item in self.items)

    def item(self, item_id: str) -> Item:
        return next(item for item in self.items if item.id == item_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "profile": {
                "name": self.profile.name,
                "description": self.profile.description,
                "formats": list(self.profile.formats),
                "min_sample_rate_hz": self.profile.min_sample_rate_hz,
                "min_bit_depth": self.profile.min_bit_depth,
            },
            "master": (
                {"bounce": self.master.pk, "version": self.master.version}
                | {"approved": self.master_approved}
                if self.master
                else None
            ),
            "items": [
                {"id": i.id, "label": i.label, "status": i.status, "reason": i.reason}
                for i in self.items
            ],
        }


# --- Readiness ------------------------------------------------------------------------------


def readiness_for(song: Song) -> Readiness:
    """Readiness from `song.records` and the Mastering record's `bounces`, through the
    prefetch cache when the caller filled it (see SongQuerySet.with_records)."""
    records = song.ordered_records()
    mastering = next((r for r in records if r.stage.slug == MASTERING), None)
    bounces = list(mastering.bounces.all()) if mastering else []
    return readiness(
        song=song,
        records=records,
        mastering=mastering,
        bounces=bounces,
        profile=song.release_profile,
    )


def readiness(
    *,
    song: Song,
    records: Sequence[StageRecord],
    mastering: StageRecord | None,
    bounces: Sequence[Bounce],
    profile: DeliveryProfile,
) -> Readiness:
    master, approved = pick_master(mastering, bounces)
    report = master.report if master is not None else None
    items = [
        _stages(records),
        _master(master, approved, bounces),
        *_from_checks(report),
        _format(report, profile),
        _tags(report, song),
        _isrc(report, song),
        _artwork(song),
    ]
    return Readiness(tuple(items), profile, master, approved)


def pick_master(
    mastering: StageRecord | None, bounces: Iterable[Bounce]
) -> tuple[Bounce | None, bool]:
    """The approved Mastering bounce if it was analysed, else the latest analysed one;
    and whether the one returned is the approved one."""
    bounces = sorted(bounces, key=lambda bounce: bounce.version, reverse=True)
    if mastering is not None and mastering.status == Status.APPROVED and mastering.approved_at:
        # Reviews approve a stage, not a file: the approved master is what the coach had
        # in front of them, the newest version uploaded before the approval.
        approved = next((b for b in bounces if b.created_at <= mastering.approved_at), None)
        if approved is not None and approved.analysis_state == AnalysisState.DONE:
            return approved, True
    latest = next((b for b in bounces if b.analysis_state == AnalysisState.DONE), None)
    return latest, False


def _stages(records: Sequence[StageRecord]) -> Item:
    label = "Every stage approved"
    waiting = [r for r in records if r.status != Status.APPROVED]
    if not records:
        return Item("stages", label, FAIL, "The song has no stages.")
    if not waiting:
        return Item("stages", label, PASS, f"All {len(records)} stages are approved.")
    listed = ", ".join(f"{r.stage.name} ({r.get_status_display().lower()})" for r in waiting)
    return Item("stages", label, FAIL, f"Not approved yet: {listed}.")


def _master(master: Bounce | None, approved: bool, bounces: Sequence[Bounce]) -> Item:
    label = "Analysed master"
    newest = max(bounces, key=lambda bounce: bounce.version, default=None)
    if master is None:
        if newest is None:
            reason = "No master yet: upload your final export on the Mastering stage."
        elif newest.analysis_pending:
            reason = f"{newest.label} is still being analysed; this list updates once it is."
        else:
            reason = (
                f"{newest.label} could not be analysed ({newest.analysis_error or 'no reason'})"
                " Export the master again and upload it as a new version."
            )
        return Item("master", label, FAIL, reason)
    when = f", analysed {_day(master.analysed_at)}" if master.analysed_at else ""
    which = "the approved master" if approved else "the latest analysed master"
    reason = f"Judged on {master.label}, {which}{when}."
    if newest is not None and newest.pk != master.pk and newest.analysis_pending:
        reason += f" {newest.label} is still being analysed."
    return Item("master", label, PASS, reason)


def _from_checks(report: dict[str, Any] | None) -> list[Item]:
    """Loudness, true peak and dynamics: the master's own analysis judgements."""
    found = {check["id"]: check for check in (report or {}).get("checks") or []}
    groups = [
        ("loudness", "Loudness", ["integrated_loudness"]),
        ("true_peak", "True peak", ["true_peak"]),
        ("dynamics", "Dynamics", ["loudness_range", "peak_to_loudness"]),
    ]
    items = []
    for item_id, label, check_ids in groups:
        if report is None:
            items.append(Item(item_id, label, FAIL, NEEDS_MASTER))
            continue
        present = [found[check_id] for check_id in check_ids if check_id in found]
        if not present:
            items.append(
                Item(
                    item_id,
                    label,
                    FAIL,
                    "The master's analysis could not measure this (is the file very short "
                    "or silent?). Upload the full song.",
                )
            )
            continue
        status = cover.worst([check["status"] for check in present])
        shown = [c for c in present if c["status"] != PASS] or present
        items.append(Item(item_id, label, status, " ".join(c["message"] for c in shown)))
    return items


def _format(report: dict[str, Any] | None, profile: DeliveryProfile) -> Item:
    label = f"Delivery format ({profile.name})"
    if report is None:
        return Item("format", label, FAIL, NEEDS_MASTER)
    fmt = str(report.get("format") or "")
    rate = report.get("sample_rate") or 0
    depth = report.get("bit_depth")
    described = " ".join(
        part
        for part in [
            AudioFormat(fmt).label if fmt in _FORMATS else fmt.upper(),
            f"{rate / 1000:g} kHz" if rate else "",
            f"{depth}-bit" if depth else "",
        ]
        if part
    )
    problems = []
    if fmt not in profile.formats:
        problems.append(
            f"the file is {described.split(' ')[0]}; deliver {_or(profile.format_labels)}"
        )
    if rate < profile.min_sample_rate_hz:
        problems.append(
            f"its sample rate is {rate / 1000:g} kHz; export at "
            f"{profile.min_sample_rate_hz / 1000:g} kHz or more"
        )
    if depth is None:
        problems.append(
            f"it has no fixed bit depth (a lossy file); export {profile.min_bit_depth}-bit or more"
        )
    elif depth < profile.min_bit_depth:
        problems.append(f"it is {depth}-bit; export {profile.min_bit_depth}-bit or more")
    if problems:
        return Item("format", label, FAIL, f"{described}: " + "; ".join(problems) + ".")
    return Item("format", label, PASS, f"{described} fits {profile.description}.")


def _tags(report: dict[str, Any] | None, song: Song) -> Item:
    label = "Title and artist tags"
    if report is None:
        return Item("tags", label, FAIL, NEEDS_MASTER)
    tags = report.get("tags") or {}
    problems = []
    for name, expected in (("title", song.title), ("artist", song.release_artist)):
        found = (tags.get(name) or "").strip()
        if not found:
            problems.append(f"it has no {name} tag (it should read “{expected}”)")
        elif not _same(found, expected):
            problems.append(f"its {name} tag reads “{found}” but the song's {name} is “{expected}”")
    if problems:
        return Item(
            "tags",
            label,
            FAIL,
            "The master's tags do not match the song: "
            + "; ".join(problems)
            + ". Fix the tags when you export (or the song's details here).",
        )
    return Item("tags", label, PASS, f"Tagged “{song.title}” by {song.release_artist}.")


def _isrc(report: dict[str, Any] | None, song: Song) -> Item:
    label = "ISRC"
    if not song.isrc:
        return Item(
            "isrc",
            label,
            FAIL,
            "The song has no ISRC yet. Get one from your distributor or national ISRC agency "
            "and enter it in the release details.",
        )
    expected = song.isrc_display
    if report is None:
        return Item("isrc", label, FAIL, NEEDS_MASTER)
    embedded = report.get("isrc")
    if not embedded:
        return Item(
            "isrc",
            label,
            FAIL,
            f"The master carries no ISRC tag: embed {expected} when you export.",
        )
    if not report.get("isrc_valid"):
        return Item(
            "isrc",
            label,
            FAIL,
            f"The master's ISRC tag reads “{embedded}”, which is not a valid ISRC: embed "
            f"{expected} instead.",
        )
    if embedded != song.isrc:
        return Item(
            "isrc",
            label,
            FAIL,
            f"The master's ISRC tag is {format_isrc(embedded)} but the song's ISRC is "
            f"{expected}: fix whichever is wrong.",
        )
    return Item("isrc", label, PASS, f"The master carries the song's ISRC, {expected}.")


def _artwork(song: Song) -> Item:
    label = "Cover artwork"
    results = song.artwork_checks()
    if not results:
        return Item(
            "artwork",
            label,
            FAIL,
            f"No cover yet: upload a square JPEG or PNG, {cover.RECOMMENDED_PX} x "
            f"{cover.RECOMMENDED_PX} pixels.",
        )
    status = cover.worst([check.status for check in results])
    if status == PASS:
        return Item(
            "artwork",
            label,
            PASS,
            f"{song.artwork_format}, {song.artwork_width_px} x {song.artwork_height_px} "
            "pixels, RGB: ready for stores.",
        )
    return Item("artwork", label, status, " ".join(c.message for c in results if c.status != PASS))


def _same(found: str, expected: str) -> bool:
    """Tags match when they read the same to a person: case, spacing and Unicode forms
    (a composed or decomposed é) aside."""

    def key(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())

    return key(found) == key(expected)


def _or(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


# --- The release workflow -------------------------------------------------------------------


def release_song(*, song: Song) -> bool:
    """Mark `song` released if every readiness item passes, judged on fresh data.

    Raises ReleaseRuleError naming what is not ready. Returns False if it already was.
    """
    with transaction.atomic():
        Song.objects.select_for_update().filter(pk=song.pk).first()
        fresh = Song.objects.with_release().get(pk=song.pk)
        current = fresh.readiness
        if fresh.is_released:
            return False
        if not current.ready:
            missing = ", ".join(item.label.lower() for item in current.items if item.status != PASS)
            raise ReleaseRuleError(f"Not ready to release yet. Still to pass: {missing}.")
        changed = fresh.mark_released()
    song.released_at = fresh.released_at
    return changed


# --- The dossier ----------------------------------------------------------------------------

HISTORY_WIDTH = 720
HISTORY_HEIGHT = 240
HISTORY_LEFT = 48
HISTORY_RIGHT = 16
HISTORY_TOP = 14
HISTORY_BOTTOM = 40
HISTORY_FLOOR_LUFS = -36.0
HISTORY_CEILING_LUFS = 0.0


@dataclass(frozen=True)
class StageJourney:
    record: StageRecord
    reviews: list[Review]


@dataclass(frozen=True)
class HistoryPoint:
    bounce: Bounce
    stage_name: str
    x: float
    y: float | None


@dataclass(frozen=True)
class HistoryChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    points: list[HistoryPoint]
    line: str
    ticks: list[tuple[float, str]]
    target_y: float | None
    target_label: str


def journey(records: Sequence[StageRecord], reviews: Iterable[Review]) -> list[StageJourney]:
    by_record: dict[int, list[Review]] = {}
    for review in reviews:
        by_record.setdefault(review.record_id, []).append(review)
    return [
        StageJourney(record, sorted(by_record.get(record.pk, []), key=lambda r: r.round))
        for record in records
    ]


def history(records: Sequence[StageRecord]) -> list[Bounce]:
    """Every bounce of the song in the order it was uploaded (across stages)."""
    bounces = [bounce for record in records for bounce in record.bounces.all()]
    return sorted(bounces, key=lambda bounce: (bounce.created_at, bounce.pk))


def history_chart(bounces: Sequence[Bounce], *, target_lufs: float | None) -> HistoryChart:
    """Integrated loudness of each version, left to right in upload order."""
    right = HISTORY_WIDTH - HISTORY_RIGHT
    bottom = HISTORY_HEIGHT - HISTORY_BOTTOM
    span = HISTORY_CEILING_LUFS - HISTORY_FLOOR_LUFS

    def y_of(lufs: float) -> float:
        clamped = min(max(lufs, HISTORY_FLOOR_LUFS), HISTORY_CEILING_LUFS)
        return round(
            HISTORY_TOP + (HISTORY_CEILING_LUFS - clamped) / span * (bottom - HISTORY_TOP), 1
        )

    step = (right - HISTORY_LEFT) / max(len(bounces), 1)
    points = [
        HistoryPoint(
            bounce=bounce,
            stage_name=bounce.record.stage.name,
            x=round(HISTORY_LEFT + step * (index + 0.5), 1),
            y=y_of(bounce.integrated_lufs) if bounce.integrated_lufs is not None else None,
        )
        for index, bounce in enumerate(bounces)
    ]
    line = " ".join(f"{p.x},{p.y}" for p in points if p.y is not None)
    ticks = [
        (y_of(value), f"{value:g}")
        for value in range(int(HISTORY_FLOOR_LUFS), int(HISTORY_CEILING_LUFS) + 1, 6)
    ]
    return HistoryChart(
        width=HISTORY_WIDTH,
        height=HISTORY_HEIGHT,
        plot_left=HISTORY_LEFT,
        plot_right=right,
        plot_bottom=bottom,
        points=points,
        line=line,
        ticks=ticks,
        target_y=y_of(target_lufs) if target_lufs is not None else None,
        target_label=f"target {target_lufs:g} LUFS" if target_lufs is not None else "",
    )


# The report keys the dossier's JSON carries for the master: everything but the long
# per-column arrays (waveform, loudness curve), which belong to the bounce page.
_REPORT_LEFT_OUT = {"waveform", "loudness_curve"}


def dossier_json(
    *,
    song: Song,
    stages: Sequence[StageJourney],
    versions: Sequence[Bounce],
    readiness: Readiness,
) -> dict[str, Any]:
    master = readiness.master
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
                        {"id": c.id, "status": c.status, "message": c.message}
                        for c in song.artwork_checks()
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
                "report": {
                    key: value
                    for key, value in (master.report or {}).items()
                    if key not in _REPORT_LEFT_OUT
                },
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


def _day(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


BALANCE_WIDTH = 720
BALANCE_ROW = 34
BALANCE_TOP = 26
BALANCE_SCALE_LEFT = 300
BALANCE_SCALE_RIGHT = 560
BALANCE_MIN, BALANCE_MAX = -5, 5


@dataclass(frozen=True)
class BalanceMark:
    x: float
    value: int
    round: int


@dataclass(frozen=True)
class BalanceRow:
    record: StageRecord
    y: int
    self_x: float | None
    coach: list[BalanceMark]


@dataclass(frozen=True)
class BalanceChart:
    width: int
    height: int
    scale_left: int
    scale_right: int
    centre: float
    rows: list[BalanceRow]


def balance_chart(stages: Sequence[StageJourney]) -> BalanceChart:
    """Each stage's balance point: the student's place and the coach's in every round."""
    span = BALANCE_SCALE_RIGHT - BALANCE_SCALE_LEFT

    def x_of(value: int) -> float:
        return round(
            BALANCE_SCALE_LEFT + (value - BALANCE_MIN) / (BALANCE_MAX - BALANCE_MIN) * span, 1
        )

    rows = [
        BalanceRow(
            record=step.record,
            y=BALANCE_TOP + index * BALANCE_ROW,
            self_x=x_of(step.record.self_balance) if step.record.self_balance is not None else None,
            coach=[
                BalanceMark(x_of(r.coach_balance), r.coach_balance, r.round) for r in step.reviews
            ],
        )
        for index, step in enumerate(stages)
    ]
    return BalanceChart(
        width=BALANCE_WIDTH,
        height=BALANCE_TOP + len(rows) * BALANCE_ROW,
        scale_left=BALANCE_SCALE_LEFT,
        scale_right=BALANCE_SCALE_RIGHT,
        centre=x_of(0),
        rows=rows,
    )

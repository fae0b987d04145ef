"""Release readiness: is this song ready to release, item by item.

`readiness()` judges objects already loaded (a song, its seven records, the Mastering
stage's bounces, a delivery profile) and queries nothing but the master's report, so it is
cheap on the song page, which has prefetched the rest. Each item is pass / warn / fail with
a reason a student can act on; the song is ready to release only when every item passes.

The master judged is the approved Mastering bounce (the latest version uploaded before the
stage was approved, when it was analysed), or else the latest analysed Mastering bounce.
Every item about the file is the engine's own check of the master, judged with the song's
rulebook (`Bounce.judge`): loudness, true peak and dynamics against the site's targets;
format, tags and ISRC against the song's delivery profile and release details. So the
bounce page and this list say the same thing about the same file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from coaching.dates import day_month_year
from songs.analysis import Check, Status, Targets
from songs.models import AnalysisState, Bounce, DeliveryProfile, Song
from songs.release import artwork as cover
from stages.models import StageRecord
from stages.models import Status as RecordStatus

MASTERING = "mastering"
NEEDS_MASTER = "Waiting for an analysed master."


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    status: Status
    reason: str


@dataclass(frozen=True)
class Readiness:
    items: tuple[Item, ...]
    profile: DeliveryProfile
    master: Bounce | None
    master_approved: bool

    @property
    def ready(self) -> bool:
        return all(item.status == Status.PASS for item in self.items)

    @property
    def to_fix(self) -> int:
        return sum(item.status != Status.PASS for item in self.items)

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
                {"id": i.id, "label": i.label, "status": i.status.value, "reason": i.reason}
                for i in self.items
            ],
        }


def readiness_for(song: Song, *, targets: Targets) -> Readiness:
    """Readiness from `song.records` and the Mastering record's `bounces`, through the
    ones Song.load_work gave the song when the caller loaded them."""
    records = song.ordered_records()
    mastering = next((r for r in records if r.stage.slug == MASTERING), None)
    bounces = list(mastering.bounces.all()) if mastering else []
    return readiness(
        song=song, records=records, mastering=mastering, bounces=bounces, targets=targets
    )


def readiness(
    *,
    song: Song,
    records: Sequence[StageRecord],
    mastering: StageRecord | None,
    bounces: Sequence[Bounce],
    targets: Targets,
) -> Readiness:
    profile = song.release_profile
    master, approved = pick_master(mastering, bounces)
    judged = {check.id: check for check in master.judge(targets)} if master else None
    items = [
        _stages(records),
        _master(master, approved, bounces),
        *_file_items(judged, song, profile),
        _artwork(song),
    ]
    return Readiness(tuple(items), profile, master, approved)


def pick_master(
    mastering: StageRecord | None, bounces: Iterable[Bounce]
) -> tuple[Bounce | None, bool]:
    """The approved Mastering bounce if it was analysed, else the latest analysed one;
    and whether the one returned is the approved one."""
    newest_first = sorted(bounces, key=lambda bounce: bounce.version, reverse=True)
    if (
        mastering is not None
        and mastering.status == RecordStatus.APPROVED
        and mastering.approved_at is not None
    ):
        approved_at = mastering.approved_at
        # Reviews approve a stage, not a file: the approved master is what the coach had
        # in front of them, the newest version uploaded before the approval.
        approved = next((b for b in newest_first if b.created_at <= approved_at), None)
        if approved is not None and approved.analysis_state == AnalysisState.DONE:
            return approved, True
    latest = next((b for b in newest_first if b.analysis_state == AnalysisState.DONE), None)
    return latest, False


def _stages(records: Sequence[StageRecord]) -> Item:
    label = "Every stage approved"
    waiting = [r for r in records if r.status != RecordStatus.APPROVED]
    if not records:
        return Item("stages", label, Status.FAIL, "The song has no stages.")
    if not waiting:
        return Item("stages", label, Status.PASS, f"All {len(records)} stages are approved.")
    listed = ", ".join(f"{r.stage.name} ({r.get_status_display().lower()})" for r in waiting)
    return Item("stages", label, Status.FAIL, f"Not approved yet: {listed}.")


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
        return Item("master", label, Status.FAIL, reason)
    when = f", analysed {day_month_year(master.analysed_at)}" if master.analysed_at else ""
    which = "the approved master" if approved else "the latest analysed master"
    reason = f"Judged on {master.label}, {which}{when}."
    if newest is not None and newest.pk != master.pk and newest.analysis_pending:
        reason += f" {newest.label} is still being analysed."
    return Item("master", label, Status.PASS, reason)


# Readiness items made of the master's own checks: (item, label, the checks it shows).
FILE_ITEMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("loudness", "Loudness", ("integrated_loudness",)),
    ("true_peak", "True peak", ("true_peak",)),
    ("dynamics", "Dynamics", ("loudness_range", "peak_to_loudness")),
    ("format", "Delivery format", ("delivery_format",)),
    ("tags", "Title and artist tags", ("tags",)),
    ("isrc", "ISRC", ("isrc",)),
)


def _file_items(
    judged: dict[str, Check] | None, song: Song, profile: DeliveryProfile
) -> list[Item]:
    items = []
    for item_id, label, check_ids in FILE_ITEMS:
        if item_id == "format":
            label = f"{label} ({profile.name})"
        if judged is None:
            items.append(Item(item_id, label, Status.FAIL, _without_master(item_id, song)))
            continue
        # A check that could not judge (an excerpt's loudness range, say) decides nothing.
        present = [
            judged[check_id]
            for check_id in check_ids
            if check_id in judged and judged[check_id].status != Status.SKIP
        ]
        if not present:
            items.append(
                Item(
                    item_id,
                    label,
                    Status.FAIL,
                    "The master's analysis could not measure this (is the file very short "
                    "or silent?). Upload the full song.",
                )
            )
            continue
        status = cover.worst([check.status for check in present])
        shown = [c for c in present if c.status != Status.PASS] or present
        items.append(Item(item_id, label, status, " ".join(c.message for c in shown)))
    return items


def _without_master(item_id: str, song: Song) -> str:
    if item_id == "isrc" and not song.isrc:
        return (
            "The song has no ISRC yet. Get one from your distributor or national ISRC agency "
            "and enter it in the release details."
        )
    return NEEDS_MASTER


def _artwork(song: Song) -> Item:
    label = "Cover artwork"
    results = cover.checks_for(song)
    if not results:
        return Item(
            "artwork",
            label,
            Status.FAIL,
            f"No cover yet: upload a square JPEG or PNG, {cover.RECOMMENDED_PX} x "
            f"{cover.RECOMMENDED_PX} pixels.",
        )
    status = cover.worst([check.status for check in results])
    if status == Status.PASS:
        return Item(
            "artwork",
            label,
            Status.PASS,
            f"{song.artwork_format}, {song.artwork_width_px} x {song.artwork_height_px} "
            "pixels, RGB: ready for stores.",
        )
    return Item(
        "artwork",
        label,
        status,
        " ".join(c.message for c in results if c.status != Status.PASS),
    )

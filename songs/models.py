"""Songs and their bounces (versioned audio exports uploaded on a stage record).

A song sits above the stages (each of its seven records is a stage record) and below
coaching and release, which read it. Who may see a song is the coaching layer's rule
(`work_visible_to`); who may change one is `Song.editable_by`, the one place that rule is
written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from functools import cached_property
from typing import Any, TypedDict

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone

from coaching.models import Cohort, ReadOnly, User, work_visible_to
from songs import analysis
from songs.analysis import Check, Report, Targets
from songs.analysis.checks import needs_delivery
from songs.analysis.formats import AudioFormat
from songs.analysis.metadata import format_isrc, isrc_is_valid, normalise_isrc
from stages.models import StageRecord, StageRuleError, Status

TEMPO_MIN_BPM = 20
TEMPO_MAX_BPM = 400

KEY_CHOICES = [
    (f"{note} {mode}", f"{note} {mode}")
    for mode in ("major", "minor")
    for note in ("C", "C#/Db", "D", "D#/Eb", "E", "F", "F#/Gb", "G", "G#/Ab", "A", "A#/Bb", "B")
]


RETRO_MAX_CHARS = 2000
HABIT_MAX_CHARS = 300


class ReleaseRuleError(Exception):
    """A release change the rules do not allow. The message is written for the student."""


class IsrcTaken(ReleaseRuleError):
    """Another song already carries this ISRC."""


def validate_isrc(value: str) -> None:
    """The stored form: exactly 12 characters, country, registrant, year and number."""
    if value and not isrc_is_valid(value):
        raise ValidationError(
            "An ISRC is 12 characters: a 2-letter country, 3 letters or digits for the "
            "registrant, 2 digits for the year and 5 for the recording (e.g. GBABC2400001).",
            code="invalid_isrc",
        )


class DeliveryProfileQuerySet(models.QuerySet["DeliveryProfile"]):
    def default(self) -> DeliveryProfile:
        """The profile songs are judged against unless they choose another.

        Falls back to the same CD-quality profile, unsaved, if the data is missing (a
        flushed test database, say), so readiness never fails for want of a row.
        """
        profile = self.filter(is_default=True).first()
        return profile or DeliveryProfile(**CD_QUALITY)


class DeliveryProfile(models.Model):
    """What a finished master must be to deliver: formats, sample rate, bit depth.

    Shipped as data (migration 0005_delivery_profiles); course admins may add their own.
    """

    name = models.CharField(max_length=60, unique=True)
    description = models.CharField(max_length=200)
    formats = models.JSONField(default=list, help_text='Accepted containers, e.g. ["wav", "flac"].')
    min_sample_rate_hz = models.PositiveIntegerField(default=44_100)
    min_bit_depth = models.PositiveSmallIntegerField(default=16)
    is_default = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    objects = DeliveryProfileQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_delivery_profile",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        known = {member.value for member in AudioFormat}
        if not isinstance(self.formats, list) or not self.formats:
            raise ValidationError({"formats": "List at least one format."})
        unknown = sorted(set(map(str, self.formats)) - known)
        if unknown:
            raise ValidationError(
                {"formats": f"Unknown format(s): {', '.join(unknown)}; use {', '.join(known)}."}
            )

    @property
    def format_labels(self) -> list[str]:
        known = {member.value for member in AudioFormat}
        return [AudioFormat(value).label for value in self.formats if value in known]

    def delivery(
        self, *, title: str | None = None, artist: str | None = None, isrc: str | None = None
    ) -> analysis.Delivery:
        """This profile as the engine's rulebook, with what the song says the master is."""
        return analysis.Delivery(
            profile=self.name,
            formats=tuple(str(value) for value in self.formats),
            min_sample_rate_hz=self.min_sample_rate_hz,
            min_bit_depth=self.min_bit_depth,
            title=title,
            artist=artist,
            isrc=isrc,
        )


_ENGINE_DEFAULT = analysis.Delivery()
CD_QUALITY: dict[str, Any] = {
    "name": _ENGINE_DEFAULT.profile,
    "description": "WAV or FLAC, 44.1 kHz / 16-bit and up",
    "formats": list(_ENGINE_DEFAULT.formats),
    "min_sample_rate_hz": _ENGINE_DEFAULT.min_sample_rate_hz,
    "min_bit_depth": _ENGINE_DEFAULT.min_bit_depth,
    "is_default": True,
    "position": 1,
}
"""The default profile when its row is missing: the engine's own default delivery, which
migration 0005_delivery_profiles ships as data."""


def artwork_upload_to(instance: Song, filename: str) -> str:
    # `filename` is already generated by songs.release.artwork.store; the upload's name is not used.
    return f"artwork/{instance.pk}/{filename}"


class SongProgress(TypedDict):
    """What `SongQuerySet.with_progress` adds to each song."""

    current_stage_id: int | None
    current_status: str | None


class SongQuerySet(models.QuerySet["Song"]):
    def visible_to(self, user: User | AnonymousUser) -> SongQuerySet:
        """The owner, the coaches of the song's cohort, and course admins see a song."""
        return self.filter(work_visible_to(user))

    def owned_or_coached_by(self, user: User) -> SongQuerySet:
        """A person's desk: their own songs and those of the cohorts they coach (a course
        admin's desk too: admins see every song, but do not work on them all)."""
        return self.filter(
            models.Q(owner=user) | models.Q(cohort__in=Cohort.objects.coached_by(user))
        )

    def with_progress(self) -> SongQuerySet:
        """Annotate each song with its current stage (the earliest not yet approved) and
        that stage's status, without loading the records; both are None once all seven
        stages are approved."""
        open_records = (
            StageRecord.objects.filter(song=models.OuterRef("pk"))
            .exclude(status=Status.APPROVED)
            .order_by("stage__order")
        )
        return self.annotate(
            current_stage_id=models.Subquery(open_records.values("stage_id")[:1]),
            current_status=models.Subquery(open_records.values("status")[:1]),
        )

    def with_records(self) -> SongQuerySet:
        """Songs with their seven stage records (and each record's stage) in two queries."""
        return self.select_related("owner", "cohort").prefetch_related(
            models.Prefetch(
                "records",
                queryset=StageRecord.objects.select_related("stage").order_by("stage__order"),
            )
        )

    def with_release(self) -> SongQuerySet:
        """What readiness and the dossier read, in a fixed number of queries: records with
        their stages and every bounce without its (large) report; the master's report is
        then read on its own when readiness asks for it (one query)."""
        records = StageRecord.objects.select_related("stage").order_by("stage__order")
        bounces = Bounce.objects.defer("report").order_by("version")
        return self.select_related("owner", "cohort", "delivery_profile").prefetch_related(
            models.Prefetch("records", queryset=records),
            models.Prefetch("records__bounces", queryset=bounces),
        )


class Song(models.Model):
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="songs")
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="songs")
    title = models.CharField(max_length=120)
    purpose = models.TextField(
        "purpose",
        max_length=2000,
        help_text="The story or feeling this song is for.",
    )
    core_emotion = models.CharField(
        max_length=120, blank=True, help_text="The single feeling the song carries."
    )
    hook = models.CharField(
        max_length=200, blank=True, help_text="The phrase or melody that holds the feeling."
    )
    tempo_bpm = models.PositiveSmallIntegerField(
        "tempo (BPM)",
        null=True,
        blank=True,
        validators=[MinValueValidator(TEMPO_MIN_BPM), MaxValueValidator(TEMPO_MAX_BPM)],
    )
    key = models.CharField(max_length=20, blank=True, choices=KEY_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The form's one-time key: a second submit of the same "new song" form finds this song
    # instead of creating another.
    request_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    # --- Release ---------------------------------------------------------------------------
    artist_name = models.CharField(
        "artist",
        max_length=120,
        blank=True,
        help_text="The name the song is released under; your own name when empty.",
    )
    isrc = models.CharField(
        "ISRC", max_length=12, blank=True, validators=[validate_isrc], editable=False
    )
    delivery_profile = models.ForeignKey(
        DeliveryProfile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="songs",
        help_text="What the master must be to deliver; the default profile when empty.",
    )
    # The cover is only ever written by songs.release.artwork.store (checked, re-encoded), never
    # by a form, so the file fields are not editable.
    artwork = models.FileField(
        upload_to=artwork_upload_to, max_length=200, blank=True, editable=False
    )
    artwork_thumbnail = models.FileField(
        upload_to=artwork_upload_to, max_length=200, blank=True, editable=False
    )
    artwork_format = models.CharField(max_length=4, blank=True, editable=False)
    artwork_mode = models.CharField(max_length=8, blank=True, editable=False)
    artwork_width_px = models.PositiveIntegerField(null=True, blank=True, editable=False)
    artwork_height_px = models.PositiveIntegerField(null=True, blank=True, editable=False)
    artwork_size_bytes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    artwork_uploaded_at = models.DateTimeField(null=True, blank=True, editable=False)
    released_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    retro_worked = models.TextField("what worked", max_length=RETRO_MAX_CHARS, blank=True)
    retro_change = models.TextField("what you would change", max_length=RETRO_MAX_CHARS, blank=True)
    next_habit = models.CharField(
        "one habit for the next song", max_length=HABIT_MAX_CHARS, blank=True
    )
    retrospective_at = models.DateTimeField(null=True, blank=True)

    objects = SongQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            # The catalogue-wide rule; the form checks first to say which song has it, and
            # this decides when two saves race.
            models.UniqueConstraint(
                fields=["isrc"], condition=~models.Q(isrc=""), name="song_isrc_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("songs:detail", args=[self.pk])

    # These read the prefetched records (see SongQuerySet.with_records).

    def ordered_records(self) -> list[StageRecord]:
        return sorted(self.records.all(), key=lambda record: record.stage.order)

    def current_record(self) -> StageRecord:
        """The earliest stage not yet approved; the last stage once every stage is."""
        records = self.ordered_records()
        for record in records:
            if record.status != Status.APPROVED:
                return record
        return records[-1]

    @property
    def is_finished(self) -> bool:
        return all(record.status == Status.APPROVED for record in self.records.all())

    # --- Who may change it ------------------------------------------------------------------

    @property
    def read_only_reason(self) -> str:
        """Why nobody may change this song's work any more ("" while its owner may).

        A song is settled once its cohort is archived, or once it is released or set
        aside; it stays readable. Only the retrospective is written after that.
        """
        if reason := self.cohort.read_only_reason:
            return reason
        if self.released_at is not None:
            return (
                f"“{self.title}” is released: its stages, bounces, comments and release "
                "details are settled. Write its retrospective, or start your next song."
            )
        if self.archived_at is not None:
            return (
                f"“{self.title}” is set aside (archived unreleased): its work is settled and "
                "can be read, not changed."
            )
        return ""

    def ensure_open(self) -> None:
        """Raise ReadOnly unless the song's work may change (see read_only_reason); every
        workflow that changes the song, its stages, bounces or comments calls this first."""
        if reason := self.read_only_reason:
            raise ReadOnly(reason)

    def editable_by(self, user: User | AnonymousUser) -> bool:
        """Whether `user` may change this song and its work: the owner, while the song is
        not settled (see read_only_reason). The one place this rule is written."""
        return user.is_authenticated and user.pk == self.owner_id and not self.read_only_reason

    def finishable_by(self, user: User | AnonymousUser) -> bool:
        """Whether `user` may release the song, set it aside or write its retrospective: the
        owner while the cohort is open. (Releasing or archiving twice is a quiet no-op, and
        the retrospective waits for one of them: see write_retrospective.)"""
        return user.is_authenticated and user.pk == self.owner_id and not self.cohort.is_archived

    # --- Release: reading ------------------------------------------------------------------

    @property
    def release_artist(self) -> str:
        return self.artist_name or self.owner.display_name

    @property
    def isrc_display(self) -> str:
        return format_isrc(self.isrc)

    @property
    def is_released(self) -> bool:
        return self.released_at is not None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def has_retrospective(self) -> bool:
        return self.retrospective_at is not None

    @property
    def artwork_version(self) -> str:
        """Changes with every new cover, so a browser never shows a cached old one."""
        # The stored name is a fresh uuid per upload.
        return (
            self.artwork.name.rsplit("/", 1)[-1].split(".", 1)[0][:12] if self.artwork.name else ""
        )

    @cached_property
    def release_profile(self) -> DeliveryProfile:
        """The delivery profile the master is judged against (the default unless chosen)."""
        if self.delivery_profile is not None:
            return self.delivery_profile
        return DeliveryProfile.objects.default()

    def delivery(self) -> analysis.Delivery:
        """The rulebook a master of this song is judged by: the delivery profile, and the
        title, artist and ISRC the song says it has (so the bounce page and release
        readiness judge with one rulebook)."""
        return self.release_profile.delivery(
            title=self.title, artist=self.release_artist, isrc=self.isrc
        )

    def previous_retrospective(self) -> Song | None:
        """The owner's latest lesson from an earlier song: what the Vision stage opens with."""
        return (
            Song.objects.filter(owner_id=self.owner_id, created_at__lt=self.created_at)
            .exclude(next_habit="")
            .order_by("-retrospective_at", "-pk")
            .only("pk", "title", "next_habit", "retrospective_at")
            .first()
        )

    # --- Release: changes ------------------------------------------------------------------
    # Like the stage rules, repeating a change already made is a quiet no-op.

    def set_release_details(
        self, *, artist_name: str, isrc: str, delivery_profile: DeliveryProfile | None
    ) -> None:
        """Save the release details; raises IsrcTaken if another song holds `isrc`.

        `isrc` must already be normalised (see normalise_isrc_input); the unique constraint,
        not an earlier look-up, decides a race between two songs claiming one code.
        """
        self.ensure_open()
        validate_isrc(isrc)
        self.artist_name = artist_name
        self.isrc = isrc
        self.delivery_profile = delivery_profile
        try:
            with transaction.atomic():
                self.save(update_fields=["artist_name", "isrc", "delivery_profile", "updated_at"])
        except IntegrityError as error:
            raise IsrcTaken(f"The ISRC {format_isrc(isrc)} is already in use.") from error

    def attach_artwork(
        self,
        *,
        format: str,
        mode: str,
        width_px: int,
        height_px: int,
        size_bytes: int,
        uploaded_at: dt.datetime,
    ) -> None:
        """Record a cover whose files `songs.release.artwork.store` has just written."""
        self.ensure_open()
        self.artwork_format = format
        self.artwork_mode = mode
        self.artwork_width_px = width_px
        self.artwork_height_px = height_px
        self.artwork_size_bytes = size_bytes
        self.artwork_uploaded_at = uploaded_at
        self.save(update_fields=[*_ARTWORK_FIELDS, "updated_at"])

    def mark_released(self) -> bool:
        """Only the release workflow calls this (songs.release.services.release_song), after
        readiness says "ready"."""
        self.cohort.ensure_open()
        if self.released_at is not None:
            return False
        self.released_at = timezone.now()
        self.save(update_fields=["released_at", "updated_at"])
        return True

    def archive(self) -> bool:
        """Set the song aside unreleased; its retrospective can still be written."""
        self.cohort.ensure_open()
        if self.archived_at is not None:
            return False
        if self.released_at is not None:
            raise ReleaseRuleError(f"“{self.title}” is released; a released song stays released.")
        self.archived_at = timezone.now()
        self.save(update_fields=["archived_at", "updated_at"])
        return True

    def write_retrospective(self, *, worked: str, change: str, habit: str) -> None:
        self.cohort.ensure_open()
        if self.released_at is None and self.archived_at is None:
            raise ReleaseRuleError(
                "The retrospective comes at the end: mark the song released or archive it first."
            )
        if not habit.strip():
            raise ReleaseRuleError("Name one habit to take into your next song.")
        self.retro_worked = worked
        self.retro_change = change
        self.next_habit = habit.strip()
        self.retrospective_at = timezone.now()
        self.save(
            update_fields=[
                "retro_worked",
                "retro_change",
                "next_habit",
                "retrospective_at",
                "updated_at",
            ]
        )


_ARTWORK_FIELDS = [
    "artwork",
    "artwork_thumbnail",
    "artwork_format",
    "artwork_mode",
    "artwork_width_px",
    "artwork_height_px",
    "artwork_size_bytes",
    "artwork_uploaded_at",
]


def normalise_isrc_input(raw: str) -> str:
    """The 12-character code from any common way of writing it ("ISRC US-S1Z-99-00001",
    lower case, spaces, typographic dashes pasted from a PDF)."""
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2212":
        raw = raw.replace(dash, "-")
    return normalise_isrc(raw)


def bounce_upload_to(instance: Bounce, filename: str) -> str:
    # The stored name is generated; the student's file name is kept as data only.
    suffix = AudioFormat(instance.audio_format).extension
    return f"bounces/{instance.record.song_id}/{uuid.uuid4().hex}.{suffix}"


def waveform_upload_to(instance: Bounce, filename: str) -> str:
    return f"waveforms/{instance.record.song_id}/{uuid.uuid4().hex}.png"


_REPORT_FIELDS = [
    "report",
    "waveform",
    "integrated_lufs",
    "true_peak_dbtp",
    "loudness_range_lu",
    "duration_s",
    "sample_rate",
    "checks_failed",
    "checks_warned",
]


class AnalysisState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Analysing"
    DONE = "done", "Analysed"
    FAILED = "failed", "Analysis failed"


class BounceQuerySet(models.QuerySet["Bounce"]):
    def visible_to(self, user: User | AnonymousUser) -> BounceQuerySet:
        return self.filter(work_visible_to(user, "record__song"))

    def with_reanalyse_permission(self, user: User | AnonymousUser) -> BounceQuerySet:
        """Annotate `can_reanalyse` for `user` (see reanalysable_by)."""
        allowed = Bounce.objects.reanalysable_by(user).filter(pk=models.OuterRef("pk"))
        return self.annotate(can_reanalyse=models.Exists(allowed))

    def reanalysable_by(self, user: User | AnonymousUser) -> BounceQuerySet:
        """Bounces `user` may send for analysis again: coaches of the cohort and course
        admins any finished one (after targets change, say); the student a failed one."""
        if not user.is_authenticated:
            return self.none()
        finished = self.exclude(analysis_state__in=[AnalysisState.QUEUED, AnalysisState.RUNNING])
        if user.is_course_admin:
            return finished
        return finished.filter(
            models.Q(record__song__cohort__in=Cohort.objects.coached_by(user))
            | models.Q(
                record__song__owner=user,
                analysis_state=AnalysisState.FAILED,
                analysis_retryable=True,
            )
        )


_BounceManager = models.Manager.from_queryset(BounceQuerySet)


class ShownBounceManager(_BounceManager["Bounce"]):
    """Bounces that are not set aside: what every page, list and workflow sees (the
    related `record.bounces` too). `Bounce.everything` includes the set-aside ones."""

    def get_queryset(self) -> BounceQuerySet:
        shown = super().get_queryset().filter(hidden_at__isnull=True)
        assert isinstance(shown, BounceQuerySet)
        return shown


class Bounce(models.Model):
    record = models.ForeignKey(StageRecord, on_delete=models.CASCADE, related_name="bounces")
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to=bounce_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    audio_format = models.CharField(max_length=8, choices=AudioFormat.choices())
    note = models.TextField("what changed", max_length=2000, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    request_key = models.UUIDField(null=True, blank=True, editable=False)

    # Analysis: the row is the record of what still has to happen, whatever the broker
    # knows; the sweep re-publishes anything left queued or running too long.
    analysis_state = models.CharField(
        max_length=10, choices=AnalysisState.choices, default=AnalysisState.QUEUED
    )
    analysis_error = models.TextField(blank=True)
    analysis_attempts = models.PositiveSmallIntegerField(default=0)
    analysis_task_id = models.CharField(max_length=64, blank=True)
    analysis_queued_at = models.DateTimeField(default=timezone.now)
    analysis_started_at = models.DateTimeField(null=True, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(null=True, blank=True)
    waveform = models.FileField(upload_to=waveform_upload_to, max_length=200, blank=True)
    # Key figures as columns, so lists can show and sort them without reading the report.
    integrated_lufs = models.FloatField(null=True, blank=True)
    true_peak_dbtp = models.FloatField(null=True, blank=True)
    loudness_range_lu = models.FloatField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    checks_failed = models.PositiveSmallIntegerField(default=0)
    checks_warned = models.PositiveSmallIntegerField(default=0)
    analysis_retryable = models.BooleanField(
        default=False,
        help_text="Whether trying the analysis again could fix its failure (a time limit or "
        "a storage outage), unlike a broken file.",
    )
    # Set aside by its student (a failed or unwanted version): gone from every page, kept
    # in storage; staff restore it in the admin.
    hidden_at = models.DateTimeField("set aside", null=True, blank=True)
    hidden_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ShownBounceManager()
    everything = BounceQuerySet.as_manager()

    class Meta:
        ordering = ["record", "-version"]
        base_manager_name = "everything"
        indexes = [models.Index(fields=["analysis_state", "analysis_queued_at"])]
        constraints = [
            models.UniqueConstraint(fields=["record", "version"], name="bounce_version_once"),
            models.UniqueConstraint(fields=["record", "request_key"], name="bounce_request_once"),
        ]

    def __str__(self) -> str:
        return f"{self.record} · {self.label}"

    @property
    def label(self) -> str:
        return f"v{self.version}"

    @property
    def content_type(self) -> str:
        return AudioFormat(self.audio_format).mime_type

    @property
    def analysis_pending(self) -> bool:
        return self.analysis_state in {AnalysisState.QUEUED, AnalysisState.RUNNING}

    @cached_property
    def analysis(self) -> analysis.Report | None:
        """The engine's report, rebuilt once from the stored JSON; None until analysed.

        Everything that shows or judges a bounce reads this, never the JSON by key.
        """
        if self.analysis_state != AnalysisState.DONE or not self.report:
            return None
        return analysis.Report.from_dict(self.report)

    # --- Analysis state changes ---------------------------------------------------------

    def claim_analysis(self, *, task_id: str, max_attempts: int, stale_after_s: float) -> bool:
        """Move to "running" for the task `task_id`, if this task may run the analysis now.

        A queued bounce may be claimed; so may a running one whose claim came from the same
        task (the broker redelivered it after its worker died) or went stale. Each claim
        counts an attempt; past `max_attempts` the bounce fails instead, so a file that
        kills the decoder's process is not retried forever.
        """
        with transaction.atomic():
            locked = Bounce.everything.select_for_update().get(pk=self.pk)
            now = timezone.now()
            if locked.analysis_state == AnalysisState.RUNNING:
                stale = locked.analysis_started_at is None or (
                    (now - locked.analysis_started_at).total_seconds() > stale_after_s
                )
                if locked.analysis_task_id != task_id and not stale:
                    return False
            elif locked.analysis_state != AnalysisState.QUEUED:
                return False
            if locked.analysis_attempts >= max_attempts:
                locked._fail(
                    f"The analysis stopped without finishing {locked.analysis_attempts} times "
                    "on this file, so it was given up. The file may be damaged: export it "
                    "again and upload it as a new version."
                )
                self._take(locked)
                return False
            locked.analysis_state = AnalysisState.RUNNING
            locked.analysis_task_id = task_id
            locked.analysis_attempts += 1
            locked.analysis_started_at = now
            locked.save(
                update_fields=[
                    "analysis_state",
                    "analysis_task_id",
                    "analysis_attempts",
                    "analysis_started_at",
                ]
            )
        self._take(locked)
        return True

    # In the methods below `analysis` is the property above, so the engine's types are
    # named directly.
    def judge(self, targets: Targets) -> tuple[Check, ...]:
        """This bounce's checks by today's rulebook: `targets` (the site's) and the delivery
        its song asks for now. The bounce page and release readiness both judge this way,
        so they cannot disagree; nothing while the bounce is not analysed."""
        report = self.analysis
        if report is None:
            return ()
        cached: tuple[Targets, tuple[Check, ...]] | None = self.__dict__.get("_judged")
        if cached is not None and cached[0] == targets:
            return cached[1]
        slug = self.record.stage.slug
        stage = slug if slug in analysis.STAGE_SLUGS else None
        delivery = self.record.song.delivery() if needs_delivery(stage) else None
        judged = analysis.evaluate(report, targets, stage, delivery)
        self.__dict__["_judged"] = (targets, judged)
        return judged

    def store_report(self, report: Report, *, waveform_name: str) -> None:
        stored = report.to_dict()
        self.report = stored
        self.waveform.name = waveform_name
        # The columns hold the stored (rounded) figures, the same the report shows.
        self.integrated_lufs = stored["integrated_lufs"]
        self.true_peak_dbtp = stored["true_peak_dbtp"]
        self.loudness_range_lu = stored["loudness_range_lu"]
        self.duration_s = stored["duration_s"]
        self.sample_rate = report.sample_rate
        self._count(report.checks)
        self.analysis_state = AnalysisState.DONE
        self.analysis_error = ""
        self.analysed_at = timezone.now()
        self.__dict__.pop("analysis", None)
        self.__dict__.pop("_judged", None)
        self.save(
            update_fields=[*_REPORT_FIELDS, "analysis_state", "analysis_error", "analysed_at"]
        )

    def store_checks(self, checks: Sequence[Check]) -> None:
        """Replace the judgements of an analysed bounce (its rulebook changed), keeping the
        measurements."""
        report = self.analysis
        if report is None:
            return
        judged = dataclasses.replace(report, checks=tuple(checks))
        self.report = judged.to_dict()
        self._count(judged.checks)
        self.__dict__["analysis"] = judged
        self.__dict__.pop("_judged", None)
        self.save(update_fields=["report", "checks_failed", "checks_warned"])

    def _count(self, checks: Sequence[Check]) -> None:
        statuses = [check.status for check in checks]
        self.checks_failed = statuses.count(analysis.Status.FAIL)
        self.checks_warned = statuses.count(analysis.Status.WARN)

    def mark_failed(self, reason: str, *, retryable: bool = False) -> None:
        """Fail the analysis with a reason for the student; `retryable` when trying again
        could work (a time limit, a storage outage), not for a broken file."""
        self._fail(reason, retryable=retryable)

    def hide(self, *, by: User) -> bool:
        """Set this version aside (a failed or unwanted upload). The file is kept and staff
        can restore it; hiding twice is a quiet no-op."""
        self.record.song.ensure_open()
        if self.hidden_at is not None:
            return False
        if not (self.record.is_open or self.analysis_state == AnalysisState.FAILED):
            raise StageRuleError(
                f"{self.record.stage.name} is {self.record.get_status_display().lower()}: "
                f"reopen it to set {self.label} aside."
            )
        self.hidden_at = timezone.now()
        self.hidden_by = by
        self.save(update_fields=["hidden_at", "hidden_by"])
        return True

    def restore(self) -> None:
        self.hidden_at = None
        self.hidden_by = None
        self.save(update_fields=["hidden_at", "hidden_by"])

    def requeue(self) -> None:
        """Start over: a fresh analysis with a fresh attempt count (a re-run or a retry)."""
        self.analysis_state = AnalysisState.QUEUED
        self.analysis_error = ""
        self.analysis_attempts = 0
        self.analysis_task_id = ""
        self.analysis_queued_at = timezone.now()
        self.save(
            update_fields=[
                "analysis_state",
                "analysis_error",
                "analysis_attempts",
                "analysis_task_id",
                "analysis_queued_at",
            ]
        )

    def _fail(self, reason: str, *, retryable: bool = False) -> None:
        self.analysis_state = AnalysisState.FAILED
        self.analysis_error = reason
        self.analysis_retryable = retryable
        self.analysed_at = timezone.now()
        self.save(
            update_fields=[
                "analysis_state",
                "analysis_error",
                "analysis_retryable",
                "analysed_at",
            ]
        )

    def _take(self, other: Bounce) -> None:
        for name in (
            "analysis_state",
            "analysis_error",
            "analysis_retryable",
            "analysis_task_id",
            "analysis_attempts",
            "analysis_started_at",
            "analysed_at",
        ):
            setattr(self, name, getattr(other, name))

    @property
    def download_name(self) -> str:
        return self.original_name or f"{self.label}.{AudioFormat(self.audio_format).extension}"

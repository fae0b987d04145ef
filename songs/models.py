"""Songs and their bounces (versioned audio exports uploaded on a stage record)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from coaching.models import Cohort, Role, User
from songs.analysis.formats import AudioFormat
from stages.models import Status

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from stages.models import StageRecord

TEMPO_MIN_BPM = 20
TEMPO_MAX_BPM = 400

KEY_CHOICES = [
    (f"{note} {mode}", f"{note} {mode}")
    for mode in ("major", "minor")
    for note in ("C", "C#/Db", "D", "D#/Eb", "E", "F", "F#/Gb", "G", "G#/Ab", "A", "A#/Bb", "B")
]


class SongQuerySet(models.QuerySet["Song"]):
    def visible_to(self, user: User | AnonymousUser) -> SongQuerySet:
        """The owner, the coaches of the song's cohort, and course admins see a song."""
        if not user.is_authenticated:
            return self.none()
        if user.is_course_admin:
            return self.all()
        return self.owned_or_coached_by(user)

    def owned_or_coached_by(self, user: User) -> SongQuerySet:
        """A person's desk: their own songs and those of the cohorts they coach."""
        coached = Cohort.objects.filter(memberships__user=user, memberships__role=Role.COACH)
        return self.filter(models.Q(owner=user) | models.Q(cohort__in=coached))

    def editable_by(self, user: User | AnonymousUser) -> SongQuerySet:
        """Only the student who owns a song changes it."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def with_progress(self) -> SongQuerySet:
        """Annotate each song with its current stage (the earliest not yet approved) and
        that stage's status, without loading the records; both are None once all seven
        stages are approved."""
        from stages.models import StageRecord

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
        from stages.models import StageRecord

        return self.select_related("owner", "cohort").prefetch_related(
            models.Prefetch(
                "records",
                queryset=StageRecord.objects.select_related("stage").order_by("stage__order"),
            )
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

    objects = SongQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

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
        return self.filter(record__song__in=Song.objects.visible_to(user))

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
        coached = Cohort.objects.filter(memberships__user=user, memberships__role=Role.COACH)
        return finished.filter(
            models.Q(record__song__cohort__in=coached)
            | models.Q(record__song__owner=user, analysis_state=AnalysisState.FAILED)
        )


class Bounce(models.Model):
    record = models.ForeignKey(
        "stages.StageRecord", on_delete=models.CASCADE, related_name="bounces"
    )
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

    objects = BounceQuerySet.as_manager()

    class Meta:
        ordering = ["record", "-version"]
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

    # --- Analysis state changes ---------------------------------------------------------

    def claim_analysis(self, *, task_id: str, max_attempts: int, stale_after_s: float) -> bool:
        """Move to "running" for the task `task_id`, if this task may run the analysis now.

        A queued bounce may be claimed; so may a running one whose claim came from the same
        task (the broker redelivered it after its worker died) or went stale. Each claim
        counts an attempt; past `max_attempts` the bounce fails instead, so a file that
        kills the decoder's process is not retried forever.
        """
        with transaction.atomic():
            locked = Bounce.objects.select_for_update().get(pk=self.pk)
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

    def store_report(self, report: dict[str, Any], *, waveform_name: str) -> None:
        self.report = report
        self.waveform.name = waveform_name
        self.integrated_lufs = report.get("integrated_lufs")
        self.true_peak_dbtp = report.get("true_peak_dbtp")
        self.loudness_range_lu = report.get("loudness_range_lu")
        self.duration_s = report.get("duration_s")
        self.sample_rate = report.get("sample_rate")
        statuses = [check["status"] for check in report.get("checks", [])]
        self.checks_failed = statuses.count("fail")
        self.checks_warned = statuses.count("warn")
        self.analysis_state = AnalysisState.DONE
        self.analysis_error = ""
        self.analysed_at = timezone.now()
        self.save(
            update_fields=[*_REPORT_FIELDS, "analysis_state", "analysis_error", "analysed_at"]
        )

    def mark_failed(self, reason: str) -> None:
        self._fail(reason)

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

    def _fail(self, reason: str) -> None:
        self.analysis_state = AnalysisState.FAILED
        self.analysis_error = reason
        self.analysed_at = timezone.now()
        self.save(update_fields=["analysis_state", "analysis_error", "analysed_at"])

    def _take(self, other: Bounce) -> None:
        for name in (
            "analysis_state",
            "analysis_error",
            "analysis_task_id",
            "analysis_attempts",
            "analysis_started_at",
            "analysed_at",
        ):
            setattr(self, name, getattr(other, name))

    @property
    def download_name(self) -> str:
        return self.original_name or f"{self.label}.{AudioFormat(self.audio_format).extension}"

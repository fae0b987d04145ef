"""Songs and their bounces (versioned audio exports uploaded on a stage record)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

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


class BounceQuerySet(models.QuerySet["Bounce"]):
    def visible_to(self, user: User | AnonymousUser) -> BounceQuerySet:
        return self.filter(record__song__in=Song.objects.visible_to(user))


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

    objects = BounceQuerySet.as_manager()

    class Meta:
        ordering = ["record", "-version"]
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
    def download_name(self) -> str:
        return self.original_name or f"{self.label}.{AudioFormat(self.audio_format).extension}"

"""Reference tracks: released records a student sets beside their song (the sound they aim
for), analysed by the same engine, private to the people who see the song and never
offered for download."""

from __future__ import annotations

import uuid
from functools import cached_property

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils import timezone

from coaching.models import User, work_visible_to
from songs.analysis import MusicReport, Report
from songs.analysis.formats import AudioFormat
from songs.models.bounce import AnalysisState, MusicState
from songs.models.claim import ClaimedWork
from songs.models.song import Song


def reference_upload_to(instance: ReferenceTrack, filename: str) -> str:
    suffix = AudioFormat(instance.audio_format).extension
    return f"references/{instance.song_id}/{uuid.uuid4().hex}.{suffix}"


def reference_peaks_upload_to(instance: ReferenceTrack, filename: str) -> str:
    return f"references/{instance.song_id}/{uuid.uuid4().hex}.json"


class ReferenceTrackQuerySet(models.QuerySet["ReferenceTrack"]):
    def visible_to(self, user: User | AnonymousUser) -> ReferenceTrackQuerySet:
        return self.filter(work_visible_to(user, "song"))


class ReferenceTrack(ClaimedWork):
    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="references")
    title = models.CharField(
        max_length=160, help_text="Artist and title, as you would name it to your coach."
    )
    file = models.FileField(upload_to=reference_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    audio_format = models.CharField(max_length=8, choices=AudioFormat.choices())
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    # One task runs both passes (loudness, then music); the states say how far it got,
    # and one claim (ClaimedWork) covers them both.
    analysis_state = models.CharField(
        max_length=10, choices=AnalysisState.choices, default=AnalysisState.QUEUED
    )
    analysis_error = models.TextField(blank=True)
    # When the work was last asked for and last started.
    analysis_queued_at = models.DateTimeField(default=timezone.now)
    analysis_started_at = models.DateTimeField(null=True, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(null=True, blank=True)
    peaks = models.FileField(upload_to=reference_peaks_upload_to, max_length=200, blank=True)
    integrated_lufs = models.FloatField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    music = models.JSONField(null=True, blank=True)
    music_state = models.CharField(
        max_length=10, choices=MusicState.choices, default=MusicState.QUEUED
    )
    music_error = models.TextField(blank=True)

    objects = ReferenceTrackQuerySet.as_manager()

    class Meta:
        ordering = ["song", "created_at"]

    def __str__(self) -> str:
        return f"{self.song} · reference: {self.title}"

    @property
    def content_type(self) -> str:
        return AudioFormat(self.audio_format).mime_type

    @property
    def analysis_pending(self) -> bool:
        return self.analysis_state in {AnalysisState.QUEUED, AnalysisState.RUNNING}

    @cached_property
    def analysis(self) -> Report | None:
        if self.analysis_state != AnalysisState.DONE or not self.report:
            return None
        return Report.from_dict(self.report)

    @cached_property
    def music_report(self) -> MusicReport | None:
        if self.music_state != MusicState.DONE or not self.music:
            return None
        return MusicReport.from_dict(self.music)

    def store_report(self, report: Report, *, peaks_name: str, claim: str | None = None) -> bool:
        """Keep the loudness report (the claim stays: the musical pass follows in the same
        task); with `claim`, only while that claim holds."""
        stored = report.to_dict()
        self.report = stored
        self.peaks.name = peaks_name
        self.integrated_lufs = stored["integrated_lufs"]
        self.duration_s = stored["duration_s"]
        self.analysis_state = AnalysisState.DONE
        self.analysis_error = ""
        self.analysed_at = timezone.now()
        self.__dict__.pop("analysis", None)
        return self._save_claimed(
            claim,
            [
                "report",
                "peaks",
                "integrated_lufs",
                "duration_s",
                "analysis_state",
                "analysis_error",
                "analysed_at",
            ],
        )

    def store_music(self, music: MusicReport, *, claim: str | None = None) -> bool:
        self.music = music.to_dict()
        self.music_state = MusicState.DONE
        self.music_error = ""
        self.__dict__.pop("music_report", None)
        return self._save_claimed(
            claim, ["music", "music_state", "music_error", *self._release_claim()]
        )

    @property
    def music_pending(self) -> bool:
        return self.music_state == MusicState.QUEUED and self.analysis_state != AnalysisState.FAILED

    @property
    def pending(self) -> bool:
        """Whether either pass is still owed (the song page polls until neither is)."""
        return self.analysis_pending or self.music_pending

    @property
    def can_retry(self) -> bool:
        """Whether either pass failed, so "Try again" has something to do."""
        return self.analysis_state == AnalysisState.FAILED or self.music_state == MusicState.FAILED

    @property
    def download_name(self) -> str:
        """The name the inline audio response carries (never offered as a download)."""
        return f"reference-{self.pk}.{AudioFormat(self.audio_format).extension}"

    def claim_analysis(self, *, stale_after_s: float) -> str | None:
        """Hold the work still owed (either pass), unless a live task holds it: one
        conditional UPDATE, so two deliveries cannot both run it. The loudness pass, if
        owed, is marked running. Returns the claim's token, or None: nothing to do."""
        now = timezone.now()
        free = self.claim_is_free(now=now, stale_after_s=stale_after_s)
        owed_loudness = models.Q(analysis_state__in=[AnalysisState.QUEUED, AnalysisState.RUNNING])
        token = self._take_claim(
            owed_loudness & free, analysis_state=AnalysisState.RUNNING, analysis_started_at=now
        )
        if token is None:
            token = self._take_claim(
                models.Q(analysis_state=AnalysisState.DONE, music_state=MusicState.QUEUED) & free
            )
        return token

    def _release_claim(self) -> list[str]:
        self.claim_token = ""
        self.heartbeat_at = None
        self.published_at = None
        return ["claim_token", "heartbeat_at", "published_at"]

    def requeue(self) -> None:
        """Both passes owed again, from scratch (after a failure)."""
        self.analysis_state = AnalysisState.QUEUED
        self.analysis_error = ""
        self.music_state = MusicState.QUEUED
        self.music_error = ""
        self.analysis_queued_at = timezone.now()
        self.__dict__.pop("analysis", None)
        self.__dict__.pop("music_report", None)
        self.save(
            update_fields=[
                "analysis_state",
                "analysis_error",
                "music_state",
                "music_error",
                "analysis_queued_at",
                *self._release_claim(),
            ]
        )

    def mark_failed(self, reason: str, *, claim: str | None = None) -> bool:
        self.analysis_state = AnalysisState.FAILED
        self.analysis_error = reason
        self.music_state = MusicState.FAILED
        self.analysed_at = timezone.now()
        return self._save_claimed(
            claim,
            [
                "analysis_state",
                "analysis_error",
                "music_state",
                "analysed_at",
                *self._release_claim(),
            ],
        )

    def music_failed(self, reason: str, *, claim: str | None = None) -> bool:
        self.music_state = MusicState.FAILED
        self.music_error = reason
        return self._save_claimed(claim, ["music_state", "music_error", *self._release_claim()])

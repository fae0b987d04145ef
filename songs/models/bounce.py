"""Bounces: versioned audio exports uploaded on a stage record, their analysis state and
typed report, and the judging of them by their song's rulebook."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.utils import timezone

from coaching.models import Cohort, User, work_visible_to
from coaching.statements import Statement
from songs import analysis
from songs.analysis import Check, MusicContext, MusicReport, Report, Targets
from songs.analysis.checks import needs_delivery
from songs.analysis.formats import AudioFormat
from songs.models.claim import ClaimedWork
from stages.models import StageRecord, StageRuleError

if TYPE_CHECKING:
    from songs.models.reference import ReferenceTrack


def bounce_upload_to(instance: Bounce, filename: str) -> str:
    # The stored name is generated; the student's file name is kept as data only.
    suffix = AudioFormat(instance.audio_format).extension
    return f"bounces/{instance.record.song_id}/{uuid.uuid4().hex}.{suffix}"


def waveform_upload_to(instance: Bounce, filename: str) -> str:
    return f"waveforms/{instance.record.song_id}/{uuid.uuid4().hex}.png"


def peaks_upload_to(instance: Bounce, filename: str) -> str:
    return f"waveforms/{instance.record.song_id}/{uuid.uuid4().hex}.json"


_REPORT_FIELDS = [
    "report",
    "waveform",
    "peaks",
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


class MusicState(models.TextChoices):
    """The second pass (tempo, key, tuning, tonal balance, width), after the loudness
    report: queued until the loudness report is in and the musical pass has run."""

    QUEUED = "queued", "Listening"
    DONE = "done", "Heard"
    FAILED = "failed", "Not heard"


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


class Bounce(ClaimedWork):
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
    # knows. The claim (ClaimedWork) covers the pass owed now: the loudness pass while it
    # is queued or running, then the musical pass; the sweep publishes again whatever no
    # task is on its way for, or whose holder's heartbeat went quiet.
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
    # The waveform's peaks at every resolution the engine measured (Report.peaks_dict), as
    # JSON for the interactive player: nothing is decoded in the browser.
    peaks = models.FileField(upload_to=peaks_upload_to, max_length=200, blank=True)
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
    # The musical pass (MusicReport.to_dict()), which lands after the loudness report.
    music = models.JSONField(null=True, blank=True)
    music_state = models.CharField(
        max_length=10, choices=MusicState.choices, default=MusicState.QUEUED
    )
    music_error = models.TextField(blank=True)
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

    @cached_property
    def music_report(self) -> MusicReport | None:
        """The musical pass, rebuilt from the stored JSON; None until it has run."""
        if self.music_state != MusicState.DONE or not self.music:
            return None
        return MusicReport.from_dict(self.music)

    @property
    def music_pending(self) -> bool:
        return self.music_state == MusicState.QUEUED and self.analysis_state != AnalysisState.FAILED

    def store_music(self, music: MusicReport, *, claim: str | None = None) -> bool:
        """Keep the musical pass; with `claim`, only while that claim holds (returns
        whether it was kept)."""
        self.music = music.to_dict()
        self.music_state = MusicState.DONE
        self.music_error = ""
        self.__dict__.pop("music_report", None)
        self.__dict__.pop("_judged", None)
        return self._save_claimed(
            claim, ["music", "music_state", "music_error", *self._release_claim()]
        )

    def music_failed(self, reason: str, *, claim: str | None = None) -> bool:
        self.music_state = MusicState.FAILED
        self.music_error = reason
        return self._save_claimed(claim, ["music_state", "music_error", *self._release_claim()])

    def claim_music(self, *, stale_after_s: float) -> str | None:
        """Hold the musical pass (the loudness report is in, the music is not), unless a
        live task holds it; returns the claim's token, or None when this delivery has
        nothing to do."""
        return self._take_claim(
            models.Q(analysis_state=AnalysisState.DONE, music_state=MusicState.QUEUED)
            & self.claim_is_free(now=timezone.now(), stale_after_s=stale_after_s)
        )

    def _release_claim(self) -> list[str]:
        """The pass is over: nobody holds the claim and nothing is on its way (the next
        pass, if any, stamps its own publish)."""
        self.claim_token = ""
        self.heartbeat_at = None
        self.published_at = None
        return ["claim_token", "heartbeat_at", "published_at"]

    # --- Analysis state changes ---------------------------------------------------------

    def claim_analysis(
        self, *, task_id: str, max_attempts: int, stale_after_s: float
    ) -> str | None:
        """Move to "running" for the task `task_id` if no live task holds the analysis:
        one conditional UPDATE, so of two deliveries (the same task redelivered, or
        published again by the sweep) only one claims it. Returns the claim's token, or
        None when this delivery has nothing to do.

        A queued bounce may be claimed; so may a running one whose holder's heartbeat has
        been quiet for `stale_after_s` (its worker died). Each claim counts an attempt; past
        `max_attempts` the bounce fails instead, so a file that kills the decoder's process
        is not retried forever.
        """
        now = timezone.now()
        claimable = models.Q(analysis_state=AnalysisState.QUEUED) | (
            models.Q(analysis_state=AnalysisState.RUNNING)
            & self.claim_is_free(now=now, stale_after_s=stale_after_s)
        )
        token = self._take_claim(
            claimable & models.Q(analysis_attempts__lt=max_attempts),
            analysis_state=AnalysisState.RUNNING,
            analysis_task_id=task_id,
            analysis_attempts=models.F("analysis_attempts") + 1,
            analysis_started_at=now,
        )
        if token is not None:
            return token
        with transaction.atomic():
            spent = Bounce.everything.select_for_update().filter(claimable, pk=self.pk).first()
            if spent is not None:
                spent._fail(
                    f"The analysis stopped without finishing {spent.analysis_attempts} times "
                    "on this file, so it was given up. The file may be damaged: export it "
                    "again and upload it as a new version."
                )
                self._take(spent)
        return None

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
        music = self.music_report
        if music is not None:
            judged += analysis.evaluate_music(music, stage, self.music_context())
        self.__dict__["_judged"] = (targets, judged)
        return judged

    def heard_reference(self) -> ReferenceTrack | None:
        """The song's first reference track whose musical pass has run: what the musical
        checks and the bounce page's charts set this bounce beside. Looked up once per
        bounce object, as its judgement is kept (`judge`), so the two cannot disagree."""
        if "_heard_reference" not in self.__dict__:
            first = _HEARD_REFERENCE.first(self.record.song_id)
            if first is not None:
                first.song = self.record.song
            self.__dict__["_heard_reference"] = first
        reference: ReferenceTrack | None = self.__dict__["_heard_reference"]
        return reference

    def music_context(self) -> MusicContext:
        """What the musical checks read beside the music: the song's declared tempo and
        key, its genre's profile, its first analysed reference track (Mixing, Mastering),
        and the previous version of this stage (Recording, Editing: the tempo drift). Only
        what the stage's checks read is looked up."""
        song = self.record.song
        slug = self.record.stage.slug
        reference = previous = None
        if slug in {"mixing", "mastering"}:
            track = self.heard_reference()
            if track is not None and track.music_report is not None:
                reference = (track.title, track.music_report)
        if slug in {"recording", "editing"}:
            earlier = (
                Bounce.objects.filter(
                    record_id=self.record_id, version__lt=self.version, music_state=MusicState.DONE
                )
                .order_by("-version")
                .first()
            )
            if earlier is not None and earlier.music_report is not None:
                previous = (earlier.label, earlier.music_report)
        return MusicContext(
            label=self.label,
            declared_tempo_bpm=song.tempo_bpm,
            declared_key=song.key or None,
            profile=song.genre.band_profile() if song.genre else None,
            reference=reference,
            previous=previous,
        )

    def store_report(
        self,
        report: Report,
        *,
        waveform_name: str,
        peaks_name: str = "",
        claim: str | None = None,
    ) -> bool:
        """Keep the loudness report; with `claim`, only while that claim holds (returns
        whether it was kept)."""
        stored = report.to_dict()
        self.report = stored
        self.waveform.name = waveform_name
        self.peaks.name = peaks_name
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
        return self._save_claimed(
            claim,
            [
                *_REPORT_FIELDS,
                "analysis_state",
                "analysis_error",
                "analysed_at",
                *self._release_claim(),
            ],
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

    def mark_failed(
        self, reason: str, *, retryable: bool = False, claim: str | None = None
    ) -> bool:
        """Fail the analysis with a reason for the student; `retryable` when trying again
        could work (a time limit, a storage outage), not for a broken file. With `claim`,
        only while that claim holds (returns whether it failed it)."""
        return self._fail(reason, retryable=retryable, claim=claim)

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
        self.music_state = MusicState.QUEUED
        self.music_error = ""
        self.save(
            update_fields=[
                "analysis_state",
                "analysis_error",
                "analysis_attempts",
                "analysis_task_id",
                "analysis_queued_at",
                "music_state",
                "music_error",
                *self._release_claim(),
            ]
        )

    def _fail(self, reason: str, *, retryable: bool = False, claim: str | None = None) -> bool:
        self.analysis_state = AnalysisState.FAILED
        self.analysis_error = reason
        self.analysis_retryable = retryable
        self.analysed_at = timezone.now()
        return self._save_claimed(
            claim,
            [
                "analysis_state",
                "analysis_error",
                "analysis_retryable",
                "analysed_at",
                *self._release_claim(),
            ],
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
            "claim_token",
            "heartbeat_at",
            "published_at",
        ):
            setattr(self, name, getattr(other, name))

    @property
    def download_name(self) -> str:
        return self.original_name or f"{self.label}.{AudioFormat(self.audio_format).extension}"


def _heard_reference(song_pk: int) -> models.QuerySet[ReferenceTrack]:
    from songs.models.reference import ReferenceTrack  # it imports this module

    done = ReferenceTrack.objects.filter(song_id=song_pk, music_state=MusicState.DONE)
    return done.order_by("created_at")[:1]


_HEARD_REFERENCE: Statement[ReferenceTrack] = Statement(_heard_reference)

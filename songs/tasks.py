"""Celery tasks: thin wrappers that load ids and call services (which name the tasks
rather than import them; see services.ANALYSE_TASK)."""

from __future__ import annotations

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError

from songs import services
from songs.references import services as references
from songs.storage import STORAGE_ERRORS

TRANSIENT: tuple[type[Exception], ...] = (*STORAGE_ERRORS, DatabaseError)
RETRIES = 2


@shared_task(
    name=services.ANALYSE_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.ANALYSIS_SOFT_TIME_LIMIT_S,
    time_limit=settings.ANALYSIS_HARD_TIME_LIMIT_S,
    max_retries=RETRIES,
)
def analyse_bounce(self: Task[[int], None], bounce_id: int) -> None:
    try:
        services.analyse_bounce(bounce_id=bounce_id, task_id=self.request.id or "")
    except SoftTimeLimitExceeded:
        minutes = settings.ANALYSIS_SOFT_TIME_LIMIT_S / 60
        services.fail_analysis(
            bounce_id=bounce_id,
            reason=f"The analysis took longer than {minutes:.0f} minutes and was stopped. "
            "Try again later; if it happens again, export a shorter file.",
            retryable=True,
        )
    except TRANSIENT as exc:
        # Storage or database trouble is usually brief: retry with growing pauses.
        if self.request.retries >= RETRIES:
            services.fail_analysis(
                bounce_id=bounce_id,
                reason="The analysis could not reach the file store or the database. "
                "Use “Try again” in a few minutes.",
                retryable=True,
            )
            return
        raise self.retry(exc=exc, countdown=10 * 3**self.request.retries) from exc


@shared_task(
    name=services.MUSIC_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.ANALYSIS_SOFT_TIME_LIMIT_S,
    time_limit=settings.ANALYSIS_HARD_TIME_LIMIT_S,
    max_retries=RETRIES,
)
def analyse_music(self: Task[[int], None], bounce_id: int) -> None:
    try:
        services.analyse_music_of(bounce_id=bounce_id)
    except SoftTimeLimitExceeded:
        services.fail_music(
            bounce_id=bounce_id, reason="Listening for tempo and key took too long and stopped."
        )
    except TRANSIENT as exc:
        if self.request.retries >= RETRIES:
            services.fail_music(
                bounce_id=bounce_id,
                reason="The file store or the database could not be reached.",
            )
            return
        raise self.retry(exc=exc, countdown=10 * 3**self.request.retries) from exc


@shared_task(acks_late=True, ignore_result=True)
def sweep_analyses() -> list[int]:
    return services.sweep_analyses() + references.sweep_references()


@shared_task(
    name=references.ANALYSE_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.ANALYSIS_SOFT_TIME_LIMIT_S,
    time_limit=settings.ANALYSIS_HARD_TIME_LIMIT_S,
    max_retries=RETRIES,
)
def analyse_reference(self: Task[[int], None], reference_id: int) -> None:
    """Both passes on a reference track: the loudness report and peaks, then the music."""
    try:
        references.analyse_reference(reference_id=reference_id)
    except SoftTimeLimitExceeded:
        minutes = settings.ANALYSIS_SOFT_TIME_LIMIT_S / 60
        references.fail_reference(
            reference_id=reference_id,
            reason=f"The analysis took longer than {minutes:.0f} minutes and was stopped. "
            "Use “Try again” later, or attach a shorter file.",
        )
    except TRANSIENT as exc:
        if self.request.retries >= RETRIES:
            references.fail_reference(
                reference_id=reference_id,
                reason="The analysis could not reach the file store or the database. "
                "Use “Try again” in a few minutes.",
            )
            return
        raise self.retry(exc=exc, countdown=10 * 3**self.request.retries) from exc

"""Celery tasks: thin wrappers that load ids and call services (which name the tasks
rather than import them; see services.ANALYSE_TASK)."""

from __future__ import annotations

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError

from songs import services

TRANSIENT = (OSError, DatabaseError)
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


@shared_task(acks_late=True, ignore_result=True)
def sweep_analyses() -> list[int]:
    return services.sweep_analyses()

"""Celery tasks of coaching: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from coaching import services


@shared_task(name="coaching.tasks.send_comment_mail", acks_late=True, ignore_result=True)
def send_comment_mail() -> int:
    return services.send_comment_mail()

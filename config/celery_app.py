"""The Celery application, configured from Django settings (CELERY_* names, JSON only)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init

from songs.analysis.fft import preload as preload_fast_transforms

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("stagecoach")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _load_fast_transforms(**kwargs: Any) -> None:
    """A worker analyses many files: scipy.fft's single-precision transforms halve the music
    pass, and their import (about half a second) is paid once here, before the pool forks,
    not by each bounce, and not by web processes."""
    preload_fast_transforms()

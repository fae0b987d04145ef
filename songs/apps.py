from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig
from django.core.checks import register

from songs.checks import audio_targets_are_valid


class SongsConfig(AppConfig):
    name = "songs"
    verbose_name = "Songs and bounces"

    def ready(self) -> None:
        register(audio_targets_are_valid)
        # Celery finds a task by its name only once the module defining it is imported.
        # A worker imports it at start-up; the web process must too, because services
        # name the analysis task rather than import it (tasks import services). It cannot
        # be imported above: the models it needs are not ready while apps are loading.
        import_module("songs.tasks")

from __future__ import annotations

from django.apps import AppConfig


class SongsConfig(AppConfig):
    name = "songs"
    verbose_name = "Songs and bounces"

    def ready(self) -> None:
        from songs import checks  # noqa: F401  (registers the system checks)

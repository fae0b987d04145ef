"""System checks: a bad audio-target override stops `manage.py check` and every start."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error

from songs.analysis import TargetsError
from songs.targets import audio_targets


def audio_targets_are_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        audio_targets()
    except TargetsError as exc:
        return [
            Error(
                f"STAGECOACH_AUDIO_TARGETS is not usable: {exc}",
                hint="See the documented targets in songs/analysis/targets.py.",
                id="stagecoach.E001",
            )
        ]
    return []

"""The site's audio targets: the engine's documented defaults, the longest audio analysed
(STAGECOACH_MAX_DURATION_MIN) and the overrides in STAGECOACH_AUDIO_TARGETS.

The one place targets are built: the analysis service, the `analyse_bounce` command and
the pages that judge or chart a bounce all call `audio_targets()`.
"""

from __future__ import annotations

import functools
import json

from django.conf import settings

from songs.analysis import Targets


@functools.cache
def _targets(overrides_json: str) -> Targets:
    return Targets.from_mapping(json.loads(overrides_json))


def audio_targets() -> Targets:
    """Raises TargetsError when an override is unusable (the system check says so first)."""
    overrides = {"max_duration_s": float(settings.ANALYSIS_MAX_DURATION_S)}
    overrides |= settings.STAGECOACH_AUDIO_TARGETS
    return _targets(json.dumps(overrides, sort_keys=True))

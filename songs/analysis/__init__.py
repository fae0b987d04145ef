"""The bounce analysis engine: plain Python (numpy, scipy, soundfile, mutagen, Pillow).

Nothing in this package imports Django; callers pass files and targets in:

    report = analyse(fileobj, targets=Targets.from_mapping(overrides), stage="mastering",
                     delivery=Delivery(formats=("wav", "flac"), title="Glass Orchard"))
    report.to_dict()     # JSON-safe, the stored and printed form
    report.waveform_png  # PNG bytes for the caller to store

    music = analyse_music(fileobj)  # the second pass: tempo, key, tuning, tonal balance
    music.to_dict()      # JSON-safe, keys MUSIC_KEYS
    evaluate_music(music, "mixing", MusicContext(profile=..., reference=(title, music)))
"""

from __future__ import annotations

from songs.analysis.checks import CHECK_IDS, evaluate
from songs.analysis.engine import analyse
from songs.analysis.errors import AnalysisError
from songs.analysis.music import MUSIC_KEYS, MusicReport, StereoWidth, analyse_music
from songs.analysis.music_checks import (
    MUSIC_CHECK_IDS,
    MusicContext,
    detected_fields,
    evaluate_music,
    reference_profile,
)
from songs.analysis.report import (
    CONTRACT_KEYS,
    STAGE_SLUGS,
    Artwork,
    Check,
    LoudnessCurve,
    Report,
    Status,
    StreamingPreview,
    Waveform,
)
from songs.analysis.spectrum import BAND_CENTRES_HZ
from songs.analysis.targets import (
    DEFAULT_PLATFORMS,
    Delivery,
    PlatformProfile,
    Targets,
    TargetsError,
)

__all__ = [
    "BAND_CENTRES_HZ",
    "CHECK_IDS",
    "CONTRACT_KEYS",
    "DEFAULT_PLATFORMS",
    "MUSIC_CHECK_IDS",
    "MUSIC_KEYS",
    "STAGE_SLUGS",
    "AnalysisError",
    "Artwork",
    "Check",
    "Delivery",
    "LoudnessCurve",
    "MusicContext",
    "MusicReport",
    "PlatformProfile",
    "Report",
    "Status",
    "StereoWidth",
    "StreamingPreview",
    "Targets",
    "TargetsError",
    "Waveform",
    "analyse",
    "analyse_music",
    "detected_fields",
    "evaluate",
    "evaluate_music",
    "reference_profile",
]

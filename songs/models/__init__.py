"""Songs and their bounces (versioned audio exports uploaded on a stage record).

    song.py      Song: details, release data, who may change it (editable_by, ensure_open)
    bounce.py    Bounce: versions, analysis state, the typed report, judging
    delivery.py  DeliveryProfile: what a master must be to deliver
    profile.py   GenreProfile: a genre's tonal balance, per one-third octave
    reference.py ReferenceTrack: released records set beside a song, analysed likewise
    claim.py     ClaimedWork: the claim, heartbeat and publish stamp of work a task owes

Everything is importable from `songs.models`, as Django and the migrations expect.
"""

from __future__ import annotations

from songs.models.bounce import (
    AnalysisState,
    Bounce,
    BounceQuerySet,
    MusicState,
    ShownBounceManager,
    bounce_upload_to,
    peaks_upload_to,
    waveform_upload_to,
)
from songs.models.delivery import CD_QUALITY, DeliveryProfile, DeliveryProfileQuerySet
from songs.models.profile import GenreProfile
from songs.models.reference import (
    ReferenceTrack,
    ReferenceTrackQuerySet,
    reference_peaks_upload_to,
    reference_upload_to,
)
from songs.models.song import (
    HABIT_MAX_CHARS,
    KEY_CHOICES,
    RETRO_MAX_CHARS,
    TEMPO_MAX_BPM,
    TEMPO_MIN_BPM,
    IsrcTaken,
    ReleaseRuleError,
    Song,
    SongProgress,
    SongQuerySet,
    artwork_upload_to,
    normalise_isrc_input,
    shown_song,
    validate_isrc,
)

__all__ = [
    "CD_QUALITY",
    "HABIT_MAX_CHARS",
    "KEY_CHOICES",
    "RETRO_MAX_CHARS",
    "TEMPO_MAX_BPM",
    "TEMPO_MIN_BPM",
    "AnalysisState",
    "Bounce",
    "BounceQuerySet",
    "DeliveryProfile",
    "DeliveryProfileQuerySet",
    "GenreProfile",
    "IsrcTaken",
    "MusicState",
    "ReferenceTrack",
    "ReferenceTrackQuerySet",
    "ReleaseRuleError",
    "ShownBounceManager",
    "Song",
    "SongProgress",
    "SongQuerySet",
    "artwork_upload_to",
    "bounce_upload_to",
    "normalise_isrc_input",
    "peaks_upload_to",
    "reference_peaks_upload_to",
    "reference_upload_to",
    "shown_song",
    "validate_isrc",
    "waveform_upload_to",
]

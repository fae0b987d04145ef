"""Every target, threshold and limit the engine judges against, as data with defaults.

The engine never reads settings: the caller builds `Targets` (usually with
`Targets.from_mapping(settings.STAGECOACH_AUDIO_TARGETS)`) and passes it in.

What a master must be to deliver is not a site-wide target but the song's own rulebook
(its delivery profile and release details): the caller passes it as a `Delivery`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from songs.analysis.report import STAGE_SLUGS

STANDARD_SAMPLE_RATES_HZ: tuple[int, ...] = (44_100, 48_000, 88_200, 96_000, 176_400, 192_000)
"""The sample rates distributors take; anything else is resampled on the way (or refused)."""


@dataclass(frozen=True)
class Delivery:
    """What a finished master must be to deliver, and what its tags must say.

    The formats, sample rate and bit depth come from a delivery profile. `title`,
    `artist` and `isrc` are what the song says the master is: None means nothing is known
    to compare with (a file judged on its own, from the command line); an empty `isrc`
    means the song has none yet.
    """

    profile: str = "CD quality"
    formats: tuple[str, ...] = ("wav", "flac")
    """Containers a master may be delivered in (AudioFormat values)."""
    min_sample_rate_hz: int = 44_100
    min_bit_depth: int = 16
    """Fewest bits per sample; a lossy file has no fixed bit depth and never qualifies."""
    title: str | None = None
    artist: str | None = None
    isrc: str | None = None


_DELIVERY_NAMES = frozenset(
    {"delivery_sample_rates_hz", "delivery_min_bit_depth", "delivery_lossless", "required_tags"}
)
"""Targets of earlier versions that delivery profiles replaced, named when they are set."""


class TargetsError(ValueError):
    """An override that names no target, or gives one a value of the wrong kind."""


@dataclass(frozen=True)
class PlatformProfile:
    """How one streaming platform normalises loudness at playback.

    Platforms change these without notice; `checked` says when the figures were last
    compared with `source`.
    """

    name: str
    target_lufs: float
    turns_up_quiet: bool
    """Whether the platform raises tracks quieter than its target (else it only turns down)."""
    peak_ceiling_dbtp: float | None = None
    """When turning up, the platform stops where the true peak would reach this level."""
    checked: str = ""
    source: str = ""
    note: str = ""


_SAGE = (
    "https://www.sageaudio.com/blog/mastering/"
    "mastering-for-streaming-platform-loudness-and-normalization-explained.php"
)

DEFAULT_PLATFORMS: tuple[PlatformProfile, ...] = (
    PlatformProfile(
        name="Spotify",
        target_lufs=-14.0,
        turns_up_quiet=True,
        peak_ceiling_dbtp=-1.0,
        checked="2026-11-23",
        source="https://support.spotify.com/us/artists/article/loudness-normalization/",
        note="Default 'Normal' setting; quiet tracks are raised only as far as -1 dBTP allows.",
    ),
    PlatformProfile(
        name="Apple Music",
        target_lufs=-16.0,
        turns_up_quiet=True,
        peak_ceiling_dbtp=-1.0,
        checked="2026-11-23",
        source=_SAGE,
        note="Sound Check; Apple publishes no ceiling, -1 dBTP is assumed.",
    ),
    PlatformProfile(
        name="YouTube",
        target_lufs=-14.0,
        turns_up_quiet=False,
        checked="2026-11-23",
        source=_SAGE,
        note="Turns loud uploads down only.",
    ),
    PlatformProfile(
        name="Tidal",
        target_lufs=-14.0,
        turns_up_quiet=False,
        checked="2026-11-23",
        source=_SAGE,
        note="Turns loud tracks down only.",
    ),
    PlatformProfile(
        name="Amazon Music",
        target_lufs=-14.0,
        turns_up_quiet=False,
        checked="2026-11-23",
        source=_SAGE,
        note="Observed behaviour; Amazon publishes no figure.",
    ),
    PlatformProfile(
        name="Deezer",
        target_lufs=-15.0,
        turns_up_quiet=False,
        checked="2026-11-23",
        source=_SAGE,
        note="Observed behaviour; Deezer publishes no figure.",
    ),
)


@dataclass(frozen=True)
class Targets:
    # --- Mastering: loudness and dynamics -----------------------------------------------
    master_integrated_lufs: float = -14.0
    """Integrated loudness a master aims for (the level most platforms play at)."""
    master_integrated_tolerance_lu: float = 1.0
    """A master within this many LU of the target passes."""
    master_integrated_warn_lu: float = 3.0
    """Within this many LU it is a warning; further away it fails."""
    true_peak_max_dbtp: float = -1.0
    """Highest true peak that passes: lossy encoders need about 1 dB of room."""
    true_peak_fail_dbtp: float = 0.0
    """A true peak above this fails (it will clip after conversion); between is a warning."""
    loudness_range_min_lu: float = 3.0
    """Below this loudness range the master sounds flattened (warning)."""
    loudness_range_max_lu: float = 15.0
    """Above this, quiet passages get lost on phones and in cars (warning)."""
    loudness_range_min_duration_s: float = 30.0
    """A bounce shorter than this is an excerpt: its loudness range says little about how
    the song moves, so it is not judged."""
    plr_min_db: float = 8.0
    """Lowest peak-to-loudness ratio before the master counts as over-limited (warning)."""

    # --- Recording and mixing: headroom --------------------------------------------------
    recording_peak_max_dbfs: float = -6.0
    """A recording should peak at or below this, leaving room for surprises."""
    recording_peak_min_dbfs: float = -30.0
    """A recording peaking below this was captured too quietly (warning)."""
    mix_peak_max_dbfs: float = -3.0
    """A mix sent to mastering should peak at or below this."""
    noise_floor_max_lufs: float = -45.0
    """Pauses inside a recording louder than this suggest hiss or hum (warning)."""
    pause_min_s: float = 1.0
    """A pause, to hear the noise floor in, lasts at least this long..."""
    pause_depth_lu: float = 20.0
    """...and stays at least this far below the integrated loudness; without one, the
    noise floor is not judged (quiet music is not noise)."""

    # --- Signal health --------------------------------------------------------------------
    clip_level_dbfs: float = -0.01
    """A sample at or above this level counts as full scale."""
    clip_run_samples: int = 3
    """This many consecutive full-scale samples on a channel count as a clip."""
    dc_offset_max: float = 0.001
    """Largest DC offset per channel that passes, as a fraction of full scale (-60 dBFS)."""
    dc_offset_min_duration_s: float = 3.0
    """Shorter than this, the mean of a bass note is not yet near zero: DC is not judged."""
    correlation_warn_below: float = 0.1
    """Left/right correlation below this risks thinning out in mono (warning)."""
    correlation_fail_below: float = -0.2
    """Below this, parts cancel in mono: usually a channel with flipped polarity."""
    balance_max_db: float = 2.0
    """Largest left/right level difference that passes."""

    # --- Silence and edges ----------------------------------------------------------------
    silence_threshold_dbfs: float = -60.0
    """Quieter than this counts as silence at the start and end."""
    leading_silence_max_s: float = 2.0
    """Longest silence before the first sound that passes."""
    trailing_silence_max_s: float = 4.0
    """Longest silence after the last sound that passes."""
    edge_window_ms: float = 5.0
    """How much of the very start and end is looked at for an abrupt cut."""
    edge_peak_max_dbfs: float = -20.0
    """A peak above this in the edge window means the audio starts or stops abruptly."""

    # --- Metadata -----------------------------------------------------------------------
    artwork_min_px: int = 3000
    """Smallest side of embedded cover art that stores accept."""

    # --- How strictly each stage is judged ------------------------------------------------
    lenient_stages: tuple[str, ...] = ("production", "songwriting", "pre-production")
    """Demo stages: any check that would fail there is shown as a warning."""

    # --- Streaming --------------------------------------------------------------------------
    platforms: tuple[PlatformProfile, ...] = DEFAULT_PLATFORMS
    """Platform profiles for the normalisation preview."""

    # --- Limits that keep a hostile file from costing unbounded time or memory ------------
    max_duration_s: float = 2 * 3600.0
    """Longest audio analysed; a longer file is refused."""
    max_channels: int = 8
    """Most channels accepted (7.1 surround)."""
    min_sample_rate_hz: int = 8000
    """Lowest sample rate accepted; headers can claim 1 Hz."""
    max_sample_rate_hz: int = 384000
    """Highest sample rate accepted."""
    max_artwork_pixels: int = 40_000_000
    """Embedded pictures larger than this are reported, never decoded."""

    def __post_init__(self) -> None:
        problems = []
        if self.master_integrated_tolerance_lu < 0:
            problems.append("master_integrated_tolerance_lu must not be negative")
        if self.master_integrated_warn_lu < self.master_integrated_tolerance_lu:
            problems.append("master_integrated_warn_lu must be at least the tolerance")
        if self.true_peak_fail_dbtp < self.true_peak_max_dbtp:
            problems.append("true_peak_fail_dbtp must be at least true_peak_max_dbtp")
        if self.clip_run_samples < 1:
            problems.append("clip_run_samples must be at least 1")
        if not 1 <= self.max_channels <= 32:
            problems.append("max_channels must be between 1 and 32")
        if not 0 < self.min_sample_rate_hz <= self.max_sample_rate_hz:
            problems.append("min_sample_rate_hz must be positive and at most max_sample_rate_hz")
        unknown_stages = sorted(set(self.lenient_stages) - set(STAGE_SLUGS))
        if unknown_stages:
            problems.append(f"lenient_stages names unknown stages: {', '.join(unknown_stages)}")
        if problems:
            raise TargetsError("; ".join(problems))

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, object]) -> Targets:
        """Defaults with `overrides` applied; unknown names and wrong kinds raise TargetsError.

        Platforms are given as a list of mappings with PlatformProfile's field names and
        replace the default list as a whole.
        """
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(overrides) - set(known))
        moved = [name for name in unknown if name in _DELIVERY_NAMES]
        if moved:
            raise TargetsError(
                f"{', '.join(moved)}: what a master must be to deliver is no longer a site "
                "target; each song is judged by its delivery profile (edit the profiles in "
                "the Django admin)."
            )
        if unknown:
            raise TargetsError(
                f"Unknown audio target(s): {', '.join(unknown)}. "
                f"Known targets: {', '.join(sorted(known))}."
            )
        defaults = cls()
        # Each value has its field's type: _coerce checks it against the default.
        values: dict[str, Any] = {
            name: _coerce(name, getattr(defaults, name), value) for name, value in overrides.items()
        }
        return replace(defaults, **values)


def _coerce(name: str, default: object, value: object) -> object:
    if name == "platforms":
        return _platforms(value)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif isinstance(default, tuple):
        if isinstance(value, list | tuple) and default:
            kind = type(default[0])
            if all(isinstance(item, kind) and not isinstance(item, bool) for item in value):
                return tuple(value)
        elif isinstance(value, list | tuple):
            return tuple(value)
    raise TargetsError(
        f"Audio target {name} must be {_kind(default)}, not {type(value).__name__} {value!r}."
    )


def _kind(default: object) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, tuple) and default:
        return f"a list of {type(default[0]).__name__}"
    return "a list"


def _platforms(value: object) -> tuple[PlatformProfile, ...]:
    if not isinstance(value, list | tuple):
        raise TargetsError("Audio target platforms must be a list of platform profiles.")
    known = {f.name for f in dataclasses.fields(PlatformProfile)}
    profiles = []
    for item in value:
        if isinstance(item, PlatformProfile):
            profiles.append(item)
            continue
        if not isinstance(item, Mapping):
            raise TargetsError("Each platform profile must be a mapping of its fields.")
        unknown = sorted(set(item) - known)
        if unknown:
            raise TargetsError(
                f"Unknown platform profile field(s): {', '.join(unknown)}. "
                f"Known fields: {', '.join(sorted(known))}."
            )
        try:
            profile = PlatformProfile(**item)
        except TypeError as error:
            raise TargetsError(f"Incomplete platform profile {dict(item)!r}: {error}") from error
        if not isinstance(profile.target_lufs, int | float) or isinstance(
            profile.target_lufs, bool
        ):
            raise TargetsError(f"Platform {profile.name!r}: target_lufs must be a number.")
        profiles.append(profile)
    return tuple(profiles)

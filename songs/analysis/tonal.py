"""Tonal balance: a mix's one-third-octave band levels (MusicReport.band_levels_db) read as
a shape, and the profile a shape is read against (a genre's, or a reference track's).

Levels are compared relative to their own mean over the bands, so a quieter bounce and a
loud master of the same mix have the same shape. Plain Python, no Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from songs.analysis.spectrum import BAND_CENTRES_HZ


def relative_levels(levels: Sequence[float | None]) -> tuple[float | None, ...]:
    """Each band's level minus the mean of the measured bands (dB); None stays None (a band
    with no energy in it), and all None when no band was measured."""
    measured = [level for level in levels if level is not None]
    if not measured:
        return tuple(None for _ in levels)
    mean = sum(measured) / len(measured)
    return tuple(None if level is None else level - mean for level in levels)


@dataclass(frozen=True)
class BandProfile:
    """What a shape is read against: per band (BAND_CENTRES_HZ), a typical relative level
    and the spread around it (one standard deviation, dB)."""

    name: str
    levels_db: tuple[float, ...]
    spread_db: tuple[float, ...]
    measured_tracks: int
    """How many records the figures come from; 0 for a starter shape nobody measured (a
    verdict against it would claim more than it knows)."""
    source: str

    def __post_init__(self) -> None:
        if len(self.levels_db) != len(BAND_CENTRES_HZ) or len(self.spread_db) != len(
            BAND_CENTRES_HZ
        ):
            raise ValueError(f"a profile has {len(BAND_CENTRES_HZ)} bands")

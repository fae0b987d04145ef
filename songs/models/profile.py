"""Genre profiles: the tonal balance most mixes of a genre share, as a band per
one-third octave, which the Mixing and Mastering checks read a mix against. Data, edited in
the admin, each with where its figures come from."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from songs.analysis import BAND_CENTRES_HZ
from songs.analysis.tonal import BandProfile


def _validate_bands(value: Any) -> None:
    if not isinstance(value, list) or len(value) != len(BAND_CENTRES_HZ):
        raise ValidationError(
            f"Give {len(BAND_CENTRES_HZ)} numbers, one per one-third-octave band from "
            f"{BAND_CENTRES_HZ[0]:.0f} Hz to {BAND_CENTRES_HZ[-1]:.0f} Hz."
        )
    if not all(isinstance(number, int | float) for number in value):
        raise ValidationError("Every band needs a number (dB).")


class GenreProfile(models.Model):
    """A genre's tonal balance: per band, the typical level relative to the mix's own
    average over the bands (`levels_db`, so a louder master reads the same) and how far
    mixes of the genre spread around it (`spread_db`, one standard deviation)."""

    name = models.CharField(max_length=60, unique=True)
    levels_db = models.JSONField(
        "band levels (dB)",
        validators=[_validate_bands],
        help_text="Per band from 100 Hz to 10 kHz, relative to the average over the bands.",
    )
    spread_db = models.JSONField(
        "spread (dB)",
        validators=[_validate_bands],
        help_text="Per band: one standard deviation of the mixes the profile was measured on.",
    )
    source = models.TextField(
        help_text="Where the figures come from: the records measured (manage.py "
        "measure_genre_profile writes this), or what a starter profile is."
    )
    measured_tracks = models.PositiveIntegerField(
        default=0, help_text="How many records the figures were measured on (0: a starter)."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def band_profile(self) -> BandProfile:
        """The profile as the engine reads it."""
        return BandProfile(
            name=self.name,
            levels_db=tuple(float(level) for level in self.levels_db),
            spread_db=tuple(float(spread) for spread in self.spread_db),
            measured_tracks=self.measured_tracks,
            source=self.source,
        )

"""`manage.py measure_genre_profile NAME FILE [FILE ...] [--source TEXT]`: a genre's tonal
balance measured from records (the more, the better: twenty is a fair start), saved as the
profile NAME (created, or replaced) for the Mixing and Mastering checks."""

from __future__ import annotations

import statistics
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from songs.analysis import BAND_CENTRES_HZ, AnalysisError, analyse_music
from songs.analysis.tonal import relative_levels
from songs.models import GenreProfile

MIN_SPREAD_DB = 1.0
"""The narrowest band a profile keeps: below it, a handful of similar records would make a
profile no real mix fits."""


class Command(BaseCommand):
    help = (
        "Measure a genre's tonal balance from audio files (its typical level per "
        "one-third-octave band, relative to the mix's own average, and the spread) and save "
        "it as a genre profile."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="the profile's name, e.g. Pop")
        parser.add_argument("files", nargs="+", help="records of the genre")
        parser.add_argument("--source", default="", help="where the records come from")

    def handle(self, *args: Any, **options: Any) -> None:
        shapes: list[tuple[float | None, ...]] = []
        names = []
        for name in options["files"]:
            path = Path(name)
            try:
                with path.open("rb") as handle:
                    music = analyse_music(handle)
            except (OSError, AnalysisError) as error:
                raise CommandError(f"{path.name}: {error}") from error
            shapes.append(relative_levels(music.band_levels_db))
            names.append(path.name)
        if len(shapes) < 2:
            raise CommandError("Measure at least two records: one record is not a genre.")
        levels, spread = [], []
        for band in range(len(BAND_CENTRES_HZ)):
            values = [level for shape in shapes if (level := shape[band]) is not None]
            if len(values) < 2:
                raise CommandError(
                    f"The {BAND_CENTRES_HZ[band]:.0f} Hz band is silent in the records."
                )
            levels.append(round(statistics.fmean(values), 2))
            spread.append(round(max(statistics.stdev(values), MIN_SPREAD_DB), 2))
        source = options["source"] or "Measured from: " + ", ".join(names)
        profile, created = GenreProfile.objects.update_or_create(
            name=options["name"],
            defaults={
                "levels_db": levels,
                "spread_db": spread,
                "source": source,
                "measured_tracks": len(shapes),
            },
        )
        verb = "Created" if created else "Replaced"
        self.stdout.write(f"{verb} {profile.name}: measured from {len(shapes)} records.")

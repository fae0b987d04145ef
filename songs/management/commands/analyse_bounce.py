"""`manage.py analyse_bounce PATH [--json] [--stage SLUG] [--profile NAME]`: the analysis
engine on one file, with the site's targets (songs.targets, as the worker uses them)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from songs.analysis import (
    STAGE_SLUGS,
    AnalysisError,
    Delivery,
    TargetsError,
    analyse,
    analyse_music,
)
from songs.analysis.summary import render_text
from songs.models import DeliveryProfile
from songs.targets import audio_targets


class Command(BaseCommand):
    help = (
        "Analyse an audio file as a bounce: loudness, peaks, signal health, tags and "
        "checks. Prints a summary, or the whole report as JSON with --json."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="the audio file to analyse")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--stage", choices=STAGE_SLUGS, help="judge the bounce as work of this stage"
        )
        parser.add_argument(
            "--waveform", metavar="PNG", help="also write the waveform picture to this path"
        )
        parser.add_argument(
            "--profile",
            metavar="NAME",
            help="judge delivery against this delivery profile (default: CD quality, as the "
            "engine and the default profile define it; the file is judged on its own tags)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            targets = audio_targets()
        except TargetsError as error:
            raise CommandError(f"STAGECOACH_AUDIO_TARGETS: {error}") from error
        delivery = Delivery()
        if options["profile"]:
            profile = DeliveryProfile.objects.filter(name=options["profile"]).first()
            if profile is None:
                names = ", ".join(DeliveryProfile.objects.values_list("name", flat=True))
                raise CommandError(
                    f"No delivery profile is called {options['profile']!r}: {names}."
                )
            delivery = profile.delivery()

        path = Path(options["path"])
        try:
            with path.open("rb") as fileobj:
                report = analyse(
                    fileobj, targets=targets, stage=options["stage"], delivery=delivery
                )
                music = analyse_music(fileobj, targets=targets) if options["json"] else None
        except (AnalysisError, OSError) as error:
            if isinstance(error, OSError):
                error = AnalysisError("unopenable", f"Cannot open {path}: {error.strerror}.")
            if options["json"]:
                self.stdout.write(json.dumps(error.to_dict(), ensure_ascii=False))
            raise CommandError(error.reason, returncode=2) from error

        if options["waveform"]:
            Path(options["waveform"]).write_bytes(report.waveform_png)
        if options["json"]:
            # The musical measurements' keys sit beside the loudness report's, which stay.
            data = {**report.to_dict(), **(music.to_dict() if music else {})}
            self.stdout.write(json.dumps(data, ensure_ascii=False, allow_nan=False))
        else:
            self.stdout.write(render_text(report))

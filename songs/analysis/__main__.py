"""`python -m songs.analysis FILE [--json] [--stage SLUG] [--targets JSON]`: the engine alone.

Everything the worker stores (the loudness, peaks, health, tags and waveform report, and
the musical pass) for one file, without Django or Celery: a process that starts in a
fraction of what `manage.py analyse_bounce` needs. The targets are the engine's documented
defaults (songs/analysis/targets.py) with the overrides given as a JSON object, in the
form STAGECOACH_AUDIO_TARGETS takes; the site's own settings are the management command's
business. Exit status 0 with a report, 2 when the file cannot be analysed (its reason on
stderr, and as {"error", "reason"} on stdout with --json).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from songs.analysis.engine import analyse
from songs.analysis.errors import AnalysisError
from songs.analysis.music import analyse_music
from songs.analysis.report import STAGE_SLUGS
from songs.analysis.summary import render_text
from songs.analysis.targets import Targets, TargetsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m songs.analysis",
        description="Analyse an audio file as a bounce: loudness, peaks, signal health, tags, "
        "checks, tempo, key and tonal balance.",
    )
    parser.add_argument("path", help="the audio file to analyse")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--stage", choices=STAGE_SLUGS, help="judge it as work of this stage")
    parser.add_argument(
        "--targets",
        metavar="JSON",
        help="overrides of the targets, e.g. '{\"master_integrated_lufs\": -16}'",
    )
    parser.add_argument("--no-music", action="store_true", help="leave out the musical pass")
    options = parser.parse_args(argv)

    try:
        targets = Targets.from_mapping(json.loads(options.targets) if options.targets else {})
    except (TargetsError, ValueError, AttributeError) as error:
        parser.error(f"--targets: {error}")
    path = Path(options.path)
    try:
        with path.open("rb") as fileobj:
            report = analyse(fileobj, targets=targets, stage=options.stage)
            music = None if options.no_music else analyse_music(fileobj, targets=targets)
    except (AnalysisError, OSError) as error:
        if isinstance(error, OSError):
            error = AnalysisError("unopenable", f"Cannot open {path}: {error.strerror}.")
        if options.json:
            print(json.dumps(error.to_dict(), ensure_ascii=False))
        print(error.reason, file=sys.stderr)
        return 2
    if options.json:
        # The musical measurements' keys sit beside the loudness report's, as the
        # management command prints them.
        data = {**report.to_dict(), **(music.to_dict() if music else {})}
        print(json.dumps(data, ensure_ascii=False, allow_nan=False))
    else:
        print(render_text(report))
        if music is not None:
            print(_music_text(music.to_dict()))
    return 0


def _music_text(music: dict[str, object]) -> str:
    tempo = music["tempo_bpm"]
    tuning = music["tuning_cents"]
    tilt = music["spectral_tilt_db_per_octave"]
    width = music["stereo_width"]
    spread = (
        ", ".join(f"{band} {value}" for band, value in width.items())
        if isinstance(width, dict)
        else "-"
    )
    return "\n".join(
        (
            f"{'Tempo':<10}{'none steady' if tempo is None else f'{tempo} BPM'} "
            f"(confidence {music['tempo_confidence']})",
            f"{'Key':<10}{music['key'] or 'none'} (confidence {music['key_confidence']}), "
            f"tuning {'-' if tuning is None else f'{tuning:+} cents'}",
            f"{'Tone':<10}tilt {'-' if tilt is None else f'{tilt} dB/octave'}, "
            f"stereo width {spread}",
        )
    )


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the musical pass (analyse_music) against ffmpeg measured in the same run.

Run by `make bench` (pytest -o python_files='bench_*.py' tests/bench -s). Synthesises,
as bench_analysis does, a 4-minute and a 60-minute 44.1 kHz 24-bit stereo WAV of
music-like material, then times whole processes pinned to one core, best of a few runs
(bench_analysis.measure):

- our musical pass: decode, Welch spectrum, stereo width, onset envelope and tempo,
  partials, tuning and key, in a fresh Python process that imports the engine;
- ffmpeg's ebur128 filter with true peak on the same 4-minute file, the peer whose
  whole-process time the pass is to stay within 1.5 times of.

It prints the figures (times as ratios to ffmpeg, seconds, peak memory at 4 and 60
minutes) and writes them to bench-results/music.json. It asserts no timing; it does
check that the pass's memory stays flat (60 minutes within 1.5 times of 4) and that it
found the song's tempo, since a fast wrong answer is no result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import pytest

from tests.bench.bench_analysis import LONG_MINUTES, ROOT, SHORT_MINUTES, Run, measure, write_song

RESULTS = ROOT / "bench-results" / "music.json"
TIME_TARGET = 1.5
"""The pass's whole-process time, at most this many times ffmpeg's ebur128=peak=true."""
MEMORY_TARGET = 1.5

OURS = """
import json, sys, time
started = time.perf_counter()
from songs.analysis import analyse_music
imported = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    report = analyse_music(f)
done = time.perf_counter()
print(json.dumps({
    "in_process_s": done - imported,
    "import_s": imported - started,
    "music": report.to_dict(),
}))
"""


def _row(run: Run, ffmpeg: Run | None) -> str:
    ratio = (
        f"{run.wall_s / ffmpeg.wall_s:.2f}x" if ffmpeg and run.minutes == ffmpeg.minutes else "-"
    )
    in_process = "-" if run.in_process_s is None else f"{run.in_process_s:.2f}"
    return (
        f"{run.tool:<30} {run.minutes:>4}mn {run.wall_s:>7.2f} {in_process:>9} "
        f"{run.peak_rss_mb:>8.0f} {ratio:>13}"
    )


def test_the_musical_pass_is_timed_against_ffmpeg_in_flat_memory() -> None:
    with tempfile.TemporaryDirectory(prefix="stagecoach-bench-music-") as folder:
        short, long = Path(folder) / "short.wav", Path(folder) / "long.wav"
        write_song(short, SHORT_MINUTES)
        write_song(long, LONG_MINUTES)
        python = sys.executable
        ours = measure("stagecoach musical pass", [python, "-c", OURS, str(short)], SHORT_MINUTES)
        ours_long = measure(
            "stagecoach musical pass", [python, "-c", OURS, str(long)], LONG_MINUTES
        )
        runs = [ours, ours_long]
        ffmpeg = None
        if shutil.which("ffmpeg"):
            command = ["ffmpeg", "-nostats", "-hide_banner", "-i", str(short)]
            command += ["-af", "ebur128=peak=true", "-f", "null", "-"]
            ffmpeg = measure("ffmpeg ebur128 true peak", command, SHORT_MINUTES)
            runs.append(ffmpeg)
        else:
            print(
                "!!! ffmpeg is not installed (apt-get install ffmpeg): that peer was not measured"
            )
        found = _found(python, short)

    memory_ratio = ours_long.peak_rss_mb / ours.peak_rss_mb
    print()
    print(
        f"{'tool':<30} {'file':>6} {'wall s':>7} {'in-proc s':>9} {'peak MB':>8} {'vs ffmpeg':>13}"
    )
    for run in runs:
        print(_row(run, ffmpeg))
    time_ratio = ours.wall_s / ffmpeg.wall_s if ffmpeg else None
    if ffmpeg and time_ratio is not None:
        print(
            f"\nmusical pass, {SHORT_MINUTES} min: {time_ratio:.2f}x ffmpeg's whole-process time "
            f"(target at most {TIME_TARGET}x): {ours.wall_s:.2f} s against {ffmpeg.wall_s:.2f} s"
        )
    print(
        f"peak memory: {ours.peak_rss_mb:.0f} MB at {SHORT_MINUTES} min, "
        f"{ours_long.peak_rss_mb:.0f} MB at {LONG_MINUTES} min: {memory_ratio:.2f}x "
        f"(target at most {MEMORY_TARGET}x); {LONG_MINUTES} min took {ours_long.wall_s:.1f} s"
    )
    print(f"what the pass found in the {SHORT_MINUTES}-minute song: {found}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "runs": [asdict(run) for run in runs],
                "time_ratio_vs_ffmpeg": time_ratio,
                "memory_ratio_long_vs_short": memory_ratio,
                "found": found,
            },
            indent=2,
        )
    )

    assert memory_ratio <= MEMORY_TARGET
    # The bench song is bench_analysis's loop: a 120 BPM groove over an A major chord.
    assert found["tempo_bpm"] is not None and abs(found["tempo_bpm"] - 120) < 120 * 0.04
    assert found["key"] == "A major"


def _found(python: str, path: Path) -> dict[str, object]:
    """What the pass found in the song (measure() keeps only the timings)."""
    finished = subprocess.run(
        [python, "-c", OURS, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    music: dict[str, object] = json.loads(finished.stdout.strip().splitlines()[-1])["music"]
    return {key: music[key] for key in ("tempo_bpm", "key", "tuning_cents", "stereo_width")}


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-s", "-o", "python_files=bench_*.py"]))

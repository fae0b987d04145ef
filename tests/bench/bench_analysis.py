"""Benchmark of the bounce analysis engine against peers measured in the same run.

Run by `make bench` (pytest -o python_files='bench_*.py' tests/bench -s). Synthesises a
4-minute and a 60-minute 44.1 kHz 24-bit stereo WAV of music-like material, then times
whole processes, pinned to one core, best of a few runs:

- our full analysis (decode, loudness, range, true peak, health, metadata, waveform);
- pyloudnorm computing integrated loudness alone (reads the whole file into memory);
- ffmpeg's ebur128 filter with true peak (Debian's ffmpeg; skipped if not installed);
- soundfile decoding the file and nothing else (the floor under any analysis).

Peak memory is each process's maximum resident set. The assertions are ratios against
the peers and between the two file lengths, never absolute times; the table and
bench-results/analysis.json carry the figures.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
import soundfile

from tests.analysis.signals import music

RATE = 44100
SHORT_MINUTES = 4
LONG_MINUTES = 60
RUNS = 3
ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench-results" / "analysis.json"

OURS = """
import json, sys, time
started = time.perf_counter()
from songs.analysis import analyse
imported = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    report = analyse(f)
done = time.perf_counter()
print(json.dumps({
    "in_process_s": done - imported,
    "import_s": imported - started,
    "integrated_lufs": report.integrated_lufs,
    "true_peak_dbtp": report.true_peak_dbtp,
}))
"""
PYLOUDNORM = """
import json, sys, time
import pyloudnorm, soundfile
started = time.perf_counter()
data, rate = soundfile.read(sys.argv[1])
loudness = pyloudnorm.Meter(rate).integrated_loudness(data)
print(json.dumps({"in_process_s": time.perf_counter() - started, "integrated_lufs": loudness}))
"""
DECODE = """
import json, sys, time
import numpy, soundfile
started = time.perf_counter()
with soundfile.SoundFile(sys.argv[1]) as f:
    buffer = numpy.empty((65536, f.channels), dtype="float32")
    while len(f.read(dtype="float32", always_2d=True, out=buffer)) == len(buffer):
        pass
print(json.dumps({"in_process_s": time.perf_counter() - started}))
"""


@dataclass
class Run:
    tool: str
    minutes: int
    wall_s: float
    peak_rss_mb: float
    in_process_s: float | None = None
    integrated_lufs: float | None = None
    true_peak_dbtp: float | None = None

    @property
    def realtime(self) -> float:
        return self.minutes * 60 / self.wall_s


def write_song(path: Path, minutes: int) -> None:
    """The same 4-minute song, repeated: the long file costs no more to make than to write."""
    loop = music(SHORT_MINUTES * 60, rate=RATE)
    with soundfile.SoundFile(path, "w", RATE, 2, subtype="PCM_24") as out:
        for _ in range(minutes // SHORT_MINUTES):
            out.write(loop)


def one_core(command: list[str]) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", "0", *command] if taskset else command


def measure(tool: str, command: list[str], minutes: int) -> Run:
    """Best wall time, and the largest peak RSS, over RUNS fresh processes."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    runs = [_run_once(tool, command, minutes, env) for _ in range(RUNS)]
    best = min(runs, key=lambda run: run.wall_s)
    best.peak_rss_mb = max(run.peak_rss_mb for run in runs)
    return best


def _run_once(tool: str, command: list[str], minutes: int, env: dict[str, str]) -> Run:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(one_core(command), stdout=out, stderr=err, env=env, cwd=ROOT)
        peak_mb = 0.0
        while process.poll() is None:
            # The high-water mark of the program's own memory map. Only the last reading
            # counts: before exec the child still carries this (large) process's map,
            # which is also why rusage's ru_maxrss cannot be used here.
            peak_mb = _high_water_mb(process.pid, peak_mb)
            time.sleep(0.002)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    assert process.returncode == 0, stderr[-2000:]
    return Run(
        tool=tool,
        minutes=minutes,
        wall_s=wall,
        peak_rss_mb=peak_mb,
        **_parse(tool, stdout, stderr),
    )


def _high_water_mb(pid: int, previous: float) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone between poll() and the read
        return previous
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else previous


def _parse(tool: str, out: str, err: str) -> dict:
    if tool.startswith("ffmpeg"):
        summary = err[err.rfind("Summary:") :]
        integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
        peak = re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)
        return {
            "integrated_lufs": float(integrated.group(1)) if integrated else None,
            "true_peak_dbtp": float(peak.group(1)) if peak else None,
        }
    data = json.loads(out.strip().splitlines()[-1])
    return {
        "in_process_s": data.get("in_process_s"),
        "integrated_lufs": data.get("integrated_lufs"),
        "true_peak_dbtp": data.get("true_peak_dbtp"),
    }


def _table(runs: list[Run], reference: Run) -> str:
    lines = [
        f"{'tool':<28} {'file':>6} {'wall s':>7} {'x real time':>11} {'in-proc s':>9} "
        f"{'peak MB':>8} {'time vs ours':>12} {'I LUFS':>7} {'TP dBTP':>7}",
    ]
    for run in runs:
        ratio = run.wall_s / reference.wall_s if run.minutes == reference.minutes else None
        lines.append(
            f"{run.tool:<28} {run.minutes:>4}mn {run.wall_s:>7.2f} {run.realtime:>11.0f} "
            f"{_fmt(run.in_process_s, 2):>9} {run.peak_rss_mb:>8.0f} "
            f"{_fmt(ratio, 2, 'x'):>12} {_fmt(run.integrated_lufs, 2):>7} "
            f"{_fmt(run.true_peak_dbtp, 2):>7}"
        )
    return "\n".join(lines)


def _fmt(value: float | None, digits: int, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def test_the_analysis_beats_its_peers_in_flat_memory() -> None:
    with tempfile.TemporaryDirectory(prefix="stagecoach-bench-") as folder:
        short, long = Path(folder) / "short.wav", Path(folder) / "long.wav"
        write_song(short, SHORT_MINUTES)
        write_song(long, LONG_MINUTES)
        python = sys.executable

        ours = measure("stagecoach full analysis", [python, "-c", OURS, str(short)], SHORT_MINUTES)
        ours_long = measure(
            "stagecoach full analysis", [python, "-c", OURS, str(long)], LONG_MINUTES
        )
        runs = [ours, ours_long]
        for path, minutes in ((short, SHORT_MINUTES), (long, LONG_MINUTES)):
            runs.append(
                measure("soundfile decode only", [python, "-c", DECODE, str(path)], minutes)
            )
        pyloudnorm = None
        if importlib.util.find_spec("pyloudnorm"):
            pyloudnorm = measure(
                "pyloudnorm integrated only",
                [python, "-c", PYLOUDNORM, str(short)],
                SHORT_MINUTES,
            )
            runs.append(pyloudnorm)
        else:
            print("!!! pyloudnorm is not installed (dev extra): that peer was not measured")
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

    memory_ratio = ours_long.peak_rss_mb / ours.peak_rss_mb
    print()
    print(_table(runs, ours))
    print(
        f"\nour peak memory, {LONG_MINUTES} min vs {SHORT_MINUTES} min: {memory_ratio:.2f}x "
        f"(target at most 1.5x); in-process real-time factor "
        f"{SHORT_MINUTES * 60 / ours.in_process_s:.0f}x ({ours.in_process_s:.2f} s analysing, "
        f"{ours.wall_s:.2f} s as a whole process)"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"runs": [asdict(run) for run in runs], "memory_ratio_long_vs_short": memory_ratio},
            indent=2,
        )
    )

    assert memory_ratio <= 1.5
    if pyloudnorm is not None:
        assert ours.wall_s < pyloudnorm.wall_s, "slower than pyloudnorm's integrated loudness"
        assert abs(ours.integrated_lufs - pyloudnorm.integrated_lufs) < 0.1
    if ffmpeg is not None:
        assert ours.wall_s <= ffmpeg.wall_s, "slower than ffmpeg's ebur128 with true peak"
        # ffmpeg prints one decimal.
        assert abs(ours.integrated_lufs - ffmpeg.integrated_lufs) <= 0.15
        assert abs(ours.true_peak_dbtp - ffmpeg.true_peak_dbtp) <= 0.25


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-s", "-o", "python_files=bench_*.py"]))

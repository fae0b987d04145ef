"""What each streaming platform's loudness normalisation would do to a bounce."""

from __future__ import annotations

from songs.analysis.report import StreamingPreview
from songs.analysis.targets import PlatformProfile


def preview(
    profiles: tuple[PlatformProfile, ...],
    integrated_lufs: float | None,
    true_peak_dbtp: float | None,
) -> tuple[StreamingPreview, ...]:
    return tuple(_one(profile, integrated_lufs, true_peak_dbtp) for profile in profiles)


def _one(
    profile: PlatformProfile, integrated_lufs: float | None, true_peak_dbtp: float | None
) -> StreamingPreview:
    gain = None
    limited = False
    if integrated_lufs is not None:
        gain = profile.target_lufs - integrated_lufs
        if gain > 0 and not profile.turns_up_quiet:
            gain = 0.0
        elif gain > 0 and profile.peak_ceiling_dbtp is not None and true_peak_dbtp is not None:
            room = max(0.0, profile.peak_ceiling_dbtp - true_peak_dbtp)
            if gain > room:
                gain, limited = room, True
    return StreamingPreview(
        platform=profile.name,
        target_lufs=profile.target_lufs,
        turns_up_quiet=profile.turns_up_quiet,
        gain_db=gain,
        playback_lufs=None if gain is None or integrated_lufs is None else integrated_lufs + gain,
        playback_true_peak_dbtp=(
            None if gain is None or true_peak_dbtp is None else true_peak_dbtp + gain
        ),
        limited_by_peak=limited,
        checked=profile.checked,
        source=profile.source,
    )

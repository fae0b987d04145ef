"""Stage-aware checks: each measurement judged against its target, in the student's words.

Which checks belong to which stage follows STAGES.md ("Where automated audio checks
belong"). A check whose measurement does not exist for this file (correlation of a
mono file, say) is left out rather than passed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from songs.analysis.formats import label_of
from songs.analysis.metadata import RIFF_INFO_ISRC, format_isrc
from songs.analysis.report import STAGE_SLUGS, Check, Report, Status
from songs.analysis.targets import STANDARD_SAMPLE_RATES_HZ, Delivery, Targets
from songs.analysis.units import clock

ALL = STAGE_SLUGS
RECORDING = ("recording",)
EDITING = ("editing",)
MIXING = ("mixing",)
MASTERING = ("mastering",)
AUDIO_STAGES = ("recording", "editing", "mixing", "mastering")
DELIVERY_STAGES = MASTERING
"""Where the delivery, tags and ISRC checks (the ones a `Delivery` decides) apply."""


def needs_delivery(stage: str | None) -> bool:
    """Whether judging work of `stage` uses a song's delivery rulebook at all."""
    return stage is None or stage in DELIVERY_STAGES


def evaluate(
    report: Report, targets: Targets, stage: str | None, delivery: Delivery | None = None
) -> tuple[Check, ...]:
    """The checks that apply to `stage` (all of them when None), in a stable order.

    `delivery` is the song's rulebook for the delivery, tags and ISRC checks; without one
    the file is judged on its own against the default profile.
    """
    delivery = delivery or Delivery()
    results = []
    for rule in _RULES:
        check = rule(report, targets, delivery)
        if check is None or (stage is not None and stage not in check.stages):
            continue
        # A verdict only where the measurement supports one: a check that cannot judge says
        # why with Status.SKIP, never a warning.
        if stage in targets.lenient_stages and check.status is Status.FAIL:
            check = _soften(check)
        results.append(check)
    return tuple(results)


def _soften(check: Check) -> Check:
    return Check(
        id=check.id,
        stages=check.stages,
        status=Status.WARN,
        measured=check.measured,
        target=check.target,
        unit=check.unit,
        message=check.message + " (A demo is judged lightly: fix it before recording.)",
    )


def _db(value: float) -> str:
    """A level as students read it on a meter: one decimal, with its sign."""
    return f"{value:+.1f}".replace("+0.0", "0.0").replace("-0.0", "0.0")


def _seconds(value: float) -> str:
    return f"{value:.1f} s"


def silence(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    silent = report.sample_peak_dbfs is None or report.sample_peak_dbfs < (
        targets.silence_threshold_dbfs
    )
    return Check(
        id="silence",
        stages=ALL,
        status=Status.FAIL if silent else Status.PASS,
        measured=report.sample_peak_dbfs,
        target=f"peaks above {_db(targets.silence_threshold_dbfs)} dBFS",
        unit="dBFS",
        message=(
            "This bounce is silent: nothing in it reaches "
            f"{_db(targets.silence_threshold_dbfs)} dBFS. Check that the right tracks were "
            "unmuted and routed to the bounce."
            if silent
            else "There is sound in this bounce."
        ),
    )


def clipping(report: Report, targets: Targets, delivery: Delivery) -> Check:
    clipped = report.clipped_samples
    times = "once" if report.clip_events == 1 else f"{report.clip_events} times"
    return Check(
        id="clipping",
        stages=ALL,
        status=Status.FAIL if clipped else Status.PASS,
        measured=clipped,
        target="no clipped samples",
        unit="samples",
        message=(
            f"The level hit full scale and was cut flat {times} ({clipped} clipped samples). "
            "Turn down the loudest part (or the master fader) and bounce again."
            if clipped
            else "No clipping: the waveform never flattens out at full scale."
        ),
    )


def recording_headroom(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    peak = report.sample_peak_dbfs
    if peak is None:
        return None
    limit = targets.recording_peak_max_dbfs
    ok = peak <= limit
    return Check(
        id="recording_headroom",
        stages=RECORDING,
        status=Status.PASS if ok else Status.WARN,
        measured=peak,
        target=f"peaks at most {_db(limit)} dBFS",
        unit="dBFS",
        message=(
            f"Your loudest peak is {_db(peak)} dBFS, leaving room for a louder take."
            if ok
            else f"Your loudest peak is {_db(peak)} dBFS. Set the input gain so peaks stay "
            f"below {_db(limit)} dBFS: a livelier take would clip, and you lose nothing by "
            "recording a little lower."
        ),
    )


def recording_level(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    peak = report.sample_peak_dbfs
    if peak is None or peak < targets.silence_threshold_dbfs:
        return None
    floor = targets.recording_peak_min_dbfs
    ok = peak >= floor
    return Check(
        id="recording_level",
        stages=RECORDING,
        status=Status.PASS if ok else Status.WARN,
        measured=peak,
        target=f"peaks above {_db(floor)} dBFS",
        unit="dBFS",
        message=(
            "The recording level is healthy."
            if ok
            else f"The loudest peak is only {_db(peak)} dBFS: the take was recorded very "
            "quietly, so noise will come up with it when it is turned up. Raise the input gain."
        ),
    )


def noise_floor(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    if report.sample_peak_dbfs is None:
        return None
    limit = targets.noise_floor_max_lufs
    target = f"pauses quieter than {_db(limit)} LUFS"
    if report.pause_s <= 0:
        return Check(
            id="noise_floor",
            stages=("recording", "editing"),
            status=Status.SKIP,
            measured=None,
            target=target,
            unit="LUFS",
            message=(
                "There is no pause in this take to hear the noise floor by (a pause is "
                f"{targets.pause_min_s:g} s or more at least {targets.pause_depth_lu:g} LU "
                "below the music), so hiss and hum are not judged. To check them, leave a "
                "second of silence before you play."
            ),
        )
    floor = report.noise_floor_lufs
    if floor is None:
        return Check(
            id="noise_floor",
            stages=("recording", "editing"),
            status=Status.PASS,
            measured=None,
            target=target,
            unit="LUFS",
            message=f"The pauses ({_seconds(report.pause_s)} in all) are digital silence.",
        )
    ok = floor <= limit
    return Check(
        id="noise_floor",
        stages=("recording", "editing"),
        status=Status.PASS if ok else Status.WARN,
        measured=floor,
        target=target,
        unit="LUFS",
        message=(
            f"The pauses ({_seconds(report.pause_s)} in all) sit at {_db(floor)} LUFS: no "
            "obvious hiss or hum."
            if ok
            else f"The pauses ({_seconds(report.pause_s)} in all) are still {_db(floor)} "
            "LUFS: that is hiss, hum or room noise. Check cables, gain and noisy gear, or "
            "clean the gaps when editing."
        ),
    )


def dc_offset(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    if not report.dc_offset:
        return None
    if report.duration_s < targets.dc_offset_min_duration_s:
        return Check(
            id="dc_offset",
            stages=AUDIO_STAGES,
            status=Status.SKIP,
            measured=None,
            target=f"at most {targets.dc_offset_max:g} of full scale",
            unit="full scale",
            message=(
                f"At {_seconds(report.duration_s)} the bounce is too short to tell a DC "
                "offset from the bass, so it is not judged."
            ),
        )
    worst = max(abs(value) for value in report.dc_offset)
    ok = worst <= targets.dc_offset_max
    return Check(
        id="dc_offset",
        stages=AUDIO_STAGES,
        status=Status.PASS if ok else Status.WARN,
        measured=worst,
        target=f"at most {targets.dc_offset_max:g} of full scale",
        unit="full scale",
        message=(
            "No DC offset."
            if ok
            else f"The waveform sits off centre by {worst:.2%} of full scale (DC offset). "
            "It wastes headroom and clicks at edits: apply a DC-offset removal or a gentle "
            "high-pass filter."
        ),
    )


def leading_silence(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    if report.sample_peak_dbfs is None:
        return None
    limit = targets.leading_silence_max_s
    ok = report.leading_silence_s <= limit
    return Check(
        id="leading_silence",
        stages=("editing", "mastering"),
        status=Status.PASS if ok else Status.WARN,
        measured=report.leading_silence_s,
        target=f"at most {_seconds(limit)}",
        unit="s",
        message=(
            f"The music starts after {_seconds(report.leading_silence_s)}."
            if ok
            else f"There are {_seconds(report.leading_silence_s)} of silence before the "
            "music starts. Trim the start so listeners do not wait."
        ),
    )


def trailing_silence(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    if report.sample_peak_dbfs is None:
        return None
    limit = targets.trailing_silence_max_s
    ok = report.trailing_silence_s <= limit
    return Check(
        id="trailing_silence",
        stages=("editing", "mastering"),
        status=Status.PASS if ok else Status.WARN,
        measured=report.trailing_silence_s,
        target=f"at most {_seconds(limit)}",
        unit="s",
        message=(
            f"The bounce ends {_seconds(report.trailing_silence_s)} after the last sound."
            if ok
            else f"There are {_seconds(report.trailing_silence_s)} of silence after the last "
            "sound. Trim the end, keeping the natural decay."
        ),
    )


def abrupt_edges(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    if report.sample_peak_dbfs is None:
        return None
    limit = targets.edge_peak_max_dbfs
    window = f"{targets.edge_window_ms:g} ms"
    cut_start = report.start_peak_dbfs is not None and report.start_peak_dbfs > limit
    cut_end = report.end_peak_dbfs is not None and report.end_peak_dbfs > limit
    where = " and ".join(part for part, cut in (("starts", cut_start), ("ends", cut_end)) if cut)
    edges = [value for value in (report.start_peak_dbfs, report.end_peak_dbfs) if value is not None]
    return Check(
        id="abrupt_edges",
        stages=EDITING,
        status=Status.WARN if where else Status.PASS,
        measured=max(edges, default=None),
        target=f"at most {_db(limit)} dBFS in the first and last {window}",
        unit="dBFS",
        message=(
            f"The audio {where} abruptly (loud within {window} of the edge), which can click. "
            "Add a short fade."
            if where
            else "The start and end are clean: no abrupt cut at the edges."
        ),
    )


def mix_headroom(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    peak = report.sample_peak_dbfs
    if peak is None:
        return None
    limit = targets.mix_peak_max_dbfs
    ok = peak <= limit
    return Check(
        id="mix_headroom",
        stages=MIXING,
        status=Status.PASS if ok else Status.WARN,
        measured=peak,
        target=f"peaks at most {_db(limit)} dBFS",
        unit="dBFS",
        message=(
            f"Your mix peaks at {_db(peak)} dBFS, leaving headroom for mastering."
            if ok
            else f"Your mix peaks at {_db(peak)} dBFS. Leave mastering some room: pull the "
            f"master fader down until peaks stay below {_db(limit)} dBFS (rather than "
            "limiting the mix)."
        ),
    )


def correlation(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    value = report.correlation
    if value is None:
        return None
    if value < targets.correlation_fail_below:
        status = Status.FAIL
        message = (
            f"Left and right are out of phase (correlation {value:+.2f}): in mono, parts "
            "of the mix cancel out. Look for a channel or microphone with flipped polarity "
            "or an extreme stereo widener."
        )
    elif value < targets.correlation_warn_below:
        status = Status.WARN
        message = (
            f"The stereo image is very wide (correlation {value:+.2f}); check the mix in mono "
            "so nothing important disappears on a phone speaker."
        )
    else:
        status = Status.PASS
        message = f"The mix holds up in mono (correlation {value:+.2f})."
    return Check(
        id="correlation",
        stages=("mixing", "mastering"),
        status=status,
        measured=value,
        target=f"at least {targets.correlation_warn_below:+.2f}",
        unit="",
        message=message,
    )


def balance(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    if report.channels < 2:
        return None
    limit = targets.balance_max_db
    if report.balance_db is None:
        if "silent_channel" not in report.flags:
            return None
        return Check(
            id="balance",
            stages=("mixing", "mastering"),
            status=Status.FAIL,
            measured=None,
            target=f"within {limit:g} dB",
            unit="dB",
            message="One channel is completely silent: the bounce plays on one side only.",
        )
    value = report.balance_db
    ok = abs(value) <= limit
    side = "left" if value > 0 else "right"
    return Check(
        id="balance",
        stages=("mixing", "mastering"),
        status=Status.PASS if ok else Status.WARN,
        measured=value,
        target=f"within {limit:g} dB",
        unit="dB",
        message=(
            "Left and right are balanced."
            if ok
            else f"The mix leans {abs(value):.1f} dB to the {side}. Check your panning and "
            "any one-sided effects."
        ),
    )


def loudness_range(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    value = report.loudness_range_lu
    if value is None:
        return None
    low, high = targets.loudness_range_min_lu, targets.loudness_range_max_lu
    if report.duration_s < targets.loudness_range_min_duration_s:
        return Check(
            id="loudness_range",
            stages=("mixing", "mastering"),
            status=Status.SKIP,
            measured=value,
            target=f"{low:g} to {high:g} LU",
            unit="LU",
            message=(
                f"At {clock(report.duration_s)} this is an excerpt: loudness range describes how "
                f"a whole song moves (it measured {value:.1f} LU), so it is not judged. Bounce "
                f"at least {clock(targets.loudness_range_min_duration_s)} to have it judged."
            ),
        )
    if value < low:
        status = Status.WARN
        message = (
            f"The loudness range is only {value:.1f} LU: quiet and loud parts sound almost "
            "the same. Ease off compression or limiting so the song can breathe."
        )
    elif value > high:
        status = Status.WARN
        message = (
            f"The loudness range is {value:.1f} LU: quiet passages may vanish in a car or on "
            "a phone. Consider bringing the quietest and loudest parts closer."
        )
    else:
        status = Status.PASS
        message = f"The loudness range is {value:.1f} LU: the dynamics are kept."
    return Check(
        id="loudness_range",
        stages=("mixing", "mastering"),
        status=status,
        measured=value,
        target=f"{low:g} to {high:g} LU",
        unit="LU",
        message=message,
    )


def integrated_loudness(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    value = report.integrated_lufs
    target = targets.master_integrated_lufs
    phrase = f"{_db(target)} LUFS \u00b1 {targets.master_integrated_tolerance_lu:g} LU"
    if value is None:
        if report.sample_peak_dbfs is None:
            return None
        return Check(
            id="integrated_loudness",
            stages=MASTERING,
            status=Status.SKIP,
            measured=None,
            target=phrase,
            unit="LUFS",
            message=(
                "The bounce is too short or too quiet to measure its loudness, so it is not "
                "judged. Bounce the whole song."
            ),
        )
    difference = value - target
    distance = abs(difference)
    if distance <= targets.master_integrated_tolerance_lu:
        status = Status.PASS
        message = f"Your master measures {_db(value)} LUFS, right on the {_db(target)} target."
    else:
        status = Status.WARN if distance <= targets.master_integrated_warn_lu else Status.FAIL
        if difference > 0:
            message = (
                f"Your master measures {_db(value)} LUFS, {distance:.1f} LU louder than the "
                f"{_db(target)} target. Streaming services will turn it down, so the extra "
                "limiting only costs you dynamics."
            )
        else:
            message = (
                f"Your master measures {_db(value)} LUFS, {distance:.1f} LU quieter than the "
                f"{_db(target)} target. {_where_quiet_stays_quiet(targets)} Raise it with "
                "gentle limiting while watching the true peak."
            )
    return Check(
        id="integrated_loudness",
        stages=MASTERING,
        status=status,
        measured=value,
        target=phrase,
        unit="LUFS",
        message=message,
    )


def _where_quiet_stays_quiet(targets: Targets) -> str:
    """Where a quiet master plays quieter than other songs: wherever nothing evens loudness
    out, and on the platforms that only ever turn a song down."""
    down_only = [platform.name for platform in targets.platforms if not platform.turns_up_quiet]
    where = "Where nothing evens out loudness (a download, a DJ set)"
    if down_only:
        where += f" and on {_listed(down_only, 'and')}, which never turn a song up,"
    return f"{where} it will sound small next to other songs."


def true_peak(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    value = report.true_peak_dbtp
    if value is None:
        return None
    limit = targets.true_peak_max_dbtp
    if value <= limit:
        status = Status.PASS
        message = f"Your loudest peak is {_db(value)} dBTP, safely below {_db(limit)} dBTP."
    else:
        status = Status.WARN if value <= targets.true_peak_fail_dbtp else Status.FAIL
        room = -limit
        message = (
            f"Your loudest peak is {_db(value)} dBTP; leave at least {room:g} dB below full "
            "scale so encoders do not clip it. Lower the limiter's ceiling (true-peak mode)."
        )
    return Check(
        id="true_peak",
        stages=MASTERING,
        status=status,
        measured=value,
        target=f"at most {_db(limit)} dBTP",
        unit="dBTP",
        message=message,
    )


def peak_to_loudness(report: Report, targets: Targets, delivery: Delivery) -> Check | None:
    value = report.plr_db
    if value is None:
        return None
    limit = targets.plr_min_db
    ok = value >= limit
    return Check(
        id="peak_to_loudness",
        stages=MASTERING,
        status=Status.PASS if ok else Status.WARN,
        measured=value,
        target=f"at least {limit:g} dB",
        unit="dB",
        message=(
            f"Peaks stand {value:.1f} dB above the average loudness: the transients survive."
            if ok
            else f"Peaks stand only {value:.1f} dB above the average loudness: the master is "
            "limited hard and drums lose their punch. Back the limiter off."
        ),
    )


def delivery_format(report: Report, targets: Targets, delivery: Delivery) -> Check:
    container = label_of(report.format)
    described = ", ".join(
        part
        for part in (
            container,
            f"{report.sample_rate / 1000:g} kHz",
            f"{report.bit_depth}-bit" if report.bit_depth else "",
        )
        if part
    )
    problems = []
    if report.format not in delivery.formats:
        allowed = _or([label_of(value) for value in delivery.formats])
        problems.append(f"the file is {container}; deliver {allowed}")
    if report.sample_rate < delivery.min_sample_rate_hz:
        problems.append(
            f"its sample rate is {report.sample_rate / 1000:g} kHz; export at "
            f"{delivery.min_sample_rate_hz / 1000:g} kHz or more"
        )
    elif report.sample_rate not in STANDARD_SAMPLE_RATES_HZ:
        rates = ", ".join(f"{rate / 1000:g}" for rate in STANDARD_SAMPLE_RATES_HZ)
        problems.append(
            f"its sample rate is {report.sample_rate} Hz, which distributors do not take "
            f"(use one of {rates} kHz)"
        )
    if report.bit_depth is None or not report.lossless:
        problems.append(
            f"it is {report.codec.upper()}, a lossy format with no fixed bit depth; export "
            f"{delivery.min_bit_depth}-bit or more and let the platforms encode"
        )
    elif report.bit_depth < delivery.min_bit_depth:
        problems.append(
            f"it is {report.bit_depth}-bit; export {delivery.min_bit_depth}-bit or more"
        )
    return Check(
        id="delivery_format",
        stages=DELIVERY_STAGES,
        status=Status.FAIL if problems else Status.PASS,
        measured=described,
        target=f"{delivery.profile}: {_or([label_of(value) for value in delivery.formats])}, "
        f"{delivery.min_sample_rate_hz / 1000:g} kHz / {delivery.min_bit_depth}-bit or more",
        unit="",
        message=(
            f"{described}: not ready to deliver as {delivery.profile}: " + "; ".join(problems) + "."
            if problems
            else f"{described}: ready to deliver as {delivery.profile}."
        ),
    )


def tags(report: Report, targets: Targets, delivery: Delivery) -> Check:
    problems = []
    for name, expected in (("title", delivery.title), ("artist", delivery.artist)):
        found = (report.tags.get(name) or "").strip()
        if not found:
            wanted = f" (it should read “{expected}”)" if expected else ""
            problems.append(f"it has no {name} tag{wanted}")
        elif expected is not None and not same_text(found, expected):
            problems.append(f"its {name} tag reads “{found}” but the song's {name} is “{expected}”")
    present = ", ".join(name for name in ("title", "artist") if report.tags.get(name))
    if problems:
        message = (
            "The file's tags are not ready: "
            + "; ".join(problems)
            + ". Fill them in when you export, so the song is credited wherever the file "
            "travels."
        )
    elif delivery.title is not None:
        message = (
            f"Tagged “{report.tags.get('title')}” by {report.tags.get('artist')}, as the song is."
        )
    else:
        message = "Title and artist are tagged."
    return Check(
        id="tags",
        stages=DELIVERY_STAGES,
        status=Status.FAIL if problems else Status.PASS,
        measured=present,
        target="title and artist, as the song has them" if delivery.title else "title, artist",
        unit="",
        message=message,
    )


def isrc(report: Report, targets: Targets, delivery: Delivery) -> Check:
    expected = delivery.isrc
    shown = format_isrc(expected) if expected else ""
    if report.isrc is None:
        if expected is None:
            status, message = (
                Status.WARN,
                "No ISRC is embedded. Get one from your distributor or national ISRC agency "
                "and add it to the master's tags so plays are counted for you.",
            )
        elif not expected:
            status, message = (
                Status.FAIL,
                "The song has no ISRC yet, and none is embedded. Get one from your "
                "distributor or national ISRC agency, enter it in the song's release "
                "details, and embed it when you export.",
            )
        else:
            status, message = (
                Status.FAIL,
                f"The master carries no ISRC tag: embed {shown} when you export.",
            )
    elif not report.isrc_valid:
        instead = f": embed {shown} instead" if expected else ""
        status, message = (
            Status.FAIL,
            f"The ISRC tag reads {report.isrc!r}, which is not a valid ISRC{instead}. An ISRC "
            "is 12 characters, like GBABC2400001 (country, registrant, year, number).",
        )
    elif expected == "":
        status, message = (
            Status.FAIL,
            f"The song has no ISRC yet, though the file carries {format_isrc(report.isrc)}: "
            "if that is the song's code, enter it in the song's release details.",
        )
    elif expected is not None and report.isrc != expected:
        status, message = (
            Status.FAIL,
            f"The master's ISRC tag is {format_isrc(report.isrc)} but the song's ISRC is "
            f"{shown}: fix whichever is wrong.",
        )
    elif expected:
        status, message = Status.PASS, f"The master carries the song's ISRC, {shown}."
    else:
        status, message = (
            Status.PASS,
            f"The ISRC {format_isrc(report.isrc)} is embedded and well formed.",
        )
    if report.isrc is not None and report.isrc_field == RIFF_INFO_ISRC:
        message += (
            " It sits in the WAV's RIFF INFO “ISRC” field, where ffmpeg and some DAWs write "
            "it; the RIFF standard calls that field the source of the material, and "
            "distributors take the ISRC you type into their upload form, so enter it there. "
            "Players and stores that read tags look for an ID3 tag: export with one to "
            "embed it where they look."
        )
    return Check(
        id="isrc",
        stages=DELIVERY_STAGES,
        status=status,
        measured=report.isrc,
        target=f"the song's ISRC, {shown}" if expected else "a valid 12-character ISRC",
        unit="",
        message=message,
    )


def same_text(found: str, expected: str) -> bool:
    """Tags match when they read the same to a person: case, spacing and Unicode forms
    (a composed or decomposed é) aside."""

    def key(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())

    return key(found) == key(expected)


def _or(words: list[str]) -> str:
    return _listed(words, "or")


def _listed(words: list[str], last: str) -> str:
    """ "a, b or c" (or "and"): the words as a sentence lists them."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def artwork(report: Report, targets: Targets, delivery: Delivery) -> Check:
    art = report.artwork
    smallest = targets.artwork_min_px
    target = f"square JPEG or PNG, at least {smallest} x {smallest} px"
    if art is None:
        return Check(
            id="artwork",
            stages=MASTERING,
            status=Status.WARN,
            measured=None,
            target=target,
            unit="px",
            message="No cover art is embedded. Stores need it: add it to the file or make sure "
            "your distributor has it.",
        )
    if art.problem or art.width_px is None or art.height_px is None:
        return Check(
            id="artwork",
            stages=MASTERING,
            status=Status.WARN,
            measured=None,
            target=target,
            unit="px",
            message=art.problem or "The embedded cover art cannot be read.",
        )
    size = f"{art.width_px} x {art.height_px}"
    problems = []
    if art.width_px != art.height_px:
        problems.append("it is not square")
    if min(art.width_px, art.height_px) < smallest:
        problems.append(f"stores ask for at least {smallest} x {smallest} pixels")
    return Check(
        id="artwork",
        stages=MASTERING,
        status=Status.WARN if problems else Status.PASS,
        measured=size,
        target=target,
        unit="px",
        message=(
            f"The cover art is {size} pixels, but " + " and ".join(problems) + "."
            if problems
            else f"The cover art ({art.format}, {size} pixels) is ready for stores."
        ),
    )


_RULES: tuple[Callable[[Report, Targets, Delivery], Check | None], ...] = (
    silence,
    clipping,
    recording_headroom,
    recording_level,
    noise_floor,
    dc_offset,
    leading_silence,
    trailing_silence,
    abrupt_edges,
    mix_headroom,
    correlation,
    balance,
    loudness_range,
    integrated_loudness,
    true_peak,
    peak_to_loudness,
    delivery_format,
    tags,
    isrc,
    artwork,
)

CHECK_IDS: tuple[str, ...] = tuple(rule.__name__ for rule in _RULES)
"""Every check's id (each rule is named after the check it makes)."""

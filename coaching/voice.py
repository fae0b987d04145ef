"""Voice notes: a spoken comment recorded in the browser, checked by its content.

A browser's MediaRecorder sends Opus (or Vorbis) in WebM or Ogg, or AAC in MP4; MP3 and
WAV are taken too. The container is recognised from the file's first bytes (never its
name or the type the browser claims), and only that one demuxer is asked to read it. The
file must hold exactly one audio stream in a codec of its container's list, and it is
decoded through to the end, so its length is what is really in it, not what a header
says. What is stored is the audio stream alone, copied into a fresh container of the same
kind: tags and any other streams of the upload do not survive, and a recorder's WebM
(which has no length in it, so players cannot show one) gets its duration and an index.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import av
from django.conf import settings

from songs.analysis.formats import AudioFormat, sniff
from songs.analysis.units import clock
from songs.analysis.units import size as format_size

GRACE_S = 1.0
"""A recorder stopped at the limit ends a little after it; this much over is still taken."""
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
"""The first bytes of a WebM (Matroska) file."""


@dataclass(frozen=True)
class Container:
    demuxer: str
    muxer: str
    codecs: frozenset[str]
    content_type: str
    extension: str


WEBM = Container("matroska", "webm", frozenset({"opus", "vorbis"}), "audio/webm", "webm")
OGG = Container("ogg", "ogg", frozenset({"opus", "vorbis"}), "audio/ogg", "ogg")
MP4 = Container("mov", "mp4", frozenset({"aac"}), "audio/mp4", "m4a")
MP3 = Container("mp3", "mp3", frozenset({"mp3"}), "audio/mpeg", "mp3")
WAV = Container("wav", "wav", frozenset(), "audio/wav", "wav")  # any PCM, see _codec_allowed
CONTAINERS = (WEBM, OGG, MP4, MP3, WAV)
CONTENT_TYPES = frozenset(container.content_type for container in CONTAINERS)
"""The only types a stored voice note is ever served as."""
ACCEPTED_LABEL = "Opus or Vorbis in WebM or Ogg, AAC in MP4, MP3 or WAV"


class VoiceRefused(Exception):
    """Why a recording cannot be a voice note, written for the person who recorded it."""


@dataclass(frozen=True)
class VoiceNote:
    data: bytes
    content_type: str
    extension: str
    duration_s: float

    @property
    def size_bytes(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Limits:
    """What the recorder and the pages state, from the settings the server enforces."""

    max_s: int
    max_bytes: int


def limits() -> Limits:
    return Limits(max_s=settings.VOICE_MAX_S, max_bytes=settings.VOICE_MAX_BYTES)


def served_type(stored: str) -> str:
    """The type a stored voice note leaves as: one of ours, whatever the row says."""
    return stored if stored in CONTENT_TYPES else "application/octet-stream"


def too_long(duration_s: float, max_s: float) -> str:
    return f"This recording is {clock(duration_s)}; voice notes can be up to {clock(max_s)}."


def too_large(size_bytes: int, limit_bytes: int) -> str:
    """The refusal of an upload over the size limit (also while it streams in)."""
    return (
        f"This recording is about {format_size(size_bytes)}; voice notes can be up to "
        f"{format_size(limit_bytes)}. Record a shorter one."
    )


def prepare(upload: IO[bytes], *, size_bytes: int | None = None) -> VoiceNote:
    """Check `upload` is a recording within the limits and copy its audio into a fresh
    container. Raises VoiceRefused with a sentence that says what to do instead."""
    max_s, max_bytes = settings.VOICE_MAX_S, settings.VOICE_MAX_BYTES
    if size_bytes is not None and size_bytes > max_bytes:
        raise VoiceRefused(too_large(size_bytes, max_bytes))
    upload.seek(0)
    container = _recognise(upload)
    upload.seek(0)
    try:
        return _copy(upload, container, max_s)
    except av.FFmpegError:
        raise VoiceRefused(
            "This recording cannot be read: it may be damaged or cut short. Record it again."
        ) from None


def _recognise(upload: IO[bytes]) -> Container:
    head = upload.read(4)
    upload.seek(0)
    if not head:
        raise VoiceRefused("The recording is empty: nothing was recorded. Record it again.")
    if head == EBML_MAGIC:
        return WEBM
    found = sniff(upload)
    by_format = {AudioFormat.OGG: OGG, AudioFormat.M4A: MP4, AudioFormat.MP3: MP3}
    if found == AudioFormat.WAV:
        return WAV
    if found in by_format:
        return by_format[found]
    raise VoiceRefused(
        f"This file is not a voice recording: voice notes are {ACCEPTED_LABEL}, "
        "recorded here in the browser."
    )


def _codec_allowed(container: Container, codec: str) -> bool:
    if container is WAV:
        return codec.startswith("pcm_")
    return codec in container.codecs


def _copy(upload: IO[bytes], container: Container, max_s: float) -> VoiceNote:
    with av.open(upload, mode="r", format=container.demuxer) as source:
        audio = list(source.streams.audio)
        moving = [
            stream
            for stream in source.streams.video
            if not stream.disposition & av.stream.Disposition.attached_pic
        ]
        if len(audio) != 1 or moving:
            what = "video" if moving else f"{len(audio)} sound tracks"
            raise VoiceRefused(
                f"This file holds {what}; a voice note is one recording of sound. "
                "Record it here in the browser."
            )
        stream = audio[0]
        codec = stream.codec_context.codec.canonical_name  # "mp3", not the decoder's "mp3float"
        if not _codec_allowed(container, codec):
            raise VoiceRefused(
                f"This recording is {codec.upper()} audio, which voice notes do not take: "
                f"they are {ACCEPTED_LABEL}."
            )
        if source.duration is not None and source.duration / av.time_base > max_s + GRACE_S:
            raise VoiceRefused(too_long(source.duration / av.time_base, max_s))
        # A file, not memory: moving MP4's index to the front (so playing can start at once)
        # reopens the output by its name.
        with tempfile.TemporaryDirectory(prefix="stagecoach-voice-") as folder:
            output = Path(folder) / f"note.{container.extension}"
            options = {"movflags": "+faststart"} if container is MP4 else {}
            with av.open(str(output), mode="w", format=container.muxer, options=options) as target:
                copy = target.add_stream_from_template(stream)
                decoded_s, stamped_s = _transfer(source, stream, target, copy, max_s)
            data = output.read_bytes()
    duration_s = max(decoded_s, stamped_s) if decoded_s > max_s + GRACE_S else decoded_s
    if duration_s > max_s + GRACE_S:
        raise VoiceRefused(too_long(duration_s, max_s))
    if decoded_s <= 0:
        raise VoiceRefused("The recording holds no sound. Record it again.")
    return VoiceNote(
        data=data,
        content_type=container.content_type,
        extension=container.extension,
        duration_s=round(decoded_s, 3),
    )


def _transfer(
    source: Any, stream: Any, target: Any, copy: Any, max_s: float
) -> tuple[float, float]:
    """Decode every packet (counting the samples) and copy it over, until the end or the
    limit; past the limit only the timestamps are read, to say how long the file is.
    Returns (seconds decoded, seconds the timestamps span)."""
    decoder = stream.codec_context
    samples, rate = 0, 0
    first: float | None = None
    last = 0.0
    over = False
    for packet in source.demux(stream):
        if packet.dts is None:  # the demuxer's empty packet at the end
            continue
        if packet.pts is not None and packet.time_base is not None:
            start = float(packet.pts * packet.time_base)
            end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
            first = start if first is None else min(first, start)
            last = max(last, end)
        if over:
            continue
        for frame in decoder.decode(packet):
            samples += frame.samples
            rate = frame.sample_rate or rate
        packet.stream = copy
        target.mux(packet)
        over = rate > 0 and samples / rate > max_s + GRACE_S
    if not over:
        for frame in decoder.decode(None):
            samples += frame.samples
            rate = frame.sample_rate or rate
    decoded = samples / rate if rate else 0.0
    stamped = last - first if first is not None else 0.0
    return decoded, stamped

"""Decode an audio file into fixed-size float32 blocks, trusting only the bytes present.

soundfile (libsndfile) reads WAV, AIFF, FLAC, Ogg and MP3; PyAV reads M4A (AAC and
ALAC). Headers can lie: the frame count they declare is never used to size a buffer,
only compared with what decoding actually produced.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import soundfile
from mutagen.mp4 import MP4, MP4Info

from songs.analysis import wav
from songs.analysis.errors import AnalysisError
from songs.analysis.formats import AudioFormat, BinaryFile
from songs.analysis.targets import Targets
from songs.analysis.units import clock

if TYPE_CHECKING:
    import av

BLOCK_FRAMES = 65536
"""Frames per decoded block: every block but the last has exactly this many."""

MAX_SAMPLE_MAGNITUDE = 1000.0
"""Float samples beyond +60 dBFS are not audio but garbage (and would overflow power sums)."""

# libsndfile subtype -> (codec, bit depth, lossless)
_SUBTYPES: dict[str, tuple[str, int | None, bool]] = {
    "PCM_S8": ("pcm_s8", 8, True),
    "PCM_U8": ("pcm_u8", 8, True),
    "PCM_16": ("pcm_s16", 16, True),
    "PCM_24": ("pcm_s24", 24, True),
    "PCM_32": ("pcm_s32", 32, True),
    "FLOAT": ("pcm_f32", 32, True),
    "DOUBLE": ("pcm_f64", 64, True),
    "ULAW": ("mulaw", 8, False),
    "ALAW": ("alaw", 8, False),
    "VORBIS": ("vorbis", None, False),
    "OPUS": ("opus", None, False),
    "MPEG_LAYER_III": ("mp3", None, False),
    "MPEG_LAYER_II": ("mp2", None, False),
    "MPEG_LAYER_I": ("mp1", None, False),
}
_LOSSLESS_CONTAINERS = {AudioFormat.FLAC: "flac", AudioFormat.OGG: "flac"}


@dataclass(frozen=True)
class StreamInfo:
    sample_rate: int
    channels: int
    codec: str
    bit_depth: int | None
    lossless: bool
    declared_frames: int | None
    """What the header says: checked against limits and against what was decoded, never
    used to size a buffer."""


class AudioStream(contextlib.AbstractContextManager["AudioStream", None]):
    info: StreamInfo

    def blocks(self) -> Iterator[np.ndarray]:
        """float32 arrays of frames x channels, BLOCK_FRAMES long but for the last.

        A block may be a view of a reused buffer: use it before asking for the next.
        """
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_stream(fileobj: BinaryFile, fmt: AudioFormat, targets: Targets) -> AudioStream:
    fileobj.seek(0)
    stream: AudioStream
    layout = wav.read_layout(fileobj) if fmt is AudioFormat.WAV else None
    if layout is not None:
        wav.check_layout(layout)
    if fmt is AudioFormat.M4A:
        stream = _PyAVStream(fileobj)
    elif layout is not None and layout.fast:
        stream = _WavStream(fileobj, layout)
    else:
        stream = _SoundFileStream(fileobj, fmt)
    try:
        _check_layout(stream.info, targets)
    except AnalysisError:
        stream.close()
        raise
    return stream


def _check_layout(info: StreamInfo, targets: Targets) -> None:
    if not 1 <= info.channels <= targets.max_channels:
        raise AnalysisError(
            "unsupported_channels",
            f"The file says it has {info.channels} channels; we analyse mono, stereo and "
            f"surround files of up to {targets.max_channels} channels.",
        )
    if not targets.min_sample_rate_hz <= info.sample_rate <= targets.max_sample_rate_hz:
        raise AnalysisError(
            "unsupported_sample_rate",
            f"The file says its sample rate is {info.sample_rate} Hz, which is not a rate "
            "audio is recorded at. Export it again at 44.1 or 48 kHz.",
        )
    if info.declared_frames and info.declared_frames > targets.max_duration_s * info.sample_rate:
        raise AnalysisError(
            "too_long",
            f"The file says it lasts {clock(info.declared_frames / info.sample_rate)}; "
            f"we analyse bounces of up to {clock(targets.max_duration_s)}.",
        )


def check_samples(peak: float) -> None:
    """Refuse NaN, infinity and absurd float values (libsndfile passes them through)."""
    if not math.isfinite(peak) or peak > MAX_SAMPLE_MAGNITUDE:
        raise AnalysisError(
            "invalid_samples",
            "The file contains sample values that are not sound (not-a-number, infinite "
            "or absurdly loud). The export is damaged: bounce it again.",
        )


def damaged() -> AnalysisError:
    return AnalysisError(
        "damaged",
        "The audio in this file is damaged and cannot be read to the end. "
        "Export the bounce again and upload the new file.",
    )


# Bytes per sample of the PCM encodings whose data size tells their frame count.
_PCM_BYTES = {
    "PCM_S8": 1,
    "PCM_U8": 1,
    "ULAW": 1,
    "ALAW": 1,
    "PCM_16": 2,
    "PCM_24": 3,
    "PCM_32": 4,
    "FLOAT": 4,
    "DOUBLE": 8,
}


def _pcm_data_bytes(fileobj: BinaryFile, fmt: AudioFormat) -> int | None:
    """The audio data size a WAV or AIFF header declares, or None if it does not say.

    libsndfile quietly shortens a data chunk that runs past the end of the file, which
    would let a cut-off upload pass as a shorter song.
    """
    if fmt not in (AudioFormat.WAV, AudioFormat.AIFF):
        return None
    fileobj.seek(0)
    head = fileobj.read(12)
    order = "<" if fmt is AudioFormat.WAV else ">"
    wide = head[:4] in (b"RF64", b"BW64")
    position = 12
    size: int  # the values struct.unpack gives are untyped
    offset: int
    declared: int
    for _ in range(512):
        fileobj.seek(position)
        header = fileobj.read(8)
        if len(header) < 8:
            return None
        chunk_id, (size,) = header[:4], struct.unpack(order + "I", header[4:])
        if wide and chunk_id == b"ds64":
            (declared,) = struct.unpack("<Q", fileobj.read(16)[8:16])
            return declared
        if chunk_id == b"data" and fmt is AudioFormat.WAV:
            # 0 and all-ones are what streaming writers leave when they cannot seek back.
            return None if size in (0, 0xFFFFFFFF) else size
        if chunk_id == b"SSND" and fmt is AudioFormat.AIFF:
            (offset,) = struct.unpack(">I", fileobj.read(4))
            return max(0, size - 8 - offset)
        position += 8 + size + (size & 1)
    return None


def _descriptor(fileobj: BinaryFile) -> int | None:
    """The OS file descriptor behind a local file, positioned at its start.

    libsndfile reads a descriptor directly, a quarter faster than through Python calls
    for every buffer; storage backends without one (S3) use the file object.
    """
    try:
        descriptor = fileobj.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    os.lseek(descriptor, 0, os.SEEK_SET)
    return descriptor


class _SoundFileStream(AudioStream):
    def __init__(self, fileobj: BinaryFile, fmt: AudioFormat) -> None:
        data_bytes = _pcm_data_bytes(fileobj, fmt)
        fileobj.seek(0)
        try:
            self._file = soundfile.SoundFile(_descriptor(fileobj) or fileobj, closefd=False)
        except (RuntimeError, ValueError, TypeError, OSError, OverflowError) as error:
            raise AnalysisError(
                "unreadable",
                f"This looks like a {fmt.label} file, but its audio cannot be read: the "
                "file is damaged or only partly uploaded. Export it again.",
            ) from error
        subtype = self._file.subtype
        codec, bit_depth, lossless = _SUBTYPES.get(subtype, (subtype.lower(), None, False))
        if fmt in _LOSSLESS_CONTAINERS and lossless:
            codec = _LOSSLESS_CONTAINERS[fmt]
        frames = self._file.frames
        sample_bytes = _PCM_BYTES.get(subtype)
        if data_bytes is not None and sample_bytes and self._file.channels > 0:
            frames = data_bytes // (sample_bytes * self._file.channels)
        self.info = StreamInfo(
            sample_rate=int(self._file.samplerate),
            channels=int(self._file.channels),
            codec=codec,
            bit_depth=bit_depth,
            lossless=lossless,
            declared_frames=frames if 0 < frames < 2**62 else None,
        )

    def blocks(self) -> Iterator[np.ndarray]:
        buffer = np.empty((BLOCK_FRAMES, self.info.channels), dtype=np.float32)
        while True:
            try:
                # Reading into our own buffer: soundfile never sizes anything from the
                # header's frame count, so a lying header cannot make it allocate.
                block = self._file.read(dtype="float32", always_2d=True, out=buffer)
            except (RuntimeError, ValueError, OSError) as error:
                raise damaged() from error
            if len(block) == 0:
                return
            yield block
            if len(block) < BLOCK_FRAMES:
                return

    def close(self) -> None:
        self._file.close()


_WAV_CODECS = {
    (wav.PCM, 16): "pcm_s16",
    (wav.PCM, 24): "pcm_s24",
    (wav.PCM, 32): "pcm_s32",
    (wav.IEEE_FLOAT, 32): "pcm_f32",
}


class _WavStream(AudioStream):
    """Plain PCM and float WAV, converted from the bytes (see wav.py)."""

    def __init__(self, fileobj: BinaryFile, layout: wav.WavLayout) -> None:
        self._fileobj = fileobj
        self._layout = layout
        frames = wav.frames_declared(layout)
        self.info = StreamInfo(
            sample_rate=layout.sample_rate,
            channels=layout.channels,
            codec=_WAV_CODECS[layout.encoding, layout.bits],
            bit_depth=layout.bits,
            lossless=True,
            declared_frames=frames if frames and 0 < frames < 2**62 else None,
        )

    def blocks(self) -> Iterator[np.ndarray]:
        try:
            yield from wav.blocks(self._fileobj, self._layout, BLOCK_FRAMES)
        except OSError as error:
            raise damaged() from error

    def close(self) -> None:
        """The caller owns the file."""


class _PyAVStream(AudioStream):
    def __init__(self, fileobj: BinaryFile) -> None:
        # Imported on first use, not at the top: loading PyAV loads FFmpeg's libraries
        # (about 0.1 s per process), and only M4A files need them.
        import av

        self._av = av
        try:
            self._container = av.open(fileobj, mode="r")
        except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as error:
            raise AnalysisError(
                "unreadable",
                "This looks like an M4A file, but its audio cannot be read: the file is "
                "damaged or only partly uploaded. Export it again.",
            ) from error
        try:
            self._stream = self._container.streams.audio[0]
        except IndexError as error:
            self._container.close()
            raise AnalysisError(
                "no_audio", "This M4A file has no audio track in it. Export it again."
            ) from error
        context = self._stream.codec_context
        codec = context.name
        fmt_name = context.format.name if context.format is not None else ""
        frames = None
        if self._stream.duration and self._stream.time_base:
            frames = int(self._stream.duration * self._stream.time_base * context.sample_rate)
        self.info = StreamInfo(
            sample_rate=int(context.sample_rate or 0),
            channels=int(context.layout.nb_channels if context.layout else 0),
            codec=codec,
            bit_depth=_alac_bits(fileobj) if codec == "alac" else None,
            lossless=codec == "alac",
            declared_frames=frames if frames and frames > 0 else None,
        )
        self._format = fmt_name

    def blocks(self) -> Iterator[np.ndarray]:
        channels = self.info.channels
        pending: list[np.ndarray] = []
        pending_frames = 0
        try:
            for frame in self._container.decode(self._stream):
                samples = _frame_samples(frame, channels)
                pending.append(samples)
                pending_frames += len(samples)
                while pending_frames >= BLOCK_FRAMES:
                    joined = np.concatenate(pending)
                    yield joined[:BLOCK_FRAMES]
                    pending = [joined[BLOCK_FRAMES:]]
                    pending_frames -= BLOCK_FRAMES
        except (self._av.FFmpegError, OSError, ValueError) as error:
            raise damaged() from error
        if pending_frames:
            yield np.concatenate(pending)

    def close(self) -> None:
        self._container.close()


_INTEGER_SCALE = {"s16": 32768.0, "s32": 2147483648.0, "u8": 128.0}


def _frame_samples(frame: av.AudioFrame, channels: int) -> np.ndarray:
    """One decoded frame as float32 frames x channels."""
    fmt = frame.format
    if frame.layout.nb_channels != channels:
        raise damaged()
    data = frame.to_ndarray()
    data = data.T if fmt.is_planar else data.reshape(-1, channels)
    name = fmt.name.rstrip("p")
    if name in _INTEGER_SCALE:
        offset = 128.0 if name == "u8" else 0.0
        return ((data.astype(np.float32) - offset) / _INTEGER_SCALE[name]).astype(np.float32)
    return np.ascontiguousarray(data, dtype=np.float32)


def _alac_bits(fileobj: BinaryFile) -> int | None:
    """ALAC's bit depth is in its own atom, which FFmpeg decodes to 16 or 32 bits."""
    position = fileobj.tell()
    try:
        fileobj.seek(0)
        info: MP4Info | None = MP4(fileobj).info  # mutagen declares it None until loaded
        bits = info.bits_per_sample if info is not None else None
    except Exception:  # a best-effort fact; the decoder decides what is readable
        bits = None
    finally:
        fileobj.seek(position)
    return int(bits) if bits else None

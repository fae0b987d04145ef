"""What kind of audio file this is, decided by its bytes rather than its name."""

from __future__ import annotations

import enum
import struct
from typing import Protocol

from mutagen import MutagenError
from mutagen.mp4 import MP4

HEAD_BYTES = 4096
MP3_SCAN_BYTES = 64 * 1024
MP3_FRAMES_IN_A_ROW = 3


class BinaryFile(Protocol):
    """What the engine reads: any seekable binary file object, such as an open file,
    io.BytesIO, or a Django File opened from storage (which only proxies a file's methods,
    so it is no typing.BinaryIO)."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...
    def fileno(self) -> int: ...


class AudioFormat(enum.StrEnum):
    WAV = "wav"
    AIFF = "aiff"
    FLAC = "flac"
    OGG = "ogg"
    MP3 = "mp3"
    M4A = "m4a"

    @property
    def label(self) -> str:
        return {"ogg": "Ogg", "m4a": "M4A"}.get(self.value, self.value.upper())

    @property
    def extension(self) -> str:
        return self.value

    @property
    def file_extensions(self) -> tuple[str, ...]:
        """The endings exports of this format usually carry."""
        return {"aiff": (".aif", ".aiff")}.get(self.value, (f".{self.value}",))

    @property
    def mime_type(self) -> str:
        return {
            "wav": "audio/wav",
            "aiff": "audio/aiff",
            "flac": "audio/flac",
            "ogg": "audio/ogg",
            "mp3": "audio/mpeg",
            "m4a": "audio/mp4",
        }[self.value]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


ACCEPTED_LABELS = ", ".join(member.label for member in AudioFormat)
ACCEPTED_VALUES = frozenset(member.value for member in AudioFormat)
ACCEPT_ATTRIBUTE = ",".join(
    [*(ending for member in AudioFormat for ending in member.file_extensions), "audio/*"]
)
"""What a file picker offers (its `accept` attribute): a hint for the picker only, since
the content, not the name, decides (see `sniff`)."""


def label_of(value: str) -> str:
    """The name people use for a stored format value ("wav" is WAV); unknown ones upper-cased."""
    return AudioFormat(value).label if value in ACCEPTED_VALUES else value.upper()


def sniff(fileobj: BinaryFile) -> AudioFormat | None:
    """Return the audio format the file's content shows, or None if it is none we accept.

    Reads at most a few tens of kilobytes and leaves the file position where it was.
    """
    start = fileobj.tell()
    try:
        return _sniff(fileobj, start)
    finally:
        fileobj.seek(start)


def _sniff(fileobj: BinaryFile, start: int) -> AudioFormat | None:
    head = fileobj.read(HEAD_BYTES)
    if len(head) < 12:
        return None
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return AudioFormat.WAV
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return AudioFormat.AIFF
    if head[:4] == b"OggS":
        return AudioFormat.OGG if _ogg_carries_audio(head) else None
    if head[4:8] == b"ftyp":
        fileobj.seek(start)
        return AudioFormat.M4A if _mp4_carries_audio(fileobj) else None

    offset = _id3v2_size(head)
    fileobj.seek(start + offset)
    body = fileobj.read(MP3_SCAN_BYTES)
    if body[:4] == b"fLaC":
        return AudioFormat.FLAC
    if _find_mpeg_layer3(body) is not None:
        return AudioFormat.MP3
    return None


def _id3v2_size(head: bytes) -> int:
    """Length of a leading ID3v2 tag (which MP3 and some FLAC files carry), else 0."""
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    size_bytes = head[6:10]
    if any(byte & 0x80 for byte in size_bytes):
        return 0
    size = 0
    for byte in size_bytes:
        size = (size << 7) | byte
    has_footer = bool(head[5] & 0x10)
    return 10 + size + (10 if has_footer else 0)


def _ogg_carries_audio(head: bytes) -> bool:
    if len(head) < 28:
        return False
    segments = head[26]
    payload = head[27 + segments : 27 + segments + 8]
    return payload.startswith((b"\x01vorbis", b"OpusHead", b"\x7fFLAC"))


def _mp4_carries_audio(fileobj: BinaryFile) -> bool:
    try:
        info = MP4(fileobj).info
    except (MutagenError, ValueError, OSError, RecursionError, MemoryError, struct.error):
        # Hostile atom trees make mutagen recurse or allocate: not audio we accept.
        return False
    codec = getattr(info, "codec", "") or ""
    return codec.startswith("mp4a") or codec == "alac"


# MPEG audio frame headers: (version, layer) -> bitrates in kbit/s by index 1..14.
_V1_L3 = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_V2_L3 = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _layer3_frame_length(header: bytes) -> int | None:
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
        return None
    version = (header[1] >> 3) & 0x03
    layer = (header[1] >> 1) & 0x03
    bitrate_index = (header[2] >> 4) & 0x0F
    rate_index = (header[2] >> 2) & 0x03
    padding = (header[2] >> 1) & 0x01
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    sample_rate = _SAMPLE_RATES[version][rate_index]
    if version == 3:
        return 144_000 * _V1_L3[bitrate_index - 1] // sample_rate + padding
    return 72_000 * _V2_L3[bitrate_index - 1] // sample_rate + padding


def _find_mpeg_layer3(body: bytes) -> int | None:
    """Offset of the first run of consecutive MPEG layer III frames, or None."""
    position = body.find(b"\xff")
    while 0 <= position < len(body) - 4:
        offset, run = position, 0
        while run < MP3_FRAMES_IN_A_ROW:
            length = _layer3_frame_length(body[offset : offset + 4])
            if length is None:
                break
            run += 1
            offset += length
            if offset + 4 > len(body):
                # The scan window ends mid-run: a long valid chain this far counts.
                run = MP3_FRAMES_IN_A_ROW if run >= 2 else run
                break
        if run >= MP3_FRAMES_IN_A_ROW:
            return position
        position = body.find(b"\xff", position + 1)
    return None

"""Tags, ISRC and cover art, normalised across ID3, Vorbis comments, MP4 atoms and RIFF/AIFF.

Metadata problems never stop the analysis: a tag block mutagen cannot parse (it may
raise RecursionError or MemoryError as well as its own errors) leaves the tags empty
and adds a flag. Pictures are measured from their headers with Pillow limited to JPEG
and PNG, and never decoded.
"""

from __future__ import annotations

import base64
import io
import re
import struct
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from mutagen.aiff import AIFF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3, ID3NoHeaderError
from mutagen.mp4 import MP4, MP4Tags
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import Image, UnidentifiedImageError

from songs.analysis.formats import AudioFormat, BinaryFile
from songs.analysis.report import Artwork

MAX_TAG_CHARS = 500
"""Longer tag values are cut: they are shown to people, not parsed."""
MAX_CHUNKS = 512
"""A RIFF/AIFF file with more chunks than this is not walked further."""
MAX_TEXT_CHUNK_BYTES = 64 * 1024
MAX_PICTURE_BYTES = 32 * 1024 * 1024

# Our tag names, in the order a report lists them.
TAG_NAMES = (
    "title",
    "artist",
    "album",
    "album_artist",
    "track",
    "disc",
    "date",
    "genre",
    "composer",
    "isrc",
    "copyright",
    "label",
    "comment",
    "encoded_by",
    "source",
)

_ID3_FRAMES = {
    "TIT2": "title",
    "TPE1": "artist",
    "TALB": "album",
    "TPE2": "album_artist",
    "TRCK": "track",
    "TPOS": "disc",
    "TDRC": "date",
    "TYER": "date",
    "TCON": "genre",
    "TCOM": "composer",
    "TSRC": "isrc",
    "TCOP": "copyright",
    "TPUB": "label",
    "TENC": "encoded_by",
    "TSSE": "encoded_by",
}
_VORBIS_FIELDS = {
    "title": "title",
    "artist": "artist",
    "album": "album",
    "albumartist": "album_artist",
    "album artist": "album_artist",
    "tracknumber": "track",
    "discnumber": "disc",
    "date": "date",
    "year": "date",
    "genre": "genre",
    "composer": "composer",
    "isrc": "isrc",
    "copyright": "copyright",
    "label": "label",
    "organization": "label",
    "comment": "comment",
    "description": "comment",
    "encoded-by": "encoded_by",
    "encoder": "encoded_by",
}
_MP4_ATOMS = {
    "\xa9nam": "title",
    "\xa9ART": "artist",
    "\xa9alb": "album",
    "aART": "album_artist",
    "\xa9day": "date",
    "\xa9gen": "genre",
    "\xa9wrt": "composer",
    "cprt": "copyright",
    "\xa9cmt": "comment",
    "\xa9too": "encoded_by",
    "----:com.apple.iTunes:ISRC": "isrc",
    "----:com.apple.iTunes:LABEL": "label",
}
# RIFF INFO: note that "ISRC" there is the *source* of the material, not a recording code.
_RIFF_INFO = {
    b"INAM": "title",
    b"IART": "artist",
    b"IPRD": "album",
    b"ITRK": "track",
    b"IPRT": "track",
    b"ICRD": "date",
    b"IGNR": "genre",
    b"ICMT": "comment",
    b"ICOP": "copyright",
    b"ISFT": "encoded_by",
    b"ISRC": "source",
}
_AIFF_TEXT = {b"NAME": "title", b"AUTH": "artist", b"(c) ": "copyright", b"ANNO": "comment"}

_ISRC_SHAPE = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")


@dataclass(frozen=True)
class Metadata:
    tags: dict[str, str]
    isrc: str | None
    isrc_valid: bool
    isrc_field: str | None
    """Where the ISRC was found (see ISRC_FIELDS); None without one."""
    artwork: Artwork | None
    flags: tuple[str, ...]


RIFF_INFO_ISRC = "RIFF INFO ISRC"
"""The WAV field ffmpeg (`-metadata ISRC=...`) and some DAWs write an ISRC into. The RIFF
standard calls it the source of the material; distributors do not read it."""
ISRC_FIELDS = {
    AudioFormat.MP3: "ID3 tag",
    AudioFormat.WAV: "ID3 chunk",
    AudioFormat.AIFF: "ID3 chunk",
    AudioFormat.FLAC: "Vorbis comment",
    AudioFormat.OGG: "Vorbis comment",
    AudioFormat.M4A: "MP4 atom",
}
"""Where each format keeps a recording's ISRC, as tag editors and players read it."""
_CODE_IN_TEXT = re.compile(r"\b[A-Za-z]{2}-?[A-Za-z0-9]{3}-?[0-9]{2}-?[0-9]{5}\b")
_ISRC_LABEL_REACH = 120
"""In BWF XML, an ISRC-shaped code counts when "ISRC" labels it within this many characters
before it (an element name, an attribute, or a typeLabel)."""


def normalise_isrc(raw: str) -> str:
    """Upper case, without an "ISRC" prefix, spaces, hyphens or separators."""
    text = raw.strip().upper()
    if text.startswith("ISRC"):
        text = text[4:]
    return re.sub(r"[\s\-_:.]", "", text)


def format_isrc(code: str) -> str:
    """The way people write an ISRC: CC-XXX-YY-NNNNN (anything else as it is)."""
    if len(code) != 12:
        return code
    return f"{code[:2]}-{code[2:5]}-{code[5:7]}-{code[7:]}"


def isrc_is_valid(isrc: str) -> bool:
    """Country (2 letters), registrant (3 letters or digits), year (2) and number (5)."""
    return _ISRC_SHAPE.fullmatch(isrc) is not None


# Embedded pictures: (the image's bytes, its ID3/FLAC picture type; 3 is the front cover).
_Pictures = list[tuple[bytes, int]]


def read_metadata(fileobj: BinaryFile, fmt: AudioFormat, *, max_artwork_pixels: int) -> Metadata:
    tags: dict[str, str] = {}
    pictures: _Pictures = []
    flags: list[str] = []
    readers: dict[AudioFormat, Callable[[BinaryFile, dict[str, str], _Pictures], None]] = {
        AudioFormat.MP3: _read_id3_file,
        AudioFormat.WAV: _read_wave,
        AudioFormat.AIFF: _read_aiff,
        AudioFormat.FLAC: _read_flac,
        AudioFormat.OGG: _read_ogg,
        AudioFormat.M4A: _read_mp4,
    }
    fileobj.seek(0)
    try:
        readers[fmt](fileobj, tags, pictures)
    except Exception:  # mutagen raises anything on hostile tags; they are optional
        flags.append("tags_unreadable")
    finally:
        fileobj.seek(0)

    isrc = normalise_isrc(tags["isrc"]) if tags.get("isrc") else None
    field = ISRC_FIELDS[fmt] if isrc else None
    if not isrc and fmt is AudioFormat.WAV:
        isrc, field = _wave_isrc(fileobj, tags)
        fileobj.seek(0)
    artwork = None
    if pictures:
        data, _ = max(pictures, key=lambda picture: picture[1] == 3)  # front cover first
        artwork = measure_artwork(data, max_pixels=max_artwork_pixels)
    ordered = {name: tags[name] for name in TAG_NAMES if name in tags}
    return Metadata(
        tags=ordered,
        isrc=isrc or None,
        isrc_valid=bool(isrc and isrc_is_valid(isrc)),
        isrc_field=field if isrc else None,
        artwork=artwork,
        flags=tuple(flags),
    )


def measure_artwork(data: bytes, *, max_pixels: int) -> Artwork:
    """Format and size from the picture's header; the pixels are never decoded."""
    size = len(data)
    try:
        with warnings.catch_warnings():
            # Pillow warns about large pictures; our own limit below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as image:
                width, height = image.size
                kind = image.format
    except Image.DecompressionBombError:
        return Artwork(
            format=None,
            width_px=None,
            height_px=None,
            size_bytes=size,
            problem="The embedded picture claims to be enormous; it is too large to use.",
        )
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return Artwork(
            format=None,
            width_px=None,
            height_px=None,
            size_bytes=size,
            problem="The embedded picture is not a readable JPEG or PNG.",
        )
    problem = None
    if width * height > max_pixels:
        problem = f"The embedded picture is {width} x {height} pixels, too large to use."
    return Artwork(format=kind, width_px=width, height_px=height, size_bytes=size, problem=problem)


def _clean(value: object) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = text.replace("\x00", " ").strip()
    if len(text) > MAX_TAG_CHARS:
        text = text[: MAX_TAG_CHARS - 1] + "\u2026"
    return text


def _put(tags: dict[str, str], name: str, values: Iterable[object]) -> None:
    """Keep the first non-empty value each tag gets."""
    if name in tags:
        return
    text = " / ".join(filter(None, (_clean(value) for value in values)))
    if text:
        tags[name] = text


# --- ID3 (MP3, and the ID3 chunk of WAV and AIFF) ---------------------------------------


def _read_id3_file(fileobj: BinaryFile, tags: dict[str, str], pictures: _Pictures) -> None:
    try:
        id3 = ID3(fileobj)
    except ID3NoHeaderError:
        return
    _id3_tags(id3, tags, pictures)


def _id3_tags(id3: Any, tags: dict[str, str], pictures: _Pictures) -> None:
    if id3 is None:
        return
    for frame in id3.values():
        frame_id = frame.FrameID
        if frame_id in _ID3_FRAMES:
            _put(tags, _ID3_FRAMES[frame_id], frame.text)
        elif frame_id == "COMM":
            _put(tags, "comment", frame.text)
        elif frame_id == "TXXX" and frame.desc.strip().upper() == "ISRC":
            _put(tags, "isrc", frame.text)
        elif frame_id == "APIC" and len(frame.data) <= MAX_PICTURE_BYTES:
            pictures.append((frame.data, int(frame.type)))


# --- WAV and AIFF: ID3 chunk plus their own text chunks ----------------------------------


def _read_wave(fileobj: BinaryFile, tags: dict[str, str], pictures: _Pictures) -> None:
    for _, data in _chunks(fileobj, "<", wanted={b"LIST"}):
        if data[:4] == b"INFO":
            for field_id, value in _riff_info(data[4:]):
                if field_id in _RIFF_INFO:
                    _put(tags, _RIFF_INFO[field_id], [_text(value)])
    fileobj.seek(0)
    _id3_tags(WAVE(fileobj).tags, tags, pictures)


def _wave_isrc(fileobj: BinaryFile, tags: dict[str, str]) -> tuple[str | None, str | None]:
    """A WAV without an ID3 ISRC: look in its BWF XML chunks (axml, iXML), then in the RIFF
    INFO "ISRC" field, where only a code shaped like an ISRC counts as one."""
    try:
        for chunk_id, data in _chunks(fileobj, "<", wanted={b"axml", b"iXML"}):
            text = _text(data)
            for found in _CODE_IN_TEXT.finditer(text):
                if (
                    "isrc"
                    in text[max(0, found.start() - _ISRC_LABEL_REACH) : found.start()].lower()
                ):
                    return normalise_isrc(found[0]), f"BWF {chunk_id.decode()} chunk"
    except (OSError, struct.error):
        return None, None
    source = normalise_isrc(tags.get("source", ""))
    if source and isrc_is_valid(source):
        return source, RIFF_INFO_ISRC
    return None, None


def _read_aiff(fileobj: BinaryFile, tags: dict[str, str], pictures: _Pictures) -> None:
    for chunk_id, data in _chunks(fileobj, ">", wanted=set(_AIFF_TEXT)):
        _put(tags, _AIFF_TEXT[chunk_id], [_text(data)])
    fileobj.seek(0)
    _id3_tags(AIFF(fileobj).tags, tags, pictures)


def _text(data: bytes) -> str:
    """RIFF and AIFF text has no declared encoding: UTF-8 if it is, else Latin-1."""
    data = data.split(b"\x00", 1)[0]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _chunks(
    fileobj: BinaryFile, order: str, *, wanted: set[bytes]
) -> Iterator[tuple[bytes, bytes]]:
    """(id, data) of the wanted top-level chunks; sizes are trusted only up to the file's end."""
    fileobj.seek(0, io.SEEK_END)
    end = fileobj.tell()
    position = 12
    for _ in range(MAX_CHUNKS):
        if position + 8 > end:
            return
        fileobj.seek(position)
        header = fileobj.read(8)
        if len(header) < 8:
            return
        chunk_id = header[:4]
        (size,) = struct.unpack(order + "I", header[4:])
        if chunk_id in wanted and size <= MAX_TEXT_CHUNK_BYTES:
            yield chunk_id, fileobj.read(size)
        position += 8 + size + (size & 1)


def _riff_info(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    position = 0
    while position + 8 <= len(data):
        field_id = data[position : position + 4]
        (size,) = struct.unpack("<I", data[position + 4 : position + 8])
        yield field_id, data[position + 8 : position + 8 + size]
        position += 8 + size + (size & 1)


# --- Vorbis comments (FLAC, Ogg) ----------------------------------------------------------


def _read_flac(fileobj: BinaryFile, tags: dict[str, str], pictures: _Pictures) -> None:
    flac = FLAC(fileobj)
    _vorbis_tags(flac.tags, tags, pictures)
    pictures.extend(
        (picture.data, int(picture.type))
        for picture in flac.pictures
        if len(picture.data) <= MAX_PICTURE_BYTES
    )


def _read_ogg(fileobj: BinaryFile, tags: dict[str, str], pictures: _Pictures) -> None:
    head = fileobj.read(64)
    fileobj.seek(0)
    kind = OggOpus if b"OpusHead" in head else OggFLAC if b"FLAC" in head else OggVorbis
    _vorbis_tags(kind(fileobj).tags, tags, pictures)


def _vorbis_tags(comments: Any, tags: dict[str, str], pictures: _Pictures) -> None:
    if comments is None:
        return
    for key, value in comments:
        name = key.lower()
        if name in _VORBIS_FIELDS:
            _put(tags, _VORBIS_FIELDS[name], [value])
        elif name == "metadata_block_picture" and len(value) <= MAX_PICTURE_BYTES * 4 // 3 + 4:
            try:
                picture = Picture(base64.b64decode(value))
            except Exception:  # a broken picture block only loses the picture
                continue
            pictures.append((picture.data, int(picture.type)))


# --- MP4 atoms (M4A) ----------------------------------------------------------------------


def _read_mp4(fileobj: BinaryFile, tags: dict[str, str], pictures: _Pictures) -> None:
    atoms: MP4Tags | None = MP4(fileobj).tags  # mutagen declares it None until loaded
    if atoms is None:
        return
    for key, values in atoms.items():
        if key in _MP4_ATOMS:
            _put(tags, _MP4_ATOMS[key], values)
        elif key in ("trkn", "disk"):
            number, total = values[0] if values else (0, 0)
            if number:
                _put(
                    tags,
                    "track" if key == "trkn" else "disc",
                    [f"{number}/{total}" if total else number],
                )
        elif key == "covr":
            pictures.extend(
                (bytes(cover), 3) for cover in values if len(cover) <= MAX_PICTURE_BYTES
            )
        elif key.startswith("----:") and key.rsplit(":", 1)[-1].upper() == "ISRC":
            _put(tags, "isrc", values)

"""Cover artwork: open an upload safely, re-encode it, make a thumbnail, and judge it.

Pillow is only ever asked to recognise JPEG and PNG, so a TIFF, EPS (which Pillow would
hand to Ghostscript), GIF or anything else is refused by its content whatever its name.
The pixel count is read from the header and checked against our own limit before a
single pixel is decoded, so a small file that claims to be 50000 x 50000 costs nothing.
What is stored is a fresh encoding of the decoded pixels: EXIF (camera, GPS position),
XMP, comments and text chunks of the upload do not survive.
"""

from __future__ import annotations

import contextlib
import io
import uuid
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from songs import quota
from songs.analysis import Status
from songs.analysis.units import size as format_size
from songs.models import Song
from songs.storage import STORAGE_ERRORS

ACCEPTED_FORMATS = ("JPEG", "PNG")
ACCEPT_ATTRIBUTE = ".jpg,.jpeg,.png,image/jpeg,image/png"
"""What the file picker offers; the content decides (see `process`)."""
MAX_PIXELS = 8000 * 8000
"""Largest cover decoded (about 190 MB of RGB in memory at the limit). Stores ask for
3000 x 3000; nothing a student needs comes close."""
MAX_UPLOAD_BYTES = 30 * 1024 * 1024
"""Largest upload read at all; enforced while the request streams in."""
MIN_PX = 1400
"""Below this, stores refuse the cover."""
RECOMMENDED_PX = 3000
"""What Apple Music and Spotify ask for."""
MAX_FILE_BYTES = 10 * 1024 * 1024
"""Most distributors refuse cover files larger than this."""
THUMBNAIL_PX = 400
"""Longest side of the thumbnail: sharp at 200 CSS pixels on a high-density screen."""
JPEG_QUALITY = 92

# What a refused file most likely is, by its first bytes, so the message can name it.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"II*\x00", 0, "a TIFF image"),
    (b"MM\x00*", 0, "a TIFF image"),
    (b"%!PS", 0, "an EPS or PostScript file"),
    (b"\xc5\xd0\xd3\xc6", 0, "an EPS file"),
    (b"%PDF", 0, "a PDF document"),
    (b"GIF8", 0, "a GIF image"),
    (b"8BPS", 0, "a Photoshop (PSD) file"),
    (b"BM", 0, "a BMP image"),
    (b"WEBP", 8, "a WebP image"),
    (b"ftypheic", 4, "a HEIC photo"),
    (b"ftypmif1", 4, "a HEIF photo"),
    (b"ftypavif", 4, "an AVIF image"),
    (b"<svg", 0, "an SVG drawing"),
    (b"<?xml", 0, "an XML (perhaps SVG) file"),
)


class ArtworkError(Exception):
    """Why an upload cannot be used as a cover, written for the student."""


@dataclass(frozen=True)
class ProcessedArtwork:
    image: bytes
    thumbnail: bytes
    format: str
    """"JPEG" or "PNG", as the content showed (the upload's name is not trusted)."""
    mode: str
    """Pillow's colour mode of the upload: "RGB", "CMYK", "L", "RGBA", ..."""
    width_px: int
    height_px: int

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "JPEG" else "png"


@dataclass(frozen=True)
class ArtworkCheck:
    id: str
    label: str
    status: Status
    message: str


def process(upload: IO[bytes]) -> ProcessedArtwork:
    """Open `upload` as a JPEG or PNG within our limits, and re-encode it with a thumbnail.

    Raises ArtworkError with a sentence that says what to do instead.
    """
    upload.seek(0)
    head = upload.read(32)
    upload.seek(0)
    if not head:
        raise ArtworkError("The file is empty. Choose the cover image again.")
    try:
        with warnings.catch_warnings():
            # Pillow warns about large images on its own scale; ours is stricter and below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(upload, formats=list(ACCEPTED_FORMATS))
    except UnidentifiedImageError:
        raise ArtworkError(_not_jpeg_or_png(head)) from None
    except Image.DecompressionBombError:
        raise ArtworkError(_too_many_pixels(None)) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ArtworkError(_unreadable(str(error))) from None

    with image:
        width, height = image.size
        if width * height > MAX_PIXELS or width < 1 or height < 1:
            raise ArtworkError(_too_many_pixels((width, height)))
        fmt, mode = image.format or "", image.mode
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise ArtworkError(_unreadable(str(error))) from None
        # A phone photo stores its rotation as EXIF; apply it before EXIF is dropped, or
        # the stored cover would lie on its side.
        upright = ImageOps.exif_transpose(image)
        icc = image.info.get("icc_profile")
        # Pillow writes some of `info` back on save (a JPEG's comment, for one): keep only
        # what the pixels need to look right.
        upright.info = {k: v for k, v in upright.info.items() if k == "transparency"}
        stored = _encode(upright, fmt, icc)
        thumbnail = _thumbnail(upright)
        width, height = upright.size
    return ProcessedArtwork(
        image=stored,
        thumbnail=thumbnail,
        format=fmt,
        mode=mode,
        width_px=width,
        height_px=height,
    )


def store(*, song: Song, processed: ProcessedArtwork) -> None:
    """Make a processed upload `song`'s cover, replacing (and later deleting) the old one.

    The files are written under generated names first; if the row cannot be saved they
    are removed again, and the previous cover's files go only once the new row is
    committed, so a failure at any point leaves one complete cover. Refused (ArtworkError)
    when the new cover would take the owner over their storage quota.
    """
    adding, replacing = len(processed.image), song.artwork_size_bytes or 0
    if refused := quota.refusal(owner=song.owner, adding_bytes=adding, replacing_bytes=replacing):
        raise ArtworkError(refused)
    stem = uuid.uuid4().hex
    old = [name for name in (song.artwork.name, song.artwork_thumbnail.name) if name]
    storage = song.artwork.storage
    song.artwork.save(f"{stem}.{processed.extension}", ContentFile(processed.image), save=False)
    song.artwork_thumbnail.save(f"{stem}-thumb.jpg", ContentFile(processed.thumbnail), save=False)
    new = [name for name in (song.artwork.name, song.artwork_thumbnail.name) if name]
    try:
        with transaction.atomic():
            if refused := quota.locked_refusal(
                owner=song.owner, adding_bytes=adding, replacing_bytes=replacing
            ):
                raise ArtworkError(refused)
            song.attach_artwork(
                format=processed.format,
                mode=processed.mode,
                width_px=processed.width_px,
                height_px=processed.height_px,
                size_bytes=len(processed.image),
                uploaded_at=timezone.now(),
            )
            transaction.on_commit(lambda: _delete(storage, old))
    except Exception:
        _delete(storage, new)
        raise


def checks(
    *, width_px: int, height_px: int, mode: str, size_bytes: int, fmt: str = ""
) -> tuple[ArtworkCheck, ...]:
    """Square, big enough, RGB, small enough: each with a sentence saying what to fix."""
    return (
        _square(width_px, height_px),
        _dimensions(width_px, height_px),
        _colour(mode, fmt),
        _file_size(size_bytes, fmt),
    )


def checks_for(song: Song) -> tuple[ArtworkCheck, ...]:
    """The checks of the song's stored cover; none while it has no cover."""
    if not song.artwork or song.artwork_width_px is None or song.artwork_height_px is None:
        return ()
    return checks(
        width_px=song.artwork_width_px,
        height_px=song.artwork_height_px,
        mode=song.artwork_mode,
        size_bytes=song.artwork_size_bytes or 0,
        fmt=song.artwork_format,
    )


def worst(statuses: list[Status]) -> Status:
    for status in (Status.FAIL, Status.WARN):
        if status in statuses:
            return status
    return Status.PASS


# --- Encoding -------------------------------------------------------------------------------


def _encode(image: Image.Image, fmt: str, icc: bytes | None) -> bytes:
    out = io.BytesIO()
    # The ICC profile is kept: it is colour information, not metadata about anyone, and
    # without it a wide-gamut cover would change colour.
    extra = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        # JPEG holds L, RGB and CMYK; the mode is kept so the colour check tells the truth.
        if image.mode not in {"L", "RGB", "CMYK"}:
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, **extra)
    else:
        if image.mode not in {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}:
            image = image.convert("RGBA")
        image.save(out, "PNG", **extra)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    small = image.copy()
    small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS)
    if small.mode in {"RGBA", "LA", "PA", "P"}:
        small = small.convert("RGBA")
        # Transparent areas show on white, as they do on the page.
        background = Image.new("RGB", small.size, (255, 255, 255))
        background.paste(small, mask=small.getchannel("A"))
        small = background
    elif small.mode != "RGB":
        small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _delete(storage: Storage, names: list[str]) -> None:
    # A leftover file costs disk space, never correctness: no row names it any more.
    for name in names:
        with contextlib.suppress(*STORAGE_ERRORS):
            storage.delete(name)


# --- Messages -------------------------------------------------------------------------------


def _not_jpeg_or_png(head: bytes) -> str:
    what = next(
        (label for magic, at, label in _SIGNATURES if head[at : at + len(magic)] == magic),
        None,
    )
    opening = f"This is {what}, whatever its name says." if what else "This is not an image."
    if what is None and head[:3] == b"\xff\xd8\xff":
        opening = "This JPEG cannot be read."
    return f"{opening} Covers must be JPEG or PNG: export the artwork as a JPEG and upload that."


def _too_many_pixels(size: tuple[int, int] | None) -> str:
    limit = int(MAX_PIXELS**0.5)
    described = f"{size[0]} x {size[1]} pixels" if size else "far too many pixels"
    return (
        f"The image says it is {described}; covers here can be up to {limit} x {limit}. "
        f"Export it at {RECOMMENDED_PX} x {RECOMMENDED_PX} pixels, which is what stores ask for."
    )


def _unreadable(detail: str) -> str:
    if "truncated" in detail or "broken" in detail.lower() or not detail:
        return (
            "The image file ends early (it is truncated or damaged), so it cannot be used. "
            "Export it again and upload the new file."
        )
    return (
        "The image cannot be read: it is damaged or not really a JPEG or PNG. Export it "
        "again as a JPEG and upload the new file."
    )


def refused_size_message(size_bytes: int) -> str:
    return (
        f"This image is about {format_size(size_bytes)}; covers can be up to "
        f"{format_size(MAX_UPLOAD_BYTES)}. Export it as a JPEG at {RECOMMENDED_PX} x "
        f"{RECOMMENDED_PX} pixels."
    )


# --- Checks ---------------------------------------------------------------------------------


def _square(width: int, height: int) -> ArtworkCheck:
    if width == height:
        return ArtworkCheck("square", "Square", Status.PASS, f"Square ({width} x {height} pixels).")
    return ArtworkCheck(
        "square",
        "Square",
        Status.FAIL,
        f"The cover is {width} x {height} pixels, not square; stores refuse it. Crop it to "
        "a square in your image editor and upload it again.",
    )


def _dimensions(width: int, height: int) -> ArtworkCheck:
    side = min(width, height)
    label = f"At least {MIN_PX} px"
    if side < MIN_PX:
        return ArtworkCheck(
            "size",
            label,
            Status.FAIL,
            f"The shorter side is {side} pixels; stores need at least {MIN_PX} and ask for "
            f"{RECOMMENDED_PX}. Export the artwork again at {RECOMMENDED_PX} x "
            f"{RECOMMENDED_PX} pixels (scaling a small image up only makes it blurry).",
        )
    if side < RECOMMENDED_PX:
        return ArtworkCheck(
            "size",
            label,
            Status.WARN,
            f"The shorter side is {side} pixels: accepted, but stores recommend "
            f"{RECOMMENDED_PX} x {RECOMMENDED_PX}. Export it at that size if you can.",
        )
    return ArtworkCheck(
        "size",
        label,
        Status.PASS,
        f"{side} pixels on the shorter side: big enough for every store.",
    )


def _colour(mode: str, fmt: str) -> ArtworkCheck:
    label = "RGB colour"
    if mode == "RGB":
        return ArtworkCheck("colour", label, Status.PASS, "RGB colour, as stores expect.")
    if mode == "CMYK":
        return ArtworkCheck(
            "colour",
            label,
            Status.FAIL,
            "The cover is in CMYK (print colours); stores need RGB and its colours will shift "
            "on screens. Convert it to RGB (sRGB) in your image editor and upload it again.",
        )
    if mode in {"RGBA", "LA", "PA"}:
        message = (
            "The cover has transparent areas, which stores show as black or white. Flatten "
            "it onto a background and export it as an RGB JPEG."
        )
    elif mode in {"L", "1"}:
        message = (
            "The cover is greyscale; stores ask for RGB. Export it as RGB, even if it looks "
            "black and white."
        )
    elif mode == "P":
        message = (
            "The cover uses an indexed palette (few colours); stores ask for full RGB. "
            "Export it as an RGB JPEG or a 24-bit PNG."
        )
    else:
        message = f"The cover uses an unusual colour mode ({mode}); export it as an RGB JPEG."
    return ArtworkCheck("colour", label, Status.WARN, message)


def _file_size(size_bytes: int, fmt: str) -> ArtworkCheck:
    label = "File size"
    size = format_size(size_bytes)
    if size_bytes > MAX_FILE_BYTES:
        fix = (
            "Save it as a high-quality JPEG instead of a PNG."
            if fmt == "PNG"
            else f"Export it at {RECOMMENDED_PX} x {RECOMMENDED_PX} pixels or lower the JPEG "
            "quality a little."
        )
        return ArtworkCheck(
            "file_size",
            label,
            Status.FAIL,
            f"The cover file is {size}; many distributors accept up to "
            f"{format_size(MAX_FILE_BYTES)}. {fix}",
        )
    return ArtworkCheck(
        "file_size", label, Status.PASS, f"{size}: small enough for every distributor."
    )

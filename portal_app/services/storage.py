"""Private file storage for intake, and content sniffing.

Files live under ``settings.storage_dir`` (never a publicly served folder) under random keys that never
derive from the upload's name. Types are decided from the content's magic bytes only; archives, HTML, SVG and
anything not on the allow-list are refused, and images with huge pixel dimensions are refused before anyone
decodes them.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from portal_app.services.errors import NotFound, Unavailable
from portal_app.settings import PROJECT_ROOT, get_settings

# secrets.token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet.
KEY_BYTES = 32
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_PIXELS = 40_000_000
MAX_NAME = 120
FALLBACK_NAME = "upload"
DISK_FULL = "The file could not be stored right now, so nothing was sent. Please try again later."

ALLOWED_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/webp", "image/gif"})
ALLOWED_LABEL = "PDF, PNG, JPEG, WebP or GIF"

# Folders a web server may publish; private storage must not sit inside any of them.
_PUBLIC_DIRS = ("assets", ".web", "public", "uploaded_files")


# ----------------------------------------------------------------------------------------------------
# Storage


def _root() -> Path:
    root = Path(get_settings().storage_dir).resolve()
    project = PROJECT_ROOT.resolve()
    for public in _PUBLIC_DIRS:
        if root.is_relative_to(project / public):
            raise RuntimeError("storage_dir must not be inside a publicly served folder")
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _path(key: str) -> Path:
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        raise NotFound("The file was not found.")
    # Two-character fan-out keeps directories small; the key alphabet has no separators or dots.
    return _root() / key[:2] / key


def save(data: bytes) -> str:
    """Write ``data`` under a new random key (atomically, owner-only permissions) and return the key."""
    while True:
        key = secrets.token_urlsafe(KEY_BYTES)
        if KEY_RE.fullmatch(key):  # always true for 32 bytes; guards a future change of KEY_BYTES
            break
    target = _path(key)
    target.parent.mkdir(mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)  # atomic: readers never see a half-written file
    except OSError as exc:  # disk full, quota, I/O error: a user-safe refusal; the temp file goes below
        raise Unavailable(DISK_FULL) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return key


def open_path(key: str) -> Path:
    """The stored file's path; ``NotFound`` for keys not of the generated format or missing files."""
    path = _path(key)
    if not path.is_file():
        raise NotFound("The file was not found.")
    return path


def delete(key: str) -> None:
    """Remove a stored file; a missing file is not an error."""
    with contextlib.suppress(FileNotFoundError):
        _path(key).unlink()


# ----------------------------------------------------------------------------------------------------
# Sniffing


@dataclass(frozen=True)
class Sniffed:
    """What the content is: an allowed type, or ``None`` with the reason to show the person who sent it."""

    content_type: str | None
    reason: str = ""


def _refuse(reason: str) -> Sniffed:
    return Sniffed(None, reason)


_UNSUPPORTED = f"This type of file is not accepted. Please send a {ALLOWED_LABEL} file."
_ARCHIVE = "Archives (zip, Office documents and the like) are not accepted. Please send a PDF or an image."
_MARKUP = "Web pages and SVG images are not accepted. Please send a PDF or a PNG/JPEG image."
# HEIC/HEIF (iPhone photos) cannot be checked here without a native decoder, so they are refused with the way out.
_HEIC = (
    "HEIC photos are not accepted yet. On an iPhone, share the photo as JPEG (or set Camera → Formats to "
    "“Most Compatible”), or send a PDF."
)
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")

_ARCHIVE_MAGIC = (
    b"PK\x03\x04",  # zip, docx, xlsx, odt, jar, apk...
    b"PK\x05\x06",  # empty zip
    b"PK\x07\x08",  # spanned zip
    b"\x1f\x8b",  # gzip
    b"BZh",  # bzip2
    b"\xfd7zXZ\x00",  # xz
    b"7z\xbc\xaf\x27\x1c",  # 7-zip
    b"Rar!\x1a\x07",  # rar
    b"\x28\xb5\x2f\xfd",  # zstd
    b"MSCF",  # cab
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE (old Office documents, msi)
)
_MARKUP_HINTS = (
    b"<!doctype",
    b"<html",
    b"<svg",
    b"<?xml",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<!--",
)


def _pixels_ok(width: int, height: int) -> Sniffed | None:
    if width <= 0 or height <= 0:
        return _refuse("The image is damaged (no size). Please send another file.")
    if width * height > MAX_PIXELS:
        return _refuse(
            f"The image is too large ({width} × {height} pixels). "
            f"Please send an image of at most {MAX_PIXELS // 1_000_000} megapixels."
        )
    return None


def _png(data: bytes) -> Sniffed:
    # Signature, then the IHDR chunk must come first: length(4) "IHDR" width(4) height(4).
    if len(data) < 24 or data[12:16] != b"IHDR":
        return _refuse("The PNG image is damaged. Please send another file.")
    width, height = struct.unpack(">II", data[16:24])
    return _pixels_ok(width, height) or Sniffed("image/png")


GIF_MAX_FRAMES = 10_000


def _colour_table(flags: int) -> int:
    """The size of the colour table a GIF screen or image descriptor's flags announce (0 when there is none)."""
    return 3 << ((flags & 7) + 1) if flags & 0x80 else 0


def _sub_blocks_end(data: bytes, at: int) -> int | None:
    """Where a chain of GIF data sub-blocks (a length byte, that many bytes; length 0 ends it) ends; ``None`` when
    the data is cut short."""
    while at < len(data):
        size = data[at]
        at += 1 + size
        if size == 0:
            return at
    return None


def _gif(data: bytes) -> Sniffed:
    """Walk the blocks without decoding any pixels. A decoder grows its canvas to cover every frame, so the pixel
    limit holds for the logical screen and for each frame's extent (offset plus size), not for the screen only."""
    damaged = _refuse("The GIF image is damaged. Please send another file.")
    if len(data) < 13:
        return damaged
    width, height, flags = struct.unpack("<HHB", data[6:11])
    if refused := _pixels_ok(width, height):
        return refused
    at: int | None = 13 + _colour_table(flags)
    frames = 0
    while at is not None and at < len(data):
        block = data[at]
        if block == 0x3B:  # trailer
            return Sniffed("image/gif") if frames else damaged
        if block == 0x21:  # extension: introducer, label, data sub-blocks
            at = _sub_blocks_end(data, at + 2)
        elif block == 0x2C and at + 10 <= len(data):  # image descriptor: left, top, width, height, flags
            frames += 1
            if frames > GIF_MAX_FRAMES:
                return _refuse(
                    f"The GIF image is too large (over {GIF_MAX_FRAMES:,} frames). Please send another file."
                )
            left, top, frame_width, frame_height, flags = struct.unpack("<HHHHB", data[at + 1 : at + 10])
            width, height = max(width, left + frame_width), max(height, top + frame_height)
            if refused := _pixels_ok(width, height):
                return refused
            # Then the local colour table, the LZW minimum code size and the image data sub-blocks.
            at = _sub_blocks_end(data, at + 11 + _colour_table(flags))
        else:
            return damaged
    return damaged  # cut short: no trailer


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> Sniffed:
    damaged = _refuse("The JPEG image is damaged. Please send another file.")
    i = 2
    n = len(data)
    while i < n:
        if data[i] != 0xFF:
            return damaged
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker == 0xD8 or marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue  # markers without a length
        if marker in (0xD9, 0xDA):
            break  # end of image or start of scan before any frame header
        if i + 2 > n:
            break
        (length,) = struct.unpack(">H", data[i : i + 2])
        if length < 2:
            return damaged
        if marker in _SOF_MARKERS:
            if i + 7 > n:
                break
            height, width = struct.unpack(">HH", data[i + 3 : i + 7])
            return _pixels_ok(width, height) or Sniffed("image/jpeg")
        i += length
    return damaged


def _webp(data: bytes) -> Sniffed:
    damaged = _refuse("The WebP image is damaged. Please send another file.")
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
    elif chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        height = int.from_bytes(data[28:30], "little") & 0x3FFF
    elif chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        width = (bits & 0x3FFF) + 1
        height = ((bits >> 14) & 0x3FFF) + 1
    else:
        return damaged
    return _pixels_ok(width, height) or Sniffed("image/webp")


def classify(data: bytes) -> Sniffed:
    """Decide the type from the content alone (the file name and the browser's claim are ignored)."""
    if not data:
        return _refuse("The file is empty.")
    head = data[:16]
    if data.startswith(b"%PDF-"):
        return Sniffed("application/pdf")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _gif(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp(data)
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return _refuse(_HEIC)
    if head.startswith(_ARCHIVE_MAGIC) or data[257:262] == b"ustar":
        return _refuse(_ARCHIVE)
    # Markup may start with a byte-order mark, white space or a comment: look a little way in, case-blind.
    text_head = data[:1024].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower().replace(b"\x00", b"")
    if any(hint in text_head for hint in _MARKUP_HINTS):
        return _refuse(_MARKUP)
    return _refuse(_UNSUPPORTED)


def sniff(data: bytes) -> str | None:
    """The allowed content type of ``data`` by its magic bytes, or ``None`` when it is refused."""
    return classify(data).content_type


# ----------------------------------------------------------------------------------------------------
# Names (display only: a stored file's name is always its random key)

_SEPARATORS = re.compile(r"[\\/]")
_EXT_RE = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


def sanitize_filename(name: str) -> str:
    """A safe display name: the last path component, without control/format characters or separators,
    at most 120 characters with the extension kept; ``"upload"`` when nothing usable is left."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = _SEPARATORS.split(name)[-1]
    # Cc: control characters; Cf: invisible format characters such as right-to-left overrides used to disguise
    # an extension; Zl/Zp: line/paragraph separators.
    name = "".join(
        " " if ch.isspace() else ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
    )
    name = " ".join(name.split()).strip(" .")
    if not name:
        return FALLBACK_NAME
    stem, dot, ext = name.rpartition(".")
    extension = f".{ext}" if dot and stem and _EXT_RE.fullmatch(f".{ext}") else ""
    if not extension:
        stem = name
    stem = stem[: MAX_NAME - len(extension)].rstrip(" .")
    if not stem:
        stem = FALLBACK_NAME
    return f"{stem}{extension}"

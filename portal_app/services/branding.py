"""Workspace branding: the display name, logo, accent colour and welcome text customers see in the portal's shell,
the notification mails and the PDFs.

Who sees what: ``get_branding(session, workspace_id)`` is internal: the portal shell passes the contact's own
workspace id (from the server-side session), mails and PDFs the id of the workspace that sends or issues them, so a
contact of workspace A is never shown anything of workspace B's. Owners and managers (``workspace:manage``) change
it; every member reads it. The accent is one of ``portal_app/palette.py``'s colours, each contrast-checked (white on
its solid step, its text step on white and on its soft steps: at least 4.5:1); mails and PDFs print its hex values.

The logo is **public by design**. It is meant for customers and for mails, and a mail client cannot send the
portal's session cookie, so ``GET /files/logo/<key>.png`` answers without a session. What keeps that safe:

- the key is the file's random private-storage key (32 random bytes, 43 url-safe characters), replaced on every
  upload and removal, the old file deleted; the route answers only for a key that is some active workspace's
  *current* ``logo_key`` (anything else, an old key included, is 404), so keys cannot be guessed or walked;
- the file holds nothing but pixels: the upload goes through the intake's checks (size limit, type from the
  content, pixel bounds: ``storage.classify``), is decoded by Pillow with only the sniffed format's decoder, fitted
  into ``LOGO_BOX`` and re-encoded as a fresh PNG (EXIF, ICC, text chunks and any appended payload are gone: a
  polyglot file is refused or comes out as a plain image);
- it is served as ``image/png`` with ``nosniff``, ``Content-Disposition: inline``, a sandboxing CSP and a long,
  immutable cache (the key changes whenever the logo does).
Everything else a workspace stores stays behind the authenticated routes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session, col, select

from models import Workspace, WorkspaceStatus
from portal_app import palette
from portal_app.services import audit, storage
from portal_app.services.access import Actor, ContactActor, StaffActor, lock_workspace, require_staff
from portal_app.services.errors import NotFound, ValidationFailed
from portal_app.services.permissions import Permission
from portal_app.settings import get_settings

log = logging.getLogger("portal.security")

MAX_DISPLAY_NAME = 120
MAX_WELCOME = 500
LOGO_BOX = (400, 120)  # the stored logo fits inside this (width, height), aspect ratio kept
LOGO_MAX_PIXELS = 16_000_000  # tighter than the intake's bound: the whole image is decoded in memory
LOGO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/gif": "GIF"}
LOGO_LABEL = "PNG, JPEG, WebP or GIF"
NOT_AN_IMAGE = f"A logo must be an image: please choose a {LOGO_LABEL} file."
UNREADABLE = f"The image could not be read. Please choose another {LOGO_LABEL} file."


@dataclass(frozen=True)
class Branding:
    """What customers see of a workspace: ``name`` is the display name (or the workspace's name), ``accent`` a
    palette name (``portal_app.palette``), ``logo_key`` the public logo's key ("" without a logo)."""

    name: str
    accent: str
    logo_key: str
    welcome_text: str
    display_name: str = ""  # as saved ("" = the workspace's name is shown)

    @property
    def colors(self) -> palette.Accent:
        """The accent's hex steps (mails and PDFs cannot use the page's CSS variables)."""
        return palette.accent(self.accent)


def customer_name(ws: Workspace) -> str:
    """The name customers know the workspace by: its display name, or its name."""
    return ws.display_name or ws.name


def _branding(ws: Workspace) -> Branding:
    return Branding(
        name=customer_name(ws),
        accent=ws.accent_color if ws.accent_color in palette.ACCENTS else palette.DEFAULT_ACCENT,
        logo_key=ws.logo_key,
        welcome_text=ws.welcome_text,
        display_name=ws.display_name,
    )


def get_branding(session: Session, workspace_id: int) -> Branding:
    """The branding of one workspace, for what that workspace itself shows or sends (internal: the caller passes a
    workspace id from the server side, never from input). ``NotFound`` for a missing workspace."""
    ws = session.get(Workspace, workspace_id)  # the identity map: a second call in one session costs no query
    if ws is None:
        raise NotFound()
    return _branding(ws)


def portal_branding(session: Session, actor: Actor) -> Branding:
    """The branding of the contact's own workspace; ``NotFound`` for anyone but a contact."""
    if not isinstance(actor, ContactActor):
        raise NotFound()
    return get_branding(session, actor.workspace_id)


def staff_branding(session: Session, actor: Actor) -> Branding:
    """The branding of the member's own workspace (every member may read it: ``members:read``)."""
    staff = require_staff(actor, Permission.MEMBERS_READ)
    return get_branding(session, staff.workspace_id)


# -- changing it -------------------------------------------------------------------------------------------------


def _single_line(value: object, *, label: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"Enter the {label} as text.")
    # Control and format characters (line breaks, right-to-left overrides) have no place in a name.
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
    if len(text) > limit:
        raise ValidationFailed(f"Keep the {label} to {limit} characters or fewer.")
    return text


def _paragraphs(value: object, *, label: str, limit: int) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(f"Enter the {label} as text.")
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    clean = "\n".join(
        " ".join("".join(ch if ch.isprintable() else " " for ch in line).split()) for line in lines
    )
    clean = clean.strip()
    while "\n\n\n" in clean:
        clean = clean.replace("\n\n\n", "\n\n")
    if len(clean) > limit:
        raise ValidationFailed(f"Keep the {label} to {limit} characters or fewer.")
    return clean


def clean_accent(value: object) -> str:
    """A palette name from the list, or ``ValidationFailed`` ("" is the default accent)."""
    if value in ("", None):
        return palette.DEFAULT_ACCENT
    if not isinstance(value, str) or value not in palette.ACCENTS:
        raise ValidationFailed("Choose an accent colour from the list.")
    return value


def update_branding(
    session: Session, actor: Actor, *, display_name: str, accent_color: str, welcome_text: str
) -> Branding:
    """Save the display name (at most 120 characters, "" for the workspace's name), the accent colour (one of
    ``palette.ACCENTS``, all contrast-checked) and the welcome text (at most 500 characters, line breaks kept).

    ``workspace:manage`` only (``Forbidden`` otherwise, ``NotFound`` for non-staff); ``ValidationFailed`` with a
    message that says how to fix it. Audited ("workspace.branding_changed", the changed fields) when it changes.
    """
    staff = require_staff(actor, Permission.WORKSPACE_MANAGE)
    name = _single_line(display_name, label="display name", limit=MAX_DISPLAY_NAME)
    accent = clean_accent(accent_color)
    welcome = _paragraphs(welcome_text, label="welcome text", limit=MAX_WELCOME)
    ws = lock_workspace(session, staff.workspace_id)
    before = _branding(ws)
    changed = [
        field
        for field, old, new in (
            ("display_name", before.display_name, name),
            ("accent_color", before.accent, accent),
            ("welcome_text", before.welcome_text, welcome),
        )
        if old != new
    ]
    if changed:
        ws.display_name, ws.accent_color, ws.welcome_text = name, accent, welcome
        session.add(ws)
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="workspace.branding_changed",
            target_type="workspace",
            target_id=ws.id,
            data={"fields": changed, "accent_color": accent},
        )
    session.commit()
    return _branding(ws)


def _decode(data: bytes, content_type: str) -> Image.Image:
    """The first frame, decoded by the sniffed format's decoder only, as RGB or RGBA pixels with no metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[LOGO_TYPES[content_type]]) as img:
                width, height = img.size
                if width * height > LOGO_MAX_PIXELS:
                    raise ValidationFailed(
                        f"The image is too large ({width} × {height} pixels). Please choose a logo of at most "
                        f"{LOGO_MAX_PIXELS // 1_000_000} megapixels."
                    )
                if img.format == "JPEG":  # decode big photos at a smaller scale
                    img.draft("RGB", (LOGO_BOX[0] * 2, LOGO_BOX[1] * 2))
                img.seek(0)  # the first frame of an animation
                img.load()
                upright = ImageOps.exif_transpose(img)
                has_alpha = upright.mode in ("RGBA", "LA", "PA", "P") or "transparency" in upright.info
                if upright.mode == "CMYK":
                    upright = upright.convert("RGB")
                pixels = upright.convert("RGBA" if has_alpha else "RGB")
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        TypeError,
        struct.error,
    ) as exc:
        log.info("logo refused: undecodable image", extra={"error": type(exc).__name__})
        raise ValidationFailed(UNREADABLE) from exc
    # A fresh image from the raw pixels: nothing of the upload's metadata (EXIF, ICC, text chunks) can come along.
    return Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())


def logo_png(data: bytes) -> bytes:
    """The uploaded image as the stored logo: checked like any intake file, then fitted into ``LOGO_BOX`` and
    re-encoded as PNG. ``ValidationFailed`` (a message for the person uploading) for anything else."""
    if not isinstance(data, bytes | bytearray | memoryview) or not data:
        raise ValidationFailed("Choose an image file for the logo.")
    data = bytes(data)
    limit = get_settings().upload_max_bytes
    if len(data) > limit:
        raise ValidationFailed(f"The file is too large: the limit is {limit:,} bytes.")
    sniffed = storage.classify(data)
    if sniffed.content_type is None:
        # The intake's reasons name PDFs as a way out, which a logo is not.
        raise ValidationFailed(
            sniffed.reason if "too large" in sniffed.reason or "damaged" in sniffed.reason else NOT_AN_IMAGE
        )
    if sniffed.content_type not in LOGO_TYPES:
        raise ValidationFailed(NOT_AN_IMAGE)
    image = _decode(data, sniffed.content_type)
    image.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _replace_logo(
    session: Session, staff: StaffActor, new_key: str, *, action_data: dict[str, object]
) -> Branding:
    """Point the workspace at ``new_key`` ("" = no logo) in one audited transaction, then delete the old file.
    A failure before the commit deletes the new file instead."""
    try:
        ws = lock_workspace(session, staff.workspace_id)
        old_key = ws.logo_key
        ws.logo_key = new_key
        session.add(ws)
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="workspace.logo_changed",
            target_type="workspace",
            target_id=ws.id,
            data=action_data,
        )
        session.commit()
    except BaseException:
        session.rollback()
        if new_key:
            storage.delete(new_key)
        raise
    if old_key and old_key != new_key:
        # A key not of the storage format was never written by us: nothing to delete.
        with contextlib.suppress(NotFound):
            storage.delete(old_key)
    return _branding(ws)


def set_logo(session: Session, actor: Actor, data: bytes) -> Branding:
    """Replace the workspace's logo with ``data`` (re-encoded by ``logo_png``) under a new random key; the old
    key stops answering and its file is deleted. ``workspace:manage`` only; ``ValidationFailed`` for a file that
    is not an acceptable image. Audited ("workspace.logo_changed")."""
    staff = require_staff(actor, Permission.WORKSPACE_MANAGE)
    png = logo_png(data)
    width, height = Image.open(io.BytesIO(png)).size
    key = storage.save(png)
    return _replace_logo(
        session,
        staff,
        key,
        action_data={"removed": False, "width": width, "height": height, "bytes": len(png)},
    )


def remove_logo(session: Session, actor: Actor) -> Branding:
    """Remove the logo (its key stops answering, its file is deleted). ``workspace:manage`` only; audited."""
    staff = require_staff(actor, Permission.WORKSPACE_MANAGE)
    ws = session.get(Workspace, staff.workspace_id)
    if ws is None:
        raise NotFound()
    if not ws.logo_key:
        return _branding(ws)
    return _replace_logo(session, staff, "", action_data={"removed": True})


# -- reading the logo --------------------------------------------------------------------------------------------


def logo_bytes(session: Session, key: str) -> bytes | None:
    """The PNG of the logo whose key is ``key``, while it is an active workspace's current logo; ``None`` for
    anything else (a malformed, unknown or replaced key, a suspended workspace, a missing file). Public: the key
    is the only thing asked for, and it is random (see the module's docstring)."""
    if not isinstance(key, str) or not storage.KEY_RE.fullmatch(key):
        return None
    found = session.exec(
        select(Workspace.id).where(
            col(Workspace.logo_key) == key, col(Workspace.status) == WorkspaceStatus.ACTIVE
        )
    ).first()
    if found is None:
        return None
    return _read(key)


def workspace_logo(session: Session, workspace_id: int) -> bytes | None:
    """The logo PNG of one workspace (for its own PDFs; internal like ``get_branding``), ``None`` without one."""
    key = get_branding(session, workspace_id).logo_key
    return _read(key) if key else None


def _read(key: str) -> bytes | None:
    try:
        return storage.open_path(key).read_bytes()
    except (NotFound, OSError):
        log.error("logo file missing from storage")
        return None


__all__ = [
    "LOGO_BOX",
    "MAX_DISPLAY_NAME",
    "MAX_WELCOME",
    "Branding",
    "clean_accent",
    "customer_name",
    "get_branding",
    "logo_bytes",
    "logo_png",
    "portal_branding",
    "remove_logo",
    "set_logo",
    "staff_branding",
    "update_branding",
    "workspace_logo",
]

"""Branding: who may change it, what is accepted, the logo's re-encoding and public key, and that a contact of
workspace A never gets workspace B's name, logo or colour, in the mails or on the PDFs."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader
from sqlmodel import Session, col, select

from components.theme import ACCESSIBLE_STEPS
from models import AuditEvent, OutboxMail, Workspace, WorkspaceStatus
from portal_app import palette, routes
from portal_app.services import branding, documents, invoices, notify, storage
from portal_app.services.errors import Forbidden, NotFound, ValidationFailed
from portal_app.services.lines import LineInput
from tests.factories import make_task, make_tenant, operator

SECRET = b"EXIF-SECRET-7731"


def png(width: int = 800, height: int = 200, color: tuple[int, ...] = (200, 30, 30, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif(width: int = 1600, height: int = 400) -> bytes:
    exif = Image.Exif()
    exif[0x010E] = SECRET.decode()  # ImageDescription
    exif[0x8298] = "Copyright " + SECRET.decode()
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "JPEG", exif=exif.tobytes())
    assert SECRET in out.getvalue()
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels (no real image data)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


@pytest.fixture()
def two(session: Session, storage_dir: Path):
    a, b = make_tenant(session, name="Acme Holdings Ltd"), make_tenant(session, name="Bolt Industries")
    return a, b


def events(session: Session, ws_id: int, action: str) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.workspace_id == ws_id, AuditEvent.action == action)
        ).all()
    )


# -- the palette ---------------------------------------------------------------------------------------------------


def test_every_offered_accent_passes_aa_and_pale_hues_are_not_offered() -> None:
    assert palette.DEFAULT_ACCENT in palette.ACCENTS
    for name, accent in palette.ACCENTS.items():
        assert palette.passes(accent), name
        assert palette.contrast(palette.WHITE, accent.solid) >= 4.5
        assert palette.contrast(accent.text, palette.WHITE) >= 4.5
        assert palette.contrast(accent.text, accent.soft_hover) >= 4.5
    for pale in ("yellow", "amber", "lime", "mint", "sky", "gray"):
        assert pale not in palette.ACCENTS
    assert palette.accent("no-such-colour") is palette.ACCENTS[palette.DEFAULT_ACCENT]
    # White on stock yellow is about 1.3:1: the reason it is left out.
    assert palette.contrast(palette.WHITE, "#ffe629") < 2


def test_the_page_theme_darkens_every_accent_the_palette_darkens() -> None:
    """Mails and PDFs print the palette's hex values; the pages must draw the same ones."""
    for name, accent in palette.ACCENTS.items():
        if accent.darkened:
            assert ACCESSIBLE_STEPS[name] == {9: accent.solid, 10: accent.solid_hover, 11: accent.text}
        else:
            assert name not in ACCESSIBLE_STEPS


# -- reading and changing ------------------------------------------------------------------------------------------


def test_defaults_are_the_workspace_name_the_app_accent_and_no_logo(session: Session, two) -> None:
    a, _ = two
    brand = branding.get_branding(session, a.ws.id)
    assert brand == branding.Branding(name="Acme Holdings Ltd", accent="teal", logo_key="", welcome_text="")
    assert branding.portal_branding(session, a.contact).name == "Acme Holdings Ltd"
    assert branding.staff_branding(session, a.team_lead).accent == "teal"
    with pytest.raises(NotFound):
        branding.get_branding(session, 10**9)
    for not_a_contact in (a.owner, operator()):
        with pytest.raises(NotFound):
            branding.portal_branding(session, not_a_contact)
    with pytest.raises(NotFound):
        branding.staff_branding(session, a.contact)


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_save_branding_audited_and_scoped(session: Session, two, role: str) -> None:
    a, b = two
    saved = branding.update_branding(
        session,
        getattr(a, role),
        display_name="  Acme \t Studio\u202e ",
        accent_color="indigo",
        welcome_text="Welcome!\r\n\r\n\r\n\r\nQuestions? <b>Ask us</b>.  ",
    )
    assert saved.name == "Acme Studio" and saved.display_name == "Acme Studio" and saved.accent == "indigo"
    assert saved.welcome_text == "Welcome!\n\nQuestions? <b>Ask us</b>."  # text as written; never markup
    assert saved.colors.solid == palette.ACCENTS["indigo"].solid
    (event,) = events(session, a.ws.id, "workspace.branding_changed")
    assert event.target_id == a.ws.id and "display_name" in event.data and "indigo" in event.data
    # The same values again change nothing and add no event; the other workspace is untouched.
    branding.update_branding(
        session,
        a.owner,
        display_name="Acme Studio",
        accent_color="indigo",
        welcome_text="Welcome!\n\nQuestions? <b>Ask us</b>.",
    )
    assert len(events(session, a.ws.id, "workspace.branding_changed")) == 1
    assert branding.get_branding(session, b.ws.id).name == "Bolt Industries"
    assert branding.get_branding(session, b.ws.id).accent == "teal"
    # An empty display name is the workspace's name again.
    assert branding.update_branding(
        session, a.owner, display_name="", accent_color="", welcome_text=""
    ) == branding.Branding(name="Acme Holdings Ltd", accent="teal", logo_key="", welcome_text="")


@pytest.mark.parametrize("role", ["team_lead", "finance"])
def test_other_roles_cannot_change_branding_or_the_logo(session: Session, two, role: str) -> None:
    a, _ = two
    actor = getattr(a, role)
    with pytest.raises(Forbidden):
        branding.update_branding(session, actor, display_name="Hijack", accent_color="red", welcome_text="")
    with pytest.raises(Forbidden):
        branding.set_logo(session, actor, png())
    with pytest.raises(Forbidden):
        branding.remove_logo(session, actor)
    session.rollback()
    assert branding.get_branding(session, a.ws.id).name == "Acme Holdings Ltd"


def test_contacts_and_operators_cannot_change_branding(session: Session, two) -> None:
    a, _ = two
    for actor in (a.contact, operator()):
        with pytest.raises(NotFound):
            branding.update_branding(session, actor, display_name="x", accent_color="red", welcome_text="")
        with pytest.raises(NotFound):
            branding.set_logo(session, actor, png())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"display_name": "x" * 121}, "display name to 120"),
        ({"welcome_text": "y" * 501}, "welcome text to 500"),
        ({"accent_color": "yellow"}, "accent colour from the list"),
        ({"accent_color": "#ff0000"}, "accent colour from the list"),
        ({"accent_color": "red;background:url(x)"}, "accent colour from the list"),
        ({"accent_color": ["red"]}, "accent colour from the list"),
        ({"display_name": None}, "display name as text"),
        ({"welcome_text": {"a": 1}}, "welcome text as text"),
    ],
)
def test_bad_branding_input_is_refused_with_a_way_to_fix_it(
    session: Session, two, fields: dict, message: str
) -> None:
    a, _ = two
    values = {"display_name": "Acme", "accent_color": "teal", "welcome_text": "", **fields}
    with pytest.raises(ValidationFailed, match=message):
        branding.update_branding(session, a.owner, **values)
    session.rollback()
    assert events(session, a.ws.id, "workspace.branding_changed") == []


# -- the logo ------------------------------------------------------------------------------------------------------


def test_logo_is_reencoded_fitted_and_stripped_of_metadata(session: Session, two) -> None:
    a, _ = two
    brand = branding.set_logo(session, a.owner, jpeg_with_exif())
    assert storage.KEY_RE.fullmatch(brand.logo_key)
    stored = branding.logo_bytes(session, brand.logo_key)
    assert stored is not None and stored.startswith(b"\x89PNG\r\n\x1a\n")
    assert SECRET not in stored
    img = Image.open(io.BytesIO(stored))
    assert img.format == "PNG" and img.size == (400, 100)  # 1600x400 fitted into 400x120, aspect kept
    assert "exif" not in img.info and not img.getexif() and "icc_profile" not in img.info
    (event,) = events(session, a.ws.id, "workspace.logo_changed")
    assert '"removed":false' in event.data and SECRET.decode() not in event.data
    # Tall images fit the height instead; small ones are not enlarged.
    tall = branding.set_logo(session, a.owner, png(100, 600))
    assert Image.open(io.BytesIO(branding.logo_bytes(session, tall.logo_key) or b"")).size == (20, 120)
    small = branding.set_logo(session, a.owner, png(40, 20))
    assert Image.open(io.BytesIO(branding.logo_bytes(session, small.logo_key) or b"")).size == (40, 20)


def test_a_polyglot_keeps_nothing_but_its_pixels(session: Session, two) -> None:
    a, _ = two
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGB", (60, 30), (1, 2, 3)).save(out, "PNG", pnginfo=info)
    polyglot = out.getvalue() + b"<html><body><script>alert(document.cookie)</script></body></html>"
    polyglot += b"PK\x03\x04" + b"\x00" * 40  # a zip tacked on the end
    brand = branding.set_logo(session, a.owner, polyglot)
    stored = branding.logo_bytes(session, brand.logo_key) or b""
    assert b"script" not in stored and b"html" not in stored and b"PK\x03\x04" not in stored
    assert Image.open(io.BytesIO(stored)).info == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "must be an image"),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "must be an image"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "must be an image"),
        (b"PK\x03\x04" + b"\x00" * 100, "must be an image"),
        (b"just some text", "must be an image"),
        (b"", "Choose an image file"),
        (b"GIF89a\x10\x00\x10\x00" + b"\x00" * 20, "damaged"),  # no frame: refused by storage.classify
        (  # a well-formed GIF whose image data Pillow cannot decode (LZW code size 12)
            b"GIF89a\x10\x00\x10\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
            b"\x2c\x00\x00\x00\x00\x10\x00\x10\x00\x00\x0c\x02\xff\xff\x00\x3b",
            "could not be read",
        ),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "damaged"),
    ],
)
def test_files_that_are_not_acceptable_images_are_refused(
    session: Session, two, data: bytes, message: str
) -> None:
    a, _ = two
    before = {p for p in Path(storage._root()).rglob("*") if p.is_file()}
    with pytest.raises(ValidationFailed, match=message):
        branding.set_logo(session, a.owner, data)
    session.rollback()
    assert {p for p in Path(storage._root()).rglob("*") if p.is_file()} == before
    assert branding.get_branding(session, a.ws.id).logo_key == ""


def test_huge_pixel_images_are_refused_before_decoding(session: Session, two) -> None:
    a, _ = two
    with pytest.raises(ValidationFailed, match="too large"):
        branding.logo_png(png_header_only(5000, 5000))  # 25 MP: past the logo's bound
    with pytest.raises(ValidationFailed, match="too large"):
        branding.logo_png(png_header_only(30000, 30000))  # past the intake's bound


def test_first_frame_of_an_animation_and_other_types(session: Session, two) -> None:
    frames = [Image.new("P", (30, 30), i) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    gif = branding.logo_png(out.getvalue())
    assert Image.open(io.BytesIO(gif)).size == (30, 30)
    webp = io.BytesIO()
    Image.new("RGB", (500, 100), (0, 200, 0)).save(webp, "WEBP")
    assert Image.open(io.BytesIO(branding.logo_png(webp.getvalue()))).size == (400, 80)
    cmyk = io.BytesIO()
    Image.new("CMYK", (20, 20)).save(cmyk, "JPEG")
    assert Image.open(io.BytesIO(branding.logo_png(cmyk.getvalue()))).mode == "RGB"


def test_a_new_logo_gets_a_new_key_and_the_old_one_stops_answering(session: Session, two) -> None:
    a, b = two
    first = branding.set_logo(session, a.owner, png())
    old_path = storage.open_path(first.logo_key)
    second = branding.set_logo(session, a.manager, png(color=(0, 0, 0, 255)))
    assert second.logo_key != first.logo_key
    assert branding.logo_bytes(session, first.logo_key) is None and not old_path.exists()
    assert branding.logo_bytes(session, second.logo_key) is not None
    # Unknown, malformed and other workspaces' keys: nothing.
    for key in ("", "x" * 43, "../../etc/passwd", first.logo_key.upper(), None):
        assert branding.logo_bytes(session, key) is None  # type: ignore[arg-type]
    assert branding.get_branding(session, b.ws.id).logo_key == ""
    # Removing it: the key stops answering and the file goes.
    path = storage.open_path(second.logo_key)
    removed = branding.remove_logo(session, a.owner)
    assert removed.logo_key == "" and branding.logo_bytes(session, second.logo_key) is None
    assert not path.exists()
    assert [e.data for e in events(session, a.ws.id, "workspace.logo_changed")][-1] == '{"removed":true}'
    assert branding.remove_logo(session, a.owner).logo_key == ""  # nothing left to remove: no error
    assert len(events(session, a.ws.id, "workspace.logo_changed")) == 3


def test_a_suspended_workspace_logo_is_not_served(session: Session, two) -> None:
    a, _ = two
    key = branding.set_logo(session, a.owner, png()).logo_key
    ws = session.get(Workspace, a.ws.id)
    assert ws is not None
    ws.status = WorkspaceStatus.SUSPENDED
    session.add(ws)
    session.commit()
    assert branding.logo_bytes(session, key) is None
    assert branding.workspace_logo(session, a.ws.id) is not None  # its own PDFs still have it


# -- mails and PDFs: each workspace's own branding only --------------------------------------------------------------


def _brand_a(session: Session, a) -> branding.Branding:
    branding.update_branding(
        session, a.owner, display_name='Acme "Studio" <b>', accent_color="crimson", welcome_text="Hi"
    )
    return branding.set_logo(session, a.owner, png())


def _mail_to(session: Session, ws_id: int) -> OutboxMail:
    rows = session.exec(
        select(OutboxMail).where(OutboxMail.workspace_id == ws_id).order_by(col(OutboxMail.id).desc())
    ).all()
    return rows[0]


def test_contact_mails_carry_their_own_workspace_branding_only(session: Session, two) -> None:
    a, b = two
    brand = _brand_a(session, a)
    crimson = palette.ACCENTS["crimson"]
    for t in (a, b):
        notify.record_shared(
            session,
            workspace_id=t.ws.id,
            account_id=t.account.id,
            kind="estimate",
            record_id=7,
            title="Spring",
        )
    session.commit()
    mail_a, mail_b = _mail_to(session, a.ws.id), _mail_to(session, b.ws.id)
    logo_url = routes.logo_url(brand.logo_key)
    assert mail_a.from_name == 'Acme "Studio" <b>'
    assert mail_a.subject.startswith('Acme "Studio" <b> shared an estimate')
    assert 'Acme "Studio" <b> shared an estimate with' in mail_a.body_text
    assert f'<img src="{logo_url}" alt="Acme &quot;Studio&quot; &lt;b&gt;" height="40"' in mail_a.body_html
    assert "<b>" not in mail_a.body_html and crimson.solid in mail_a.body_html
    assert "Acme Holdings Ltd" not in mail_a.body_html + mail_a.body_text
    # Workspace B's mail: its own name, the default look, nothing of A's.
    assert mail_b.from_name == "Bolt Industries" and "Bolt Industries" in mail_b.body_html
    for leak in ("Acme", brand.logo_key, crimson.solid, crimson.text, "<img"):
        assert leak not in mail_b.body_html + mail_b.body_text + mail_b.subject + mail_b.from_name
    assert palette.ACCENTS["teal"].solid in mail_b.body_html


def test_staff_mails_keep_the_workspace_name(session: Session, two) -> None:
    a, _ = two
    _brand_a(session, a)
    made = make_task(session, a.ws, title="Call back")
    notify.task_assigned(session, workspace_id=a.ws.id, task_id=made.id, assignee_user_id=a.team_lead.user_id)
    mail = _mail_to(session, a.ws.id)
    assert mail.from_name == "Acme Holdings Ltd" and "<img" not in mail.body_html


def _pdf(session: Session, t) -> bytes:
    inv = invoices.create_invoice(session, t.finance, t.account.id, lines=[LineInput("Work", 1, 10_000)])
    invoices.issue_invoice(session, t.finance, inv.id)
    _, pdf = documents.invoice_document(session, t.billing_contact, inv.id)
    return pdf


def _pdf_parts(pdf: bytes) -> tuple[str, int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    text = page.extract_text()
    resources = page["/Resources"]
    images = len(resources.get("/XObject", {}) or {})  # type: ignore[union-attr]
    content = page.get_contents().get_data().decode("latin-1")  # type: ignore[union-attr]
    return text, images, content


def _rg(hex_value: str) -> str:
    # How fpdf2 writes a text colour: four decimals, trailing zeros dropped.
    return " ".join(f"{c / 255:.4f}".rstrip("0").rstrip(".") for c in palette.rgb(hex_value)) + " rg"


def test_pdfs_carry_their_own_workspace_branding_only(session: Session, two) -> None:
    a, b = two
    _brand_a(session, a)
    text_a, images_a, content_a = _pdf_parts(_pdf(session, a))
    text_b, images_b, content_b = _pdf_parts(_pdf(session, b))
    crimson, teal = palette.ACCENTS["crimson"], palette.ACCENTS["teal"]
    assert 'Acme "Studio" <b>' in text_a and "Acme Holdings" not in text_a
    assert images_a == 1 and _rg(crimson.text) in content_a
    assert _rg(crimson.solid).replace(" rg", " RG") in content_a  # the rule under the name
    assert "Bolt Industries" in text_b and "Acme" not in text_b
    assert images_b == 0 and _rg(crimson.text) not in content_b and _rg(teal.text) in content_b


def test_invitation_and_sign_in_mails_carry_the_display_name(session: Session) -> None:
    from portal_app.services import portal_access

    t = make_tenant(session)
    other = make_tenant(session)
    ws = session.get(Workspace, t.ws.id)
    assert ws is not None
    ws.display_name = "Acme Design"
    session.add(ws)
    session.flush()
    portal_access.invite_contact(session, t.manager, t.contact.contact_id, t.account.id)
    portal_access.invite_contact(session, other.manager, other.contact.contact_id, other.account.id)
    session.flush()
    mails = session.exec(select(OutboxMail).order_by(col(OutboxMail.id))).all()
    mine = [m for m in mails if m.workspace_id == t.ws.id]
    theirs = [m for m in mails if m.workspace_id == other.ws.id]
    assert mine and all(m.from_name == "Acme Design" and "Acme Design" in m.subject for m in mine)
    assert mine[0].subject == "Acme Design invites you to its customer portal"
    assert theirs and all("Acme" not in m.subject + m.body_text + m.from_name for m in theirs)

    email = session.exec(select(OutboxMail.to_email).where(OutboxMail.id == mine[0].id)).one()
    portal_access.request_magic_link(session, email)
    session.flush()
    link_mail = session.exec(select(OutboxMail).order_by(col(OutboxMail.id).desc())).first()
    assert link_mail is not None and link_mail.from_name == "Acme Design"
    assert "the Acme Design customer portal" in link_mail.body_text

"""Review-only intake: quarantined uploads, one transaction per upload, idempotent retries, reviews."""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, func, select

from models import (
    AuditEvent,
    DocumentRequest,
    DocumentRequestStatus,
    FollowUpTask,
    IdempotencyKey,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    Role,
    TaskStatus,
)
from portal_app.services import audit, idempotency, intake, invoices, storage
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal_app.settings import get_settings
from tests.factories import days, make_tenant, operator

# ----------------------------------------------------------------------------------------------------
# Tiny valid files


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(width: int = 1, height: int = 1, *, pixels: bool = True) -> bytes:
    """A real PNG (one red pixel) or, for huge sizes, only its header: sniffing never decodes pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = _chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) if pixels else b""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + body + _chunk(b"IEND", b"")


def jpeg(width: int = 1, height: int = 1) -> bytes:
    """A baseline greyscale JPEG: one 8×8 block with a zero DC difference and an immediate end of block."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\xff\xdb\x00\x43\x00" + b"\x01" * 64
    sof = b"\xff\xc0\x00\x0b\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00"
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1 for symbol 0
    dht = b"\xff\xc4\x00\x26" + b"\x00" + one_code + b"\x10" + one_code
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app0 + dqt + sof + dht + sos + b"\x3f" + b"\xff\xd9"


def gif(width: int = 1, height: int = 1, *, frame: tuple[int, int, int, int] = (0, 0, 1, 1)) -> bytes:
    """A ``width`` × ``height`` screen with one image at (left, top) of (width, height) ``frame``."""
    return (
        b"GIF89a"
        + struct.pack("<HH", width, height)
        + b"\x80\x00\x00"  # global colour table of 2 entries
        + b"\x00\x00\x00\xff\xff\xff"
        + b"\x2c"
        + struct.pack("<HHHH", *frame)
        + b"\x00"  # image descriptor, no local colour table
        + b"\x02\x02\x44\x01\x00"  # LZW data
        + b"\x3b"
    )


def animated_gif() -> bytes:
    """A real two-frame animated GIF as Pillow writes it: loop and frame-delay extensions, a colour table each."""
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], loop=0, duration=100)
    return out.getvalue()


def webp_vp8x(width: int, height: int) -> bytes:
    payload = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    payload += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload


def webp_lossless(width: int = 1, height: int = 1) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    data = b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 3
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="4"/></svg>'
)


def zipped(name: str = "a.txt", data: bytes = b"x" * 1000) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


# ----------------------------------------------------------------------------------------------------
# Helpers


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


@pytest.fixture()
def two(session: Session, storage_dir: Path):
    a = make_tenant(session)
    b = make_tenant(session)
    session.commit()  # services roll back on refusal: keep the setup out of their transaction
    return a, b


def doc_request(session, t, *, account=None, status=DocumentRequestStatus.OPEN) -> DocumentRequest:
    req = DocumentRequest(
        workspace_id=t.ws.id,
        account_id=(account or t.account).id,
        title="Signed W-9",
        internal_notes="chase by Friday",
        status=status,
    )
    session.add(req)
    session.commit()
    return req


def open_invoice(session, t, *, amount=10_000, account=None):
    inv = invoices.create_invoice(
        session,
        t.finance,
        (account or t.account).id,
        lines=[{"description": "Work", "quantity": 1, "unit_price_minor": amount, "tax_rate_bp": 0}],
    )
    return invoices.issue_invoice(session, t.finance, inv.id, issue_date=days(0))


def send_doc(session, actor, req_id, *, data=PDF, filename="w9.pdf", idem=None):
    return intake.submit_document(
        session,
        actor,
        req_id,
        filename=filename,
        data=data,
        note="here you go",
        idempotency_key=idem or key(),
    )


def send_proof(session, actor, invoice_id, *, amount=4_000, data=PDF, filename="receipt.pdf", idem=None):
    return intake.submit_payment_proof(
        session,
        actor,
        invoice_id,
        filename=filename,
        data=data,
        claimed_amount_minor=amount,
        claimed_paid_on=days(3),
        note="wired on Monday",
        idempotency_key=idem or key(),
    )


def stored_files() -> list[Path]:
    return sorted(p for p in get_settings().storage_dir.rglob("*") if p.is_file())


def count(session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def intake_events(session, ws_id) -> int:
    return count(session, AuditEvent, AuditEvent.workspace_id == ws_id, AuditEvent.action.like("intake.%"))


# ----------------------------------------------------------------------------------------------------
# Uploads: one transaction, nothing else changes


def test_payment_proof_creates_intake_task_and_audit_and_changes_no_balance(session, two):
    t, _ = two
    inv = open_invoice(session, t)
    up = send_proof(session, t.billing_contact, inv.id)
    row = session.get(IntakeFile, up.id)
    assert up.status is IntakeStatus.AWAITING_REVIEW and up.kind is IntakeKind.PAYMENT_PROOF
    assert row.sniffed_type == "application/pdf"
    assert row.sha256 == hashlib.sha256(PDF).hexdigest() and row.size_bytes == len(PDF)
    assert row.claimed_amount_minor == 4_000 and row.claimed_paid_on == days(3)
    assert row.account_id == t.account.id and row.contact_id == t.billing_contact.contact_id
    assert "receipt" not in row.storage_key and storage.KEY_RE.fullmatch(row.storage_key)
    assert storage.open_path(row.storage_key).read_bytes() == PDF
    task = session.exec(
        select(FollowUpTask).where(FollowUpTask.source_type == "intake_file", FollowUpTask.source_id == up.id)
    ).one()
    assert task.trigger == "intake.payment_proof" and task.assignee_role is Role.FINANCE_REVIEWER
    assert task.status is TaskStatus.OPEN and task.workspace_id == t.ws.id
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "intake.payment_proof_submitted", AuditEvent.target_id == up.id
        )
    ).one()
    assert event.actor_kind == "contact" and event.workspace_id == t.ws.id
    assert PDF.decode(errors="ignore")[:20] not in event.data  # never file contents
    # Nothing paid: no payment row, no balance change.
    after = invoices.get_invoice(session, t.finance, inv.id)
    assert after.amount_paid_minor == 0 and after.status is InvoiceStatus.OPEN
    assert count(session, Payment) == 0


def test_document_upload_moves_request_to_submitted(session, two):
    t, _ = two
    req = doc_request(session, t)
    up = send_doc(session, t.contact, req.id, data=png())
    assert up.kind is IntakeKind.DOCUMENT and up.document_request_id == req.id
    session.refresh(req)
    assert req.status is DocumentRequestStatus.SUBMITTED
    row = session.get(IntakeFile, up.id)
    assert row.sniffed_type == "image/png"
    task = session.exec(select(FollowUpTask).where(FollowUpTask.source_id == up.id)).one()
    assert task.trigger == "intake.document" and task.source_type == "intake_file"
    # A second file for an already submitted request is fine.
    send_doc(session, t.contact, req.id, data=jpeg())
    assert count(session, IntakeFile, IntakeFile.document_request_id == req.id) == 2


def test_retry_with_same_key_returns_first_upload_and_creates_nothing(session, two):
    t, _ = two
    req = doc_request(session, t)
    idem = key()
    first = send_doc(session, t.contact, req.id, idem=idem)
    files = stored_files()
    counts = (count(session, IntakeFile), count(session, FollowUpTask), intake_events(session, t.ws.id))
    again = send_doc(session, t.contact, req.id, idem=idem)
    different_data = send_doc(session, t.contact, req.id, idem=idem, data=png())
    assert again == first and different_data.id == first.id
    assert (
        count(session, IntakeFile),
        count(session, FollowUpTask),
        intake_events(session, t.ws.id),
    ) == counts
    assert stored_files() == files
    assert count(session, IdempotencyKey) == 1
    # The same key for another kind of action is refused rather than mixed up.
    inv = open_invoice(session, t)
    with pytest.raises(Conflict):
        send_proof(session, t.contact, inv.id, idem=idem)


def test_failure_mid_transaction_leaves_no_row_and_no_file(session, two, monkeypatch):
    t, _ = two
    req = doc_request(session, t)
    files = stored_files()

    def broken(*_args, **_kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "append_event", broken)
    idem = key()
    with pytest.raises(RuntimeError):
        send_doc(session, t.contact, req.id, idem=idem)
    assert count(session, IntakeFile) == 0
    assert count(session, FollowUpTask) == 0
    assert count(session, IdempotencyKey) == 0
    assert stored_files() == files
    session.refresh(req)
    assert req.status is DocumentRequestStatus.OPEN
    # Once the fault is gone the same key works, exactly once.
    monkeypatch.undo()
    up = send_doc(session, t.contact, req.id, idem=idem)
    assert count(session, IntakeFile) == 1 and len(stored_files()) == len(files) + 1
    assert storage.open_path(session.get(IntakeFile, up.id).storage_key).is_file()


def test_failure_after_commit_keeps_the_file_of_the_committed_row(session, two, monkeypatch):
    t, _ = two
    req = doc_request(session, t)

    def broken_present(_session, _actor):
        def present(_intake_id):
            raise RuntimeError("connection dropped after commit")

        return present

    monkeypatch.setattr(intake, "_present", broken_present)
    with pytest.raises(RuntimeError):
        send_doc(session, t.contact, req.id)
    row = session.exec(select(IntakeFile)).one()
    assert storage.open_path(row.storage_key).read_bytes() == PDF


# ----------------------------------------------------------------------------------------------------
# Content checks


def test_one_byte_over_the_limit_is_refused_and_earlier_uploads_are_intact(session, two, monkeypatch):
    t, _ = two
    req = doc_request(session, t)
    limit = 4096
    monkeypatch.setattr(get_settings(), "upload_max_bytes", limit)
    exact = PDF + b"%" * (limit - len(PDF))
    first = send_doc(session, t.contact, req.id, data=exact)
    files = stored_files()
    with pytest.raises(ValidationFailed, match="too large"):
        send_doc(session, t.contact, req.id, data=exact + b"%")
    assert stored_files() == files
    assert [u.id for u in intake.portal_list_uploads(session, t.contact).items] == [first.id]
    kept = session.get(IntakeFile, first.id)
    assert storage.open_path(kept.storage_key).read_bytes() == exact and kept.size_bytes == limit


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (HTML, "invoice.pdf", "Web pages"),
        (b"\n  \xef\xbb\xbf<html><body>hi</body></html>", "scan.png", "Web pages"),
        (SVG, "logo.svg", "SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.png", "SVG"),
        (zipped(), "archive.pdf", "Archives"),
        (zipped("[Content_Types].xml", b"<Types/>"), "report.docx", "Archives"),
        (zlib.compress(b"\x00" * 100_000), "bomb.pdf", "not accepted"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "bomb.gz", "Archives"),
        (b"just some text\n", "notes.txt", "not accepted"),
        (b"MZ\x90\x00" + b"\x00" * 60, "setup.pdf", "not accepted"),
        (b"", "empty.pdf", "empty"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "IMG_0001.HEIC", "HEIC photos"),
    ],
)
def test_refused_content(session, two, data, filename, message):
    t, _ = two
    req = doc_request(session, t)
    files = stored_files()
    with pytest.raises(ValidationFailed, match=message):
        send_doc(session, t.contact, req.id, data=data, filename=filename)
    assert stored_files() == files and count(session, IntakeFile) == 0


def test_huge_pixel_png_refused(session, two):
    t, _ = two
    req = doc_request(session, t)
    with pytest.raises(ValidationFailed, match="too large"):
        send_doc(session, t.contact, req.id, data=png(10_000, 10_000, pixels=False), filename="big.png")
    assert count(session, IntakeFile) == 0


def test_sniff_allow_list_and_pixel_limits():
    assert storage.sniff(PDF) == "application/pdf"
    assert storage.sniff(png()) == "image/png"
    assert storage.sniff(jpeg()) == "image/jpeg"
    assert storage.sniff(gif()) == "image/gif"
    assert storage.sniff(webp_lossless()) == "image/webp"
    assert storage.sniff(webp_vp8x(100, 100)) == "image/webp"
    assert storage.sniff(png(6000, 6000, pixels=False)) == "image/png"  # 36 MP: allowed
    for huge in (
        png(7000, 7000, pixels=False),
        jpeg(65_000, 65_000),
        gif(65_535, 65_535),
        webp_vp8x(100_000, 100_000),
        webp_lossless(16_384, 16_384),
    ):
        assert storage.sniff(huge) is None
        assert "too large" in storage.classify(huge).reason
    for refused in (
        HTML,
        SVG,
        zipped(),
        b"GIF89a",
        png()[:20],
        b"\xff\xd8\xff\xd9",
        b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    ):
        assert storage.sniff(refused) is None


def test_an_animated_gif_is_accepted_after_walking_every_frame():
    data = animated_gif()
    assert Image.open(io.BytesIO(data)).n_frames == 2
    assert storage.classify(data) == storage.Sniffed("image/gif")
    assert storage.sniff(gif(2, 2, frame=(1, 1, 1, 1))) == "image/gif"


@pytest.mark.parametrize(
    ("screen", "frame", "size"),
    [
        ((1, 1), (0, 0, 65_535, 65_535), "65535 × 65535"),  # a tiny screen, one huge frame
        ((1, 1), (60_000, 60_000, 1, 1), "60001 × 60001"),  # a 1×1 frame far off screen: the canvas grows
        ((1, 40_000), (0, 0, 40_000, 1), "40000 × 40000"),  # each within the limit, their union not
    ],
)
def test_a_gif_frame_over_the_pixel_limit_is_refused(screen, frame, size):
    sniffed = storage.classify(gif(*screen, frame=frame))
    assert sniffed.content_type is None
    assert (
        sniffed.reason
        == f"The image is too large ({size} pixels). Please send an image of at most 40 megapixels."
    )


@pytest.mark.parametrize(
    "data",
    [
        animated_gif()[:-1],  # no trailer
        animated_gif()[:-20],  # cut inside the last frame's data
        animated_gif()[:30],  # cut inside the colour table
        gif()[:-1].replace(b"\x44\x01\x00", b"\x44\x01"),  # sub-blocks never ended
        gif()[:-1] + b"\x00\x3b",  # an unknown block
        gif()[:19] + b"\x3b",  # a trailer without any frame
    ],
    ids=[
        "no-trailer",
        "cut-in-frame",
        "cut-in-colour-table",
        "unended-sub-blocks",
        "unknown-block",
        "no-frame",
    ],
)
def test_a_damaged_gif_is_refused(data):
    assert storage.classify(data) == storage.Sniffed(
        None, "The GIF image is damaged. Please send another file."
    )


def test_a_gif_of_over_10000_frames_is_refused():
    frame = b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00\x02\x00"
    data = gif()[:-1] + frame * storage.GIF_MAX_FRAMES + b"\x3b"
    assert storage.sniff(data) is None and "too large (over 10,000 frames)" in storage.classify(data).reason
    assert storage.sniff(gif()[:-1] + frame * (storage.GIF_MAX_FRAMES - 1) + b"\x3b") == "image/gif"


# ----------------------------------------------------------------------------------------------------
# Names and storage keys


def test_dangerous_names_are_sanitised_for_display_only(session, two):
    t, _ = two
    req = doc_request(session, t)
    up = send_doc(session, t.contact, req.id, data=png(), filename="../../etc/passwd")
    assert up.original_name == "passwd"
    long = send_doc(session, t.contact, req.id, filename="a" * 296 + ".pdf")
    assert len(long.original_name) == 120 and long.original_name.endswith(".pdf")
    for row in session.exec(select(IntakeFile)).all():
        path = storage.open_path(row.storage_key)
        assert path.resolve().is_relative_to(get_settings().storage_dir.resolve())
        assert path.name == row.storage_key


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\me\\Desktop\\receipt.pdf", "receipt.pdf"),
        ("in\x00voice\x1b.pdf", "invoice.pdf"),
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("  spaced   out  .pdf ", "spaced out.pdf"),
        ("", "upload"),
        ("..", "upload"),
        ("/", "upload"),
        (".hidden", "hidden"),
        ("no_extension", "no_extension"),
    ],
)
def test_sanitize_filename(raw, clean):
    assert storage.sanitize_filename(raw) == clean


def test_sanitize_long_names_keep_extension():
    name = storage.sanitize_filename("x" * 300 + ".jpeg")
    assert len(name) == 120 and name.endswith(".jpeg")
    assert len(storage.sanitize_filename("y" * 300)) == 120


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "", "a" * 42, "a" * 44, "a" * 40 + "/..", "." * 43, "A" * 42 + "\n"]
)
def test_open_path_refuses_keys_not_generated_here(storage_dir, bad):
    with pytest.raises(NotFound):
        storage.open_path(bad)


def test_storage_round_trip(storage_dir):
    k = storage.save(b"%PDF-1.4 hello")
    assert storage.KEY_RE.fullmatch(k)
    path = storage.open_path(k)
    assert path.read_bytes() == b"%PDF-1.4 hello" and (path.stat().st_mode & 0o077) == 0
    storage.delete(k)
    with pytest.raises(NotFound):
        storage.open_path(k)
    storage.delete(k)  # missing is fine


# ----------------------------------------------------------------------------------------------------
# Quota and scoping of uploads


def test_account_quota(session, two, monkeypatch):
    t, _ = two
    req = doc_request(session, t)
    other_req = doc_request(session, t, account=t.other_account)
    monkeypatch.setattr(get_settings(), "account_quota_bytes", 2 * len(PDF) + 10)
    send_doc(session, t.contact, req.id)
    send_doc(session, t.contact, req.id)
    files = stored_files()
    with pytest.raises(ValidationFailed, match="storage allowance"):
        send_doc(session, t.contact, req.id)
    assert stored_files() == files and count(session, IntakeFile) == 2
    send_doc(session, t.other_contact, other_req.id)  # another account has its own allowance


def test_upload_scoping_and_states(session, two):
    a, b = two
    req = doc_request(session, a)
    other_req = doc_request(session, a, account=a.other_account)
    foreign_req = doc_request(session, b)
    closed = doc_request(session, a, status=DocumentRequestStatus.FULFILLED)
    for actor, req_id in (
        (a.billing_contact, req.id),  # no documents permission
        (a.contact, other_req.id),
        (a.contact, foreign_req.id),
        (a.owner, req.id),  # staff do not upload as customers
        (operator(), req.id),
    ):
        with pytest.raises(NotFound):
            send_doc(session, actor, req_id)
    with pytest.raises(Conflict, match="closed"):
        send_doc(session, a.contact, closed.id)
    draft = invoices.create_invoice(
        session, a.finance, a.account.id, lines=[{"description": "x", "quantity": 1, "unit_price_minor": 500}]
    )
    paid = open_invoice(session, a, amount=700)
    invoices.record_payment(
        session, a.finance, paid.id, amount_minor=700, currency="USD", received_on=days(1)
    )
    foreign_inv = open_invoice(session, b)
    for actor, invoice_id in ((a.billing_contact, draft.id), (a.billing_contact, foreign_inv.id)):
        with pytest.raises(NotFound):
            send_proof(session, actor, invoice_id)
    with pytest.raises(Conflict, match="already paid"):
        send_proof(session, a.billing_contact, paid.id)
    inv = open_invoice(session, a)
    for bad in (0, -1, 10_001):
        with pytest.raises(ValidationFailed):
            send_proof(session, a.billing_contact, inv.id, amount=bad)
    assert count(session, IntakeFile) == 0


def test_portal_lists_only_what_the_contact_may_see(session, two):
    a, b = two
    req = doc_request(session, a)
    doc = send_doc(session, a.contact, req.id)
    inv = open_invoice(session, a)
    proof = send_proof(session, a.billing_contact, inv.id)
    b_req = doc_request(session, b)
    send_doc(session, b.contact, b_req.id)
    assert {u.id for u in intake.portal_list_uploads(session, a.contact).items} == {doc.id, proof.id}
    assert [u.id for u in intake.portal_list_uploads(session, a.billing_contact).items] == [proof.id]
    assert intake.portal_list_uploads(session, a.other_contact).total == 0
    with pytest.raises(NotFound):
        intake.portal_list_uploads(session, a.owner)
    dumped = intake.portal_list_uploads(session, a.contact).items[0].model_dump()
    assert "sha256" not in dumped and "storage_key" not in dumped and "reviewer_user_id" not in dumped


def test_open_intake_file_is_scoped(session, two):
    a, b = two
    req = doc_request(session, a)
    doc = send_doc(session, a.contact, req.id, filename="../w9 final.pdf")
    path, sniffed, name = intake.open_intake_file(session, a.team_lead, doc.id)
    assert path.read_bytes() == PDF and sniffed == "application/pdf" and name == "w9 final.pdf"
    assert intake.open_intake_file(session, a.contact, doc.id)[0] == path
    for actor in (b.owner, a.other_contact, a.billing_contact, operator()):
        with pytest.raises(NotFound):
            intake.open_intake_file(session, actor, doc.id)


# ----------------------------------------------------------------------------------------------------
# Review


def test_the_contacts_reference_becomes_the_payments_reference(session, two):
    t, _ = two
    inv = open_invoice(session, t)
    up = intake.submit_payment_proof(
        session,
        t.billing_contact,
        inv.id,
        filename="slip.pdf",
        data=PDF,
        claimed_amount_minor=1_000,
        reference="  Wire   TRX-9  ",
        idempotency_key=key(),
    )
    assert session.get(IntakeFile, up.id).claimed_reference == "Wire TRX-9"
    assert intake.portal_list_uploads(session, t.billing_contact).items[0].claimed_reference == "Wire TRX-9"
    with pytest.raises(ValidationFailed, match="reference"):
        intake.submit_payment_proof(
            session,
            t.billing_contact,
            inv.id,
            filename="slip.pdf",
            data=PDF,
            claimed_amount_minor=1_000,
            reference="x" * 201,
            idempotency_key=key(),
        )
    intake.review_intake(session, t.finance, up.id, accept=True)
    payment = session.exec(select(Payment).where(Payment.intake_file_id == up.id)).one()
    assert payment.reference == "Wire TRX-9"


@pytest.mark.parametrize("role", ["team_lead"])
def test_team_lead_cannot_review(session, two, role):
    t, _ = two
    inv = open_invoice(session, t)
    up = send_proof(session, t.billing_contact, inv.id)
    with pytest.raises(Forbidden):
        intake.review_intake(session, getattr(t, role), up.id, accept=True, reason="")
    assert session.get(IntakeFile, up.id).status is IntakeStatus.AWAITING_REVIEW
    assert count(session, Payment) == 0


def test_review_refused_for_contacts_and_other_workspaces(session, two):
    a, b = two
    inv = open_invoice(session, a)
    up = send_proof(session, a.billing_contact, inv.id)
    for actor in (a.contact, b.finance, b.owner, operator()):
        with pytest.raises(NotFound):
            intake.review_intake(session, actor, up.id, accept=True, reason="")
    assert count(session, Payment) == 0


@pytest.mark.parametrize("role", ["finance", "manager", "owner"])
def test_accepting_payment_proof_records_the_payment(session, two, role):
    t, _ = two
    reviewer = getattr(t, role)
    inv = open_invoice(session, t)
    up = send_proof(session, t.billing_contact, inv.id, amount=4_000)
    out = intake.review_intake(session, reviewer, up.id, accept=True, reason="matches bank statement")
    assert out.status is IntakeStatus.ACCEPTED
    assert out.reviewer_user_id == reviewer.user_id and out.reviewed_at is not None
    assert out.review_reason == "matches bank statement"
    payment = session.exec(select(Payment).where(Payment.intake_file_id == up.id)).one()
    assert payment.amount_minor == 4_000 and payment.received_on == days(3) and payment.invoice_id == inv.id
    after = invoices.get_invoice(session, t.finance, inv.id)
    assert after.status is InvoiceStatus.PARTIALLY_PAID and after.amount_paid_minor == 4_000
    task = session.exec(select(FollowUpTask).where(FollowUpTask.source_id == up.id)).one()
    assert task.status is TaskStatus.DONE and task.completed_by_user_id == reviewer.user_id
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.workspace_id == t.ws.id))]
    assert "intake.accepted" in actions and "invoice.payment_recorded" in actions
    # The contact sees the decision on their upload and the payment.
    assert intake.portal_list_uploads(session, t.billing_contact).items[0].status is IntakeStatus.ACCEPTED
    assert invoices.portal_list_payments(session, t.billing_contact).total == 1


def test_accept_with_reviewed_amount_can_settle_the_invoice(session, two):
    t, _ = two
    inv = open_invoice(session, t)
    up = send_proof(session, t.billing_contact, inv.id, amount=4_000)
    intake.review_intake(
        session, t.finance, up.id, accept=True, reason="", amount_minor=10_000, received_on=days(4)
    )
    after = invoices.get_invoice(session, t.finance, inv.id)
    assert after.status is InvoiceStatus.PAID and after.balance_minor == 0


def test_accept_cannot_exceed_the_balance(session, two):
    t, _ = two
    inv = open_invoice(session, t)
    first = send_proof(session, t.billing_contact, inv.id, amount=8_000)
    second = send_proof(session, t.billing_contact, inv.id, amount=8_000)
    intake.review_intake(session, t.finance, first.id, accept=True, reason="")
    with pytest.raises(ValidationFailed, match="balance"):
        intake.review_intake(session, t.finance, second.id, accept=True, reason="")
    session.rollback()
    assert session.get(IntakeFile, second.id).status is IntakeStatus.AWAITING_REVIEW
    assert invoices.get_invoice(session, t.finance, inv.id).amount_paid_minor == 8_000
    # The reviewer can accept the part that is due instead.
    intake.review_intake(session, t.finance, second.id, accept=True, reason="part", amount_minor=2_000)
    assert invoices.get_invoice(session, t.finance, inv.id).status is InvoiceStatus.PAID


def test_reject_needs_a_reason_and_changes_no_balance(session, two):
    t, _ = two
    inv = open_invoice(session, t)
    up = send_proof(session, t.billing_contact, inv.id)
    with pytest.raises(ValidationFailed, match="reason"):
        intake.review_intake(session, t.finance, up.id, accept=False, reason="  ")
    out = intake.review_intake(session, t.finance, up.id, accept=False, reason="Amount not on our statement")
    assert out.status is IntakeStatus.REJECTED and out.review_reason == "Amount not on our statement"
    assert count(session, Payment) == 0
    assert invoices.get_invoice(session, t.finance, inv.id).status is InvoiceStatus.OPEN
    upload = intake.portal_list_uploads(session, t.billing_contact).items[0]
    assert upload.review_reason == "Amount not on our statement"


def test_double_review_refused(session, two):
    t, _ = two
    inv = open_invoice(session, t)
    accepted = send_proof(session, t.billing_contact, inv.id, amount=1_000)
    intake.review_intake(session, t.finance, accepted.id, accept=True, reason="")
    with pytest.raises(Conflict, match="already accepted"):
        intake.review_intake(session, t.owner, accepted.id, accept=True, reason="")
    with pytest.raises(Conflict):
        intake.review_intake(session, t.owner, accepted.id, accept=False, reason="oops")
    rejected = send_proof(session, t.billing_contact, inv.id, amount=1_000)
    intake.review_intake(session, t.finance, rejected.id, accept=False, reason="blurry")
    with pytest.raises(Conflict, match="already rejected"):
        intake.review_intake(session, t.finance, rejected.id, accept=True, reason="")
    assert count(session, Payment) == 1
    assert invoices.get_invoice(session, t.finance, inv.id).amount_paid_minor == 1_000


def test_document_review_moves_the_request(session, two):
    t, _ = two
    req = doc_request(session, t)
    one = send_doc(session, t.contact, req.id)
    two_ = send_doc(session, t.contact, req.id, data=png())
    intake.review_intake(session, t.finance, one.id, accept=False, reason="unsigned")
    session.refresh(req)
    assert req.status is DocumentRequestStatus.SUBMITTED  # another file still awaits review
    intake.review_intake(session, t.finance, two_.id, accept=False, reason="wrong form")
    session.refresh(req)
    assert req.status is DocumentRequestStatus.OPEN
    three = send_doc(session, t.contact, req.id)
    session.refresh(req)
    assert req.status is DocumentRequestStatus.SUBMITTED
    intake.review_intake(session, t.manager, three.id, accept=True, reason="")
    session.refresh(req)
    assert req.status is DocumentRequestStatus.FULFILLED
    with pytest.raises(Conflict, match="closed"):
        send_doc(session, t.contact, req.id)
    assert count(session, Payment) == 0
    tasks = session.exec(select(FollowUpTask).where(FollowUpTask.source_type == "intake_file")).all()
    assert {task.status for task in tasks} == {TaskStatus.DONE}


def test_list_intake_for_staff(session, two):
    a, b = two
    req = doc_request(session, a)
    first = send_doc(session, a.contact, req.id)
    second = send_doc(session, a.contact, req.id)
    b_req = doc_request(session, b)
    send_doc(session, b.contact, b_req.id)
    intake.review_intake(session, a.finance, first.id, accept=False, reason="no")
    page = intake.list_intake(session, a.team_lead)
    assert {i.id for i in page.items} == {first.id, second.id}
    waiting = intake.list_intake(session, a.owner, status=IntakeStatus.AWAITING_REVIEW)
    assert [i.id for i in waiting.items] == [second.id]
    assert intake.get_intake(session, a.team_lead, first.id).review_reason == "no"
    with pytest.raises(NotFound):
        intake.get_intake(session, b.owner, first.id)
    with pytest.raises(NotFound):
        intake.list_intake(session, a.contact)


def test_a_key_reused_on_another_document_request_is_refused_and_stores_nothing(session, two):
    t, _ = two
    first, second = doc_request(session, t), doc_request(session, t)
    idem = key()
    upload = send_doc(session, t.contact, first.id, idem=idem)
    files = stored_files()
    counts = (count(session, IntakeFile), count(session, FollowUpTask), intake_events(session, t.ws.id))
    with pytest.raises(Conflict) as info:
        send_doc(session, t.contact, second.id, idem=idem)
    assert info.value.message == idempotency.OTHER_RECORD
    session.refresh(second)
    assert second.status is DocumentRequestStatus.OPEN  # not marked submitted by someone else's upload
    assert count(session, IntakeFile, IntakeFile.document_request_id == second.id) == 0
    assert (
        count(session, IntakeFile),
        count(session, FollowUpTask),
        intake_events(session, t.ws.id),
    ) == counts
    assert stored_files() == files
    # Same key, same request: the first upload, as before.
    assert send_doc(session, t.contact, first.id, idem=idem) == upload


def test_a_key_reused_on_another_invoice_is_refused(session, two):
    t, _ = two
    first, second = open_invoice(session, t), open_invoice(session, t)
    idem = key()
    proof = send_proof(session, t.billing_contact, first.id, idem=idem)
    with pytest.raises(Conflict) as info:
        send_proof(session, t.billing_contact, second.id, idem=idem)
    assert info.value.message == idempotency.OTHER_RECORD
    assert count(session, IntakeFile, IntakeFile.invoice_id == second.id) == 0
    assert send_proof(session, t.billing_contact, first.id, idem=idem) == proof


# Concurrency: two reviewers deciding one proof at once record one payment (run on PostgreSQL in CI's second pass)


def test_two_reviewers_accepting_one_proof_at_once_record_one_payment(committed_engine, storage_dir):
    import threading

    with Session(committed_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        s.commit()
        inv = open_invoice(s, t)
        up = send_proof(s, t.billing_contact, inv.id, amount=4_000)
    reviewers = [t.finance, t.manager, t.owner, t.finance]
    results: list[str] = []
    barrier = threading.Barrier(len(reviewers))

    def worker(reviewer) -> None:
        with Session(committed_engine, expire_on_commit=False) as s:
            barrier.wait()
            try:
                intake.review_intake(s, reviewer, up.id, accept=True)
                results.append("accepted")
            except Conflict:
                s.rollback()
                results.append("refused")

    threads = [threading.Thread(target=worker, args=(r,)) for r in reviewers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["accepted", "refused", "refused", "refused"]
    with Session(committed_engine) as s:
        assert (
            s.exec(select(func.count()).select_from(Payment).where(Payment.intake_file_id == up.id)).one()
            == 1
        )
        row = s.get(Invoice, inv.id)
        assert row.amount_paid_minor == 4_000 and row.status is InvoiceStatus.PARTIALLY_PAID
        accepted = s.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "intake.accepted")
        ).one()
        assert accepted == 1
        task = s.exec(select(FollowUpTask).where(FollowUpTask.source_id == up.id)).one()
        assert task.status is TaskStatus.DONE

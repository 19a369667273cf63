"""The money loop end to end, staff and contact in one run of real Chromium.

Max Manager drafts and issues an invoice for Contoso Retail; Bob (billing contact) opens it on his phone, downloads
the PDF, sends payment proof (the progress bar moves) and reads "Under review" — the balance does not move; the
reviewer rejects it with a reason; Bob reads the reason and sends a new proof; the reviewer accepts it with the
amount corrected; the balance and the statement change once. A file over the limit and an HTML page renamed .pdf
are refused with a clear message and leave the earlier proofs as they were.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.a11y import A11ySweep, expect_accessible
from tests.e2e.conftest import DESKTOP, PHONE, shot
from tests.e2e.test_portal_decisions import both_widths, sign_in_contact
from tests.e2e.test_staff_estimates import sign_in_to

NewPage = Callable[..., Page]
INVOICE_URL = re.compile(r".*/app/invoices/\d+/?$")
REJECT_REASON = "The transfer slip is cut off: we cannot see the amount."
LIMIT = 10 * 1024 * 1024  # the app's default upload limit


def proof_pdf(tmp_path: Path, name: str, text: str) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    path = tmp_path / name
    path.write_bytes(bytes(pdf.output()))
    return path


def watch_progress(page: Page) -> None:
    """Record every value the upload's progress bar shows (the script sets aria-valuetext as it sends)."""
    page.evaluate(
        """() => {
            window.__progress = [];
            const bar = document.getElementById('proof-progress');
            new MutationObserver(() => {
                const text = bar.getAttribute('aria-valuetext');
                if (text) window.__progress.push(text);
            }).observe(bar, {attributes: true});
        }"""
    )


def send_proof(page: Page, amount: str, reference: str, file: Path | dict[str, object]) -> None:
    page.get_by_label("Amount paid").fill(amount)
    page.get_by_label("Payment date").fill(datetime.now(UTC).date().isoformat())
    page.get_by_label("Payment reference").fill(reference)
    page.get_by_label("Proof of payment").set_input_files(file)  # type: ignore[arg-type]
    page.get_by_role("button", name="Send payment proof").click()


def open_review(staff: Page, number: str) -> None:
    staff.goto("/app/review")
    row = staff.get_by_role("row").filter(has_text=number)
    row.get_by_role("button", name=re.compile("^Review ")).click()
    expect(staff.get_by_role("dialog")).to_be_visible()


def test_invoice_paid_through_reviewed_proof(new_page: NewPage, tmp_path: Path) -> None:
    # 1. Max Manager drafts and issues the invoice.
    staff = new_page()
    sign_in_to(staff, "/app/invoices/new", "Max Manager")
    staff.get_by_label("Account").click()
    staff.get_by_role("option", name="Contoso Retail").click()
    line = staff.get_by_role("group", name="Line 1")
    line.get_by_label("Description").fill("Shop fitting, phase 1")
    line.get_by_label("Quantity").fill("2")
    line.get_by_label("Unit price").fill("1,200.00")
    line.get_by_label("Tax rate (%)").fill("10")
    line.get_by_label("Tax rate (%)").blur()
    staff.get_by_role("button", name="Create draft").click()
    staff.wait_for_url(INVOICE_URL)
    invoice_id = staff.url.rstrip("/").rsplit("/", 1)[-1]
    expect(staff.get_by_role("main")).to_contain_text(re.compile(r"INV-\d+"))
    number_match = re.search(r"INV-\d+", staff.get_by_role("main").inner_text())
    assert number_match, "the invoice page shows its number"
    number = number_match.group(0)
    staff.get_by_role("button", name="Issue invoice").click()
    staff.get_by_role("alertdialog").get_by_role("button", name=f"Issue {number}").click()
    expect(staff.get_by_text(re.compile(f"{number} issued, due"))).to_be_visible()
    expect(staff.get_by_role("main")).to_contain_text("2,640.00")
    shot(staff, "billing-staff-invoice-issued-1280")
    expect_accessible(staff, "billing-staff-invoice-issued-1280")

    # 2. Bob opens it on his phone, takes the PDF and sends payment proof.
    bob = new_page(PHONE)
    sign_in_contact(bob, "bob@contoso.example")
    bob.goto("/portal/invoices")
    expect(bob.get_by_role("main")).to_contain_text(number)
    bob.get_by_role("main").get_by_role("link", name=re.compile(number)).first.click()
    bob.wait_for_url(re.compile(rf".*/portal/invoices/{invoice_id}/?$"))
    with bob.expect_download() as download:
        bob.get_by_role("link", name="Download PDF").click()
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages
    )
    assert number in text and "2,640.00" in text and "Shop fitting, phase 1" in text

    watch_progress(bob)
    send_proof(bob, "2,640.00", "TRX-1001", proof_pdf(tmp_path, "transfer.pdf", "Transfer 2,640.00"))
    expect(bob.get_by_text(re.compile("Payment proof sent."))).to_be_visible()
    proofs = bob.locator("#payment-proof")
    expect(proofs).to_contain_text("Under review")
    expect(proofs).to_contain_text("transfer.pdf")
    assert bob.evaluate("window.__progress.length") > 0, "the progress bar showed how much was sent"
    expect(bob.get_by_role("main")).to_contain_text("2,640.00")  # the balance has not moved
    both_widths(bob, "billing-portal-under-review")

    # 3. The reviewer rejects it with a reason the contact will read.
    open_review(staff, number)
    staff.get_by_role("dialog").get_by_label("Reason").fill(REJECT_REASON)
    staff.get_by_role("dialog").get_by_role("button", name="Reject the proof").click()
    expect(staff.get_by_text(re.compile("Proof rejected."))).to_be_visible()

    # 4. Bob reads the reason; a file over the limit and a web page renamed .pdf are refused; he sends a new proof.
    bob.reload()
    expect(proofs).to_contain_text("Not accepted")
    expect(proofs).to_contain_text(REJECT_REASON)
    big = tmp_path / "scan.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * LIMIT)
    send_proof(bob, "2,640.00", "TRX-1001", big)
    expect(bob.get_by_text(re.compile("too large"))).to_be_visible()
    fake = {
        "name": "receipt.pdf",
        "mimeType": "application/pdf",
        "buffer": b"<html><script>alert(1)</script>",
    }
    send_proof(bob, "2,640.00", "TRX-1001", fake)
    expect(bob.get_by_text(re.compile("Web pages and SVG images are not accepted"))).to_be_visible()
    expect(proofs).to_contain_text(REJECT_REASON)  # the earlier proof is untouched
    send_proof(bob, "2,640.00", "TRX-1002", proof_pdf(tmp_path, "transfer-full.pdf", "Transfer 2,640.00"))
    expect(bob.get_by_text(re.compile("Payment proof sent."))).to_be_visible()
    expect(proofs).to_contain_text("transfer-full.pdf")

    # 5. The reviewer accepts it: the payment is recorded once and the task closes.
    open_review(staff, number)
    dialog = staff.get_by_role("dialog")
    expect(dialog).to_contain_text("transfer-full.pdf")
    dialog.get_by_role("button", name="Accept and record the payment").click()
    expect(staff.get_by_text(re.compile(f"Payment accepted: {number} now has a balance of"))).to_be_visible()
    shot(staff, "billing-staff-review-accepted-1280")
    staff.goto(f"/app/invoices/{invoice_id}")
    expect(staff.get_by_role("main")).to_contain_text("Paid")

    # 6. Bob sees the invoice paid and the payment on his statement.
    bob.reload()
    expect(proofs).to_contain_text("Accepted")
    expect(bob.get_by_role("main")).to_contain_text("$0.00")
    bob.goto("/portal/statements")
    expect(bob.get_by_role("main")).to_contain_text(f"Payment for {number}")
    both_widths(bob, "billing-portal-statement")
    staff.set_viewport_size(DESKTOP)


def test_billing_pages_at_both_widths(new_page: NewPage) -> None:
    """axe and screenshots at 1280 and 390 px for the billing pages and dialogs the journey does not check."""
    sweep = A11ySweep()
    staff = new_page()
    sign_in_to(staff, "/app/invoices", "Olivia Owner")
    expect(staff.locator("#invoices-table")).to_contain_text("INV-")
    sweeps(staff, sweep, "staff-invoices")
    staff.get_by_role("main").get_by_role("link", name=re.compile(r"^INV-")).first.click()
    staff.wait_for_url(INVOICE_URL)
    expect(staff.get_by_role("heading", level=1)).to_contain_text("INV-")
    sweeps(staff, sweep, "staff-invoice")
    staff.goto("/app/invoices/new")
    expect(staff.get_by_role("button", name="Create draft")).to_be_visible()
    sweeps(staff, sweep, "staff-invoice-new")
    staff.goto("/app/review")
    expect(staff.get_by_role("heading", name="Review queue")).to_be_visible()
    sweeps(staff, sweep, "staff-review")
    staff.get_by_role("button", name=re.compile("^Review ")).first.click()
    expect(staff.get_by_role("dialog")).to_be_visible()
    sweeps(staff, sweep, "staff-review-dialog")
    staff.goto("/app/statements")
    expect(staff.get_by_role("heading", name="Statements", level=1)).to_be_visible()
    staff.get_by_label("Account").click()
    staff.get_by_role("option", name="Contoso Retail").click()
    expect(staff.get_by_role("main")).to_contain_text("Closing balance")
    sweeps(staff, sweep, "staff-statements")
    staff.get_by_role("button", name="Share with Contoso Retail").click()
    staff.get_by_role("alertdialog").get_by_role("button", name="Share with Contoso Retail").click()
    expect(staff.locator("#statement-snapshots")).to_contain_text("Olivia Owner")

    bob = new_page(PHONE)
    sign_in_contact(bob, "bob@contoso.example")
    expect(bob.get_by_role("main")).to_contain_text("INV-")
    sweeps(bob, sweep, "portal-home-billing")
    bob.goto("/portal/invoices")
    expect(bob.get_by_role("main")).to_contain_text("INV-")
    sweeps(bob, sweep, "portal-invoices")
    bob.goto("/portal/statements")
    expect(bob.locator("#shared-statements")).to_contain_text("Olivia Owner")  # the one the team just shared
    with bob.expect_download() as download:
        bob.locator("#shared-statements").get_by_role(
            "link", name=re.compile("^Download CSV of")
        ).first.click()
    assert Path(download.value.path()).read_text(encoding="utf-8-sig").startswith("Date,Type,Reference")
    sweep.assert_clean()


def sweeps(page: Page, sweep: A11ySweep, name: str) -> None:
    page.mouse.move(0, 0)
    for width, size in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        sweep.check(page, f"billing-{name}-{width}")
        shot(page, f"billing-{name}-{width}")
    page.set_viewport_size(DESKTOP)

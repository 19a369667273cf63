"""Words and example data of the public pages. Plain constants: nothing here is read from a workspace.

The example rows are fictional (company, people, amounts) and match the workflow preview's example data.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal_app import routes


@dataclass(frozen=True)
class RecordKind:
    kind: str  # the route segment, one of routes.RECORD_KINDS
    name: str  # "Estimates"
    icon: str
    title: str  # page <title>
    description: str  # page meta description
    summary: str  # one line on the module page
    staff: str  # what staff do with it
    contact: str  # what the contact sees and can do
    intake: str  # what happens to what the contact sends back
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # example rows; the last cell is a status
    preview_step: str  # the walkthrough step this record kind leads into (state.public_preview.STEP_KEYS)
    preview_label: str


RECORDS: tuple[RecordKind, ...] = (
    RecordKind(
        kind="estimates",
        name="Estimates",
        icon="file-pen-line",
        title="Estimates in the Customer Portal — approve, decline or request changes",
        description="Share an estimate with a customer account; its contacts approve with a typed signature, "
        "decline or request changes, and each answer opens a follow-up task for your team.",
        summary="Shared estimates the contact approves with a typed signature, declines or asks to change.",
        staff="Staff prepare the estimate and choose when to share it with the customer account. Drafts stay "
        "invisible to contacts.",
        contact="Contacts with operations permission see the lines and total, then approve with a typed signature, "
        "decline, or request changes with a note.",
        intake="An answer never edits the estimate's contents: it is recorded with the signature and opens a "
        "follow-up task tied to the estimate.",
        columns=("Estimate", "Title", "Total", "Status"),
        rows=(
            ("EST-1042", "Warehouse signage refresh", "$12,400.00", "Awaiting approval"),
            ("EST-1037", "Dock door decals", "$1,860.00", "Approved"),
            ("EST-1029", "Fleet livery concept", "$4,200.00", "Changes requested"),
        ),
        preview_step="approve",
        preview_label="Approve an estimate in the preview",
    ),
    RecordKind(
        kind="invoices",
        name="Invoices",
        icon="receipt",
        title="Invoices in the Customer Portal — balances and payment proof",
        description="Contacts see the invoices shared with their account and upload payment proof; a finance "
        "reviewer accepts it before any payment is recorded.",
        summary="Balances the contact can see, with payment proof sent as review-only intake.",
        staff="Staff share issued invoices. Payments are recorded by staff only, or by a finance reviewer "
        "accepting a payment proof.",
        contact="Contacts with billing permission see each shared invoice, its balance and status, and can "
        "upload proof of a payment they made.",
        intake="Payment proof is quarantined: the balance changes only when a finance or admin reviewer accepts "
        "it. A rejection goes back to the contact with a reason.",
        columns=("Invoice", "For", "Balance", "Status"),
        rows=(
            ("INV-2217", "Deposit for EST-1042", "$3,200.00", "Payment proof in review"),
            ("INV-2190", "Dock door decals", "$1,150.00", "Overdue"),
            ("INV-2154", "Brand audit", "$0.00", "Paid"),
        ),
        preview_step="upload",
        preview_label="Send payment proof in the preview",
    ),
    RecordKind(
        kind="statements",
        name="Statements",
        icon="scroll-text",
        title="Statements in the Customer Portal — one account balance, always current",
        description="A statement per customer account: open invoices and recorded payments, with the balance "
        "updated only when a reviewer accepts a payment.",
        summary="The account's open items and payments in one running balance.",
        staff="Statements are built from the account's shared invoices and the payments staff recorded.",
        contact="Contacts with billing permission see the statement for their own account only, never another "
        "customer's.",
        intake="A payment proof counts towards the balance only after it is accepted, so the statement never "
        "shows money that has not been checked.",
        columns=("Line", "Date", "Amount", "Status"),
        rows=(
            ("INV-2190 Dock door decals", "02 Mar", "$1,150.00", "Open"),
            ("INV-2217 Deposit for EST-1042", "12 Mar", "$3,200.00", "Open"),
            ("Balance due", "—", "$4,350.00", "Current"),
        ),
        preview_step="review",
        preview_label="See the balance change in the preview",
    ),
    RecordKind(
        kind="document-requests",
        name="Document requests",
        icon="file-up",
        title="Document requests in the Customer Portal — collect evidence without email chasing",
        description="Ask a customer account for the documents you need; contacts upload them into quarantined "
        "intake that a reviewer accepts or rejects.",
        summary="Requests for certificates, forms and evidence, answered by upload instead of email.",
        staff="Staff request a document from an account, with a due date and a note of what is needed.",
        contact="Contacts with documents permission see open requests and upload files against them.",
        intake="Uploads are stored privately under random names, size-limited and type-checked, and wait for a "
        "reviewer. Nothing is attached to a record until it is accepted.",
        columns=("Request", "What", "Due", "Status"),
        rows=(
            ("DOC-0318", "Certificate of insurance", "20 Mar", "Uploaded, in review"),
            ("DOC-0322", "Site access form", "25 Mar", "Requested"),
            ("DOC-0301", "W-9 form", "01 Mar", "Accepted"),
        ),
        preview_step="upload",
        preview_label="See an upload land in intake",
    ),
    RecordKind(
        kind="messages",
        name="Messages",
        icon="messages-square",
        title="Messages in the Customer Portal — conversations tied to the record",
        description="Contacts message your team about the record in front of them; every customer message opens "
        "an auditable follow-up task for the right person.",
        summary="Customer messages that arrive with their record and become follow-up work.",
        staff="Staff reply from the record. Internal notes stay internal: the portal never shows them.",
        contact="Every contact can write to the team from the estimate, invoice or request they are looking at.",
        intake="Each customer message opens a follow-up task tied to its source record, so nothing waits in a "
        "personal inbox.",
        columns=("From", "About", "Message", "Status"),
        rows=(
            ("Dana Reyes", "EST-1042", "Can the install start on the 18th?", "Task open"),
            ("Sam Ito", "DOC-0318", "Uploaded the renewed certificate.", "Task done"),
        ),
        preview_step="task",
        preview_label="See a follow-up task appear",
    ),
    RecordKind(
        kind="deliveries",
        name="Deliveries",
        icon="truck",
        title="Deliveries in the Customer Portal — status without the phone calls",
        description="Contacts follow the delivery status of the work they approved; delivery signals reach the "
        "team as reviewable follow-ups.",
        summary="Delivery status the contact can follow, from scheduled to delivered.",
        staff="Staff update delivery status as the work moves: scheduled, in transit, delivered.",
        contact="Contacts with operations permission see the status and date of each delivery for their account.",
        intake="A contact's report about a delivery arrives as a message with a follow-up task, never as an edit "
        "to the delivery.",
        columns=("Delivery", "For", "Date", "Status"),
        rows=(
            ("DEL-0577", "Warehouse signage refresh", "18 Mar", "Scheduled"),
            ("DEL-0561", "Dock door decals", "04 Mar", "Delivered"),
        ),
        preview_step="task",
        preview_label="See what follows an approval",
    ),
)

RECORDS_BY_KIND = {record.kind: record for record in RECORDS}
assert tuple(RECORDS_BY_KIND) == routes.RECORD_KINDS, "every record kind has one public page"

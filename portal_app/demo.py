"""Demo data for ``make run`` on an empty database: one workspace with every role, accounts with several
contacts, and records in every state, created through the real services so every rule and audit event applies.

Demo people sign in through the built-in development identity provider with the emails below.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import Session, select

from models import (
    Contact,
    ContactStatus,
    FollowUpTask,
    Role,
    TaskStatus,
    User,
)
from models.delivery import DeliveryStatus
from portal_app.services import (
    access,
    accounts,
    approvals,
    contacts,
    deliveries,
    document_requests,
    estimates,
    intake,
    invoices,
    messages,
    tasks,
    workspaces,
)
from portal_app.services.lines import LineInput
from portal_app.settings import get_settings

DEMO_ISSUER_PATH = "/dev-idp"

STAFF = [
    ("olivia.owner@northwind.example", "Olivia Owner", Role.OWNER),
    ("max.manager@northwind.example", "Max Manager", Role.MANAGER),
    ("tara.lead@northwind.example", "Tara Lead", Role.TEAM_LEAD),
    ("frank.finance@northwind.example", "Frank Finance", Role.FINANCE_REVIEWER),
]

ACCOUNTS = [
    # code, name, currency, contacts: (email, name, billing, operations, documents)
    (
        "CONTOSO",
        "Contoso Retail",
        "USD",
        [
            ("alice@contoso.example", "Alice Buyer", True, True, True),
            ("bob@contoso.example", "Bob Payables", True, False, False),
        ],
    ),
    (
        "FABRIKAM",
        "Fabrikam Logistics",
        "USD",
        [
            ("carol@fabrikam.example", "Carol Ops", False, True, True),
            ("alice@contoso.example", "Alice Buyer", True, True, False),
        ],
    ),
    ("TAILSPIN", "Tailspin Toys", "EUR", [("dan@tailspin.example", "Dan Founder", True, True, True)]),
]


def demo_issuer() -> str:
    return get_settings().public_base_url.rstrip("/") + DEMO_ISSUER_PATH


def _key() -> str:
    return uuid.uuid4().hex


def _pdf(title: str) -> bytes:
    """A minimal one-page PDF so demo intake files are real, downloadable documents."""
    stream = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj".encode() + body + b"endobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def load(session: Session) -> dict[str, int]:
    issuer = demo_issuer()
    users: dict[Role, User] = {}
    for email, name, role in STAFF:
        user = User(issuer=issuer, subject=f"demo-{email}", email=email, email_verified=True, name=name)
        session.add(user)
        session.flush()
        users[role] = user
    session.commit()
    owner_id = users[Role.OWNER].id
    assert owner_id is not None
    ws = workspaces.create_workspace(
        session, owner_id, name="Northwind Studio", slug="northwind", portal_enabled=True
    )
    owner = access.resolve_staff(session, user_id=owner_id, workspace_id=ws.id)
    from models import Membership, Workspace

    ws_row = session.get(Workspace, ws.id)
    assert ws_row is not None
    ws_row.payment_instructions = (
        "Bank transfer to Northwind Studio Ltd, IBAN GB33 BUKB 2020 1555 5555 55, BIC BUKBGB22. "
        "Please quote the invoice number as the payment reference."
    )
    session.add(ws_row)
    for role in (Role.MANAGER, Role.TEAM_LEAD, Role.FINANCE_REVIEWER):
        uid = users[role].id
        assert uid is not None
        session.add(Membership(workspace_id=ws.id, user_id=uid, role=role))
    session.commit()
    staff = {
        role: access.resolve_staff(session, user_id=int(u.id or 0), workspace_id=ws.id)
        for role, u in users.items()
    }
    lead, finance = staff[Role.TEAM_LEAD], staff[Role.FINANCE_REVIEWER]

    account_ids: dict[str, int] = {}
    for code, name, currency, people in ACCOUNTS:
        acct = accounts.create_account(
            session,
            owner,
            name=name,
            code=code,
            currency=currency,
            billing_email=f"billing@{code.lower()}.example",
            internal_notes="Key account; margin target 35 %.",
        )
        account_ids[code] = acct.id
        # Who looks after each account: Max the manager has Fabrikam, Tara the team lead the others.
        looker = users[Role.MANAGER if code == "FABRIKAM" else Role.TEAM_LEAD]
        accounts.set_account_owner(session, owner, acct.id, int(looker.id or 0))
        for email, person, billing, operations, documents in people:
            contacts.add_contact(
                session,
                lead,
                acct.id,
                email=email,
                name=person,
                billing=billing,
                operations=operations,
                documents=documents,
            )
    for contact in session.exec(select(Contact).where(Contact.workspace_id == ws.id)).all():
        contact.status = ContactStatus.ACTIVE
        session.add(contact)
    session.commit()

    def contact_actor(email: str, code: str) -> access.ContactActor:
        c = session.exec(select(Contact).where(Contact.workspace_id == ws.id, Contact.email == email)).one()
        assert c.id is not None
        return access.resolve_contact(session, contact_id=c.id, account_id=account_ids[code])

    alice = contact_actor("alice@contoso.example", "CONTOSO")
    carol = contact_actor("carol@fabrikam.example", "FABRIKAM")
    dan = contact_actor("dan@tailspin.example", "TAILSPIN")
    today = estimates.today()
    contoso, fabrikam, tailspin = account_ids["CONTOSO"], account_ids["FABRIKAM"], account_ids["TAILSPIN"]

    web = [
        LineInput("Discovery workshop", 2, 90_000, 2000, 40_000),
        LineInput("Storefront design", 1, 450_000, 2000, 210_000),
        LineInput("Hosting, first year", 12, 4_900, 0, 2_000),
    ]
    # Estimates in every state. The expired one first: the expiry job runs over all shared estimates.
    expired = estimates.create_estimate(
        session,
        lead,
        tailspin,
        title="Holiday catalogue shoot",
        lines=[LineInput("Photo day", 2, 120_000)],
        valid_until=today,
    )
    estimates.share_estimate(session, lead, expired.id)
    estimates.expire_estimates(session, on=today + timedelta(days=1))
    estimates.create_estimate(
        session,
        lead,
        contoso,
        title="Loyalty app (draft)",
        lines=[LineInput("Scoping", 1, 150_000)],
        internal_notes="Waiting on budget figures.",
    )
    shared = estimates.create_estimate(
        session,
        lead,
        contoso,
        title="Storefront rebuild",
        lines=web,
        valid_until=today + timedelta(days=30),
        customer_notes="Prices include two rounds of revisions.",
    )
    estimates.share_estimate(session, lead, shared.id)
    approved = estimates.create_estimate(
        session,
        lead,
        fabrikam,
        title="Warehouse signage",
        lines=[LineInput("Sign set", 40, 3_500, 2000)],
        valid_until=today + timedelta(days=20),
    )
    estimates.share_estimate(session, lead, approved.id)
    estimates.decide_estimate(
        session,
        carol,
        approved.id,
        decision="approve",
        version=1,
        signature="Carol Ops",
        idempotency_key=_key(),
    )
    declined = estimates.create_estimate(
        session,
        lead,
        tailspin,
        title="Trade fair stand",
        lines=[LineInput("Stand build", 1, 820_000, 1900)],
    )
    estimates.share_estimate(session, lead, declined.id)
    estimates.decide_estimate(
        session,
        dan,
        declined.id,
        decision="decline",
        version=1,
        note="We are skipping the fair this year.",
        idempotency_key=_key(),
    )
    changes = estimates.create_estimate(
        session,
        lead,
        contoso,
        title="Newsletter templates",
        lines=[LineInput("Template", 3, 60_000, 2000)],
    )
    estimates.share_estimate(session, lead, changes.id)
    estimates.decide_estimate(
        session,
        alice,
        changes.id,
        decision="request_changes",
        version=1,
        note="Could we have four templates for the price of three?",
        idempotency_key=_key(),
    )

    # Invoices in every state, some overdue so the statement's aging has something to show.
    invoices.create_invoice(
        session, finance, contoso, lines=[LineInput("Retainer, next month", 1, 250_000, 2000)]
    )
    overdue = invoices.create_invoice(
        session,
        finance,
        contoso,
        lines=[LineInput("Storefront phase 1", 1, 300_000, 2000)],
        internal_notes="Chased twice by phone.",
    )
    invoices.issue_invoice(
        session,
        finance,
        overdue.id,
        issue_date=today - timedelta(days=75),
        due_date=today - timedelta(days=45),
    )
    partial = invoices.create_invoice(
        session, finance, contoso, lines=[LineInput("Design sprint", 1, 180_000, 2000)]
    )
    invoices.issue_invoice(session, finance, partial.id, issue_date=today - timedelta(days=20))
    invoices.record_payment(
        session,
        finance,
        partial.id,
        amount_minor=100_000,
        currency="USD",
        received_on=today - timedelta(days=5),
        reference="Wire 88213",
    )
    paid = invoices.create_invoice(
        session, finance, fabrikam, lines=[LineInput("Signage deposit", 1, 84_000, 2000)]
    )
    invoices.issue_invoice(session, finance, paid.id, issue_date=today - timedelta(days=10))
    invoices.record_payment(
        session,
        finance,
        paid.id,
        amount_minor=100_800,
        currency="USD",
        received_on=today - timedelta(days=3),
    )
    void = invoices.create_invoice(session, finance, tailspin, lines=[LineInput("Duplicate", 1, 10_000)])
    invoices.issue_invoice(session, finance, void.id)
    invoices.void_invoice(session, finance, void.id, reason="Issued twice by mistake.")
    open_eur = invoices.create_invoice(
        session, finance, tailspin, lines=[LineInput("Product photos", 1, 240_000)]
    )
    invoices.issue_invoice(session, finance, open_eur.id, issue_date=today - timedelta(days=3))

    # Approvals
    approvals.create_approval_request(
        session,
        lead,
        contoso,
        title="Homepage hero artwork",
        description="Please approve the final artwork.",
        due_on=today + timedelta(days=3),
    )
    ok = approvals.create_approval_request(session, lead, fabrikam, title="Installation date: next Tuesday")
    approvals.respond_to_approval(session, carol, ok.id, decision="approve", note="", idempotency_key=_key())
    no = approvals.create_approval_request(
        session, lead, tailspin, title="Use of your logo in our case study"
    )
    approvals.respond_to_approval(
        session, dan, no.id, decision="decline", note="Not before the product launch.", idempotency_key=_key()
    )

    # Document requests
    document_requests.create_document_request(
        session,
        lead,
        contoso,
        title="Signed data processing agreement",
        items=["Signed DPA", "List of sub-processors", "Security contact"],
        due_on=today + timedelta(days=7),
        description="Please upload the signed DPA as a PDF.",
    )
    document_requests.create_document_request(
        session, lead, fabrikam, title="Site access permit", items=["Site access permit", "Floor plan"]
    )
    document_requests.create_document_request(
        session,
        lead,
        tailspin,
        title="Certificate of insurance",
        items=["Certificate of insurance", "Signed W-9"],
        due_on=today + timedelta(days=14),
    )
    cancelled = document_requests.create_document_request(session, lead, tailspin, title="Old brand guide")
    document_requests.cancel_document_request(session, lead, cancelled.id)

    # Review-only intake: one file of each outcome. Nothing here changes a balance until a reviewer accepts.
    bob = contact_actor("bob@contoso.example", "CONTOSO")
    dpa = document_requests.list_document_requests(session, lead, account_id=contoso).items[0]
    dpa_items = document_requests.get_document_request_detail(session, lead, dpa.id).items
    intake.submit_document(
        session,
        alice,
        dpa.id,
        item_id=dpa_items[0].id,
        filename="DPA signed.pdf",
        data=_pdf("Signed DPA"),
        note="Signed by our CFO.",
        idempotency_key=_key(),
    )
    permit = document_requests.list_document_requests(session, lead, account_id=fabrikam).items[0]
    permit_item = document_requests.get_document_request_detail(session, lead, permit.id).items[0]
    sent = intake.submit_document(
        session,
        carol,
        permit.id,
        item_id=permit_item.id,
        filename="permit.pdf",
        data=_pdf("Site permit"),
        idempotency_key=_key(),
    )
    intake.review_intake(session, finance, sent.id, accept=True, reason="Permit valid until year end.")
    plan = document_requests.get_document_request_detail(session, lead, permit.id).items[1]
    sent = intake.submit_document(
        session,
        carol,
        permit.id,
        item_id=plan.id,
        filename="floor plan.pdf",
        data=_pdf("Floor plan"),
        idempotency_key=_key(),
    )
    intake.review_intake(session, finance, sent.id, accept=True)  # every item accepted: fulfilled
    intake.submit_payment_proof(
        session,
        bob,
        overdue.id,
        filename="remittance-88.pdf",
        data=_pdf("Remittance advice"),
        claimed_amount_minor=150_000,
        claimed_paid_on=today - timedelta(days=1),
        reference="Wire 88 / INV-0002",
        idempotency_key=_key(),
    )
    wrong = intake.submit_payment_proof(
        session,
        dan,
        open_eur.id,
        filename="receipt.pdf",
        data=_pdf("Receipt"),
        claimed_amount_minor=240_000,
        claimed_paid_on=today,
        idempotency_key=_key(),
    )
    intake.review_intake(
        session, finance, wrong.id, accept=False, reason="This receipt is for another supplier."
    )

    # Messages (one internal note the portal never shows)
    thread = messages.start_thread(
        session,
        lead,
        contoso,
        subject="Storefront rebuild: timeline",
        body="Hi Alice, the estimate is ready.",
        source_type="estimate",
        source_id=shared.id,
    )
    messages.portal_post_message(
        session, alice, thread.id, body="Thanks! Can we start in two weeks?", idempotency_key=_key()
    )
    messages.post_staff_message(
        session, lead, thread.id, body="Internal: check designer availability.", internal=True
    )
    messages.portal_start_thread(
        session,
        carol,
        subject="Delivery window",
        body="Can the signs arrive before 9 am?",
        idempotency_key=_key(),
    )

    # Deliveries
    d1 = deliveries.create_delivery(
        session,
        lead,
        fabrikam,
        reference="DEL-1001",
        description="Warehouse signage, 40 signs",
        carrier="Northwind Freight",
        tracking_ref="NF-55120",
        expected_on=today + timedelta(days=2),
    )
    deliveries.share_delivery(session, lead, d1.id)
    deliveries.add_delivery_event(
        session, lead, d1.id, status=DeliveryStatus.IN_TRANSIT, note="Left our workshop."
    )
    deliveries.add_delivery_event(
        session,
        lead,
        d1.id,
        status=DeliveryStatus.IN_TRANSIT,
        note="Driver reports a 20 min delay.",
        internal=True,
    )
    d2 = deliveries.create_delivery(
        session, lead, contoso, reference="DEL-1002", description="Printed lookbooks"
    )
    deliveries.share_delivery(session, lead, d2.id)
    deliveries.add_delivery_event(session, lead, d2.id, status=DeliveryStatus.IN_TRANSIT)
    deliveries.add_delivery_event(
        session, lead, d2.id, status=DeliveryStatus.DELIVERED, note="Signed for by reception."
    )
    d3 = deliveries.create_delivery(session, lead, tailspin, reference="DEL-1003", description="Sample toys")
    deliveries.share_delivery(session, lead, d3.id)
    deliveries.add_delivery_event(
        session, lead, d3.id, status=DeliveryStatus.EXCEPTION, note="Address incomplete."
    )
    deliveries.create_delivery(session, lead, contoso, reference="DEL-1004", description="Not yet announced")

    # One follow-up already worked
    first = session.exec(
        select(FollowUpTask).where(FollowUpTask.workspace_id == ws.id).order_by(FollowUpTask.id)  # type: ignore[arg-type]
    ).first()
    if first is not None:
        assert first.id is not None
        tasks.set_task_status(session, lead, first.id, status=TaskStatus.DONE)

    return {"workspaces": 1, "members": len(STAFF), "accounts": len(ACCOUNTS)}

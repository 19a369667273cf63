"""Property-based isolation (issue 12; SECURITY.md 2, 3, 8, 18, 19, 20, 21, 24).

A ``hypothesis`` state machine drives random sequences of staff and contact actions through the real services
across two workspaces with two accounts each. Every action picks its actor at random among everyone (the staff of
both workspaces in every role, both workspaces' contacts with full or billing-only access, an operator, members who
joined during the run) and its record among every tenant's records, so most calls are cross-tenant or lack a
permission. The machine keeps its own model of what each call must do: a call that must be refused has to raise
``NotFound`` (or ``Forbidden`` for a role without the permission) with nothing changed in the database; a call in
scope must succeed or be refused for the record's state (``Conflict``/``ValidationFailed``), exactly as the model
predicts.

After every step the invariants hold:
- nobody read anything outside their scope: every list a staff member or contact gets is exactly the records of
  their workspace (for contacts: of their account, in the areas their permissions open, never drafts);
- members <= 6 per workspace, pending invitations included;
- every customer action (estimate decision, approval answer, upload, message) has exactly one follow-up task and one
  audit event, counted against the model;
- every invoice's amount paid is the sum of its payment rows, each from an accepted proof or recorded by staff, and
  its balance is its total minus that; no payment comes from a proof that is not accepted;
- each workspace's audit chain verifies.

Each example gets a fresh pair of tenants inside one outer transaction that is rolled back at the end (services'
commits become savepoints), so it runs on SQLite and on PostgreSQL (``PORTAL_TEST_DATABASE_URL``). Derandomized:
CI sees the same sequences every time.
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import Session, SQLModel

from models import (
    ApprovalRequest,
    AuditEvent,
    ContactAccess,
    DocumentRequest,
    Estimate,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    InvitationStatus,
    Invoice,
    MemberInvitation,
    Membership,
    MessageThread,
    Payment,
    Role,
    TaskStatus,
)
from portal_app.services import (
    approvals,
    audit,
    contacts,
    document_requests,
    estimates,
    intake,
    invoices,
    members,
    messages,
    storage,
    tasks,
)
from portal_app.services.access import Actor, ContactActor, StaffActor, resolve_staff
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal_app.services.lines import LineInput
from portal_app.services.permissions import ContactPermission as CP
from portal_app.services.permissions import Permission as P
from portal_app.services.permissions import can_grant, role_has
from portal_app.services.ratelimit import TOKEN_REFUSALS_MAX
from tests.factories import Tenant, make_tenant, make_user, operator

SEAT_LIMIT = 6
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
DECISIONS = ("approve", "decline", "request_changes")
PAYABLE = ("open", "partially_paid")

MACHINE_SETTINGS = settings(
    max_examples=40,
    stateful_step_count=20,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@dataclass
class Rec:
    """The model's copy of one record."""

    id: int
    ws: int
    account: int
    status: str = ""
    total: int = 0  # invoice
    paid: int = 0  # invoice
    invoice: int | None = None  # payment proof
    request: int | None = None  # document
    amount: int = 0  # payment proof: claimed amount


@dataclass
class Invite:
    ws: int
    email: str
    token: str
    user_id: int
    accepted: bool = False
    refusals: int = 0


def staff_refusal(actor: Actor, permission: P, ws: int) -> type[Exception] | None:
    """What a staff-side call must raise for ``actor`` on a record of workspace ``ws`` (None: allowed)."""
    if not isinstance(actor, StaffActor):
        return NotFound
    if not role_has(actor.role, permission):
        return Forbidden
    return None if actor.workspace_id == ws else NotFound


def contact_allowed(actor: Actor, permission: CP, rec: Rec, *, visible: bool = True) -> bool:
    return (
        isinstance(actor, ContactActor)
        and permission in actor.permissions
        and actor.workspace_id == rec.ws
        and actor.account_id == rec.account
        and visible
    )


def upload_kinds(contact: ContactActor) -> set[str]:
    kinds = {IntakeKind.ATTACHMENT.value}
    if CP.DOCUMENTS in contact.permissions:
        kinds.add(IntakeKind.DOCUMENT.value)
    if CP.BILLING in contact.permissions:
        kinds.add(IntakeKind.PAYMENT_PROOF.value)
    return kinds


def _not_draft(row: Any) -> bool:
    return str(row.status) != "draft"


def _always(row: Any) -> bool:
    return True


# kind -> (table, staff read, staff permission, portal read, contact permission, what a contact may see of a row)
READS: dict[
    str, tuple[Any, Callable[..., Any], P, Callable[..., Any] | None, CP | None, Callable[[Any], bool]]
] = {
    "estimate": (
        Estimate,
        estimates.get_estimate,
        P.ESTIMATES_READ,
        estimates.portal_get_estimate,
        CP.OPERATIONS,
        _not_draft,
    ),
    "invoice": (
        Invoice,
        invoices.get_invoice,
        P.INVOICES_READ,
        invoices.portal_get_invoice,
        CP.BILLING,
        _not_draft,
    ),
    "approval": (
        ApprovalRequest,
        approvals.get_approval,
        P.APPROVALS_READ,
        approvals.portal_get_approval,
        CP.OPERATIONS,
        _always,
    ),
    "document_request": (
        DocumentRequest,
        document_requests.get_document_request,
        P.DOCUMENTS_READ,
        document_requests.portal_get_document_request,
        CP.DOCUMENTS,
        _always,
    ),
    "thread": (
        MessageThread,
        messages.get_thread,
        P.MESSAGES_READ,
        messages.portal_get_thread,
        CP.MESSAGES,
        _always,
    ),
    "intake": (IntakeFile, intake.get_intake, P.INTAKE_READ, None, None, _always),
}

# (table, staff list, staff permission, extra kwargs)
STAFF_LISTS: list[tuple[Any, Callable[..., Any], P, dict[str, Any]]] = [
    (Estimate, estimates.list_estimates, P.ESTIMATES_READ, {}),
    (Invoice, invoices.list_invoices, P.INVOICES_READ, {}),
    (Payment, invoices.list_payments, P.INVOICES_READ, {}),
    (ApprovalRequest, approvals.list_approvals, P.APPROVALS_READ, {}),
    (DocumentRequest, document_requests.list_document_requests, P.DOCUMENTS_READ, {}),
    (MessageThread, messages.list_threads, P.MESSAGES_READ, {}),
    (IntakeFile, intake.list_intake, P.INTAKE_READ, {}),
    (FollowUpTask, tasks.list_tasks, P.TASKS_READ, {"statuses": tuple(TaskStatus)}),
]

# (table, portal list, contact permission, what a contact may see of a row)
PORTAL_LISTS: list[tuple[Any, Callable[..., Any], CP, Callable[[ContactActor, Any], bool]]] = [
    (Estimate, estimates.portal_list_estimates, CP.OPERATIONS, lambda c, row: _not_draft(row)),
    (Invoice, invoices.portal_list_invoices, CP.BILLING, lambda c, row: _not_draft(row)),
    (Payment, invoices.portal_list_payments, CP.BILLING, lambda c, row: True),
    (ApprovalRequest, approvals.portal_list_approvals, CP.OPERATIONS, lambda c, row: True),
    (DocumentRequest, document_requests.portal_list_document_requests, CP.DOCUMENTS, lambda c, row: True),
    (MessageThread, messages.portal_list_threads, CP.MESSAGES, lambda c, row: True),
    (IntakeFile, intake.portal_list_uploads, CP.MESSAGES, lambda c, row: str(row.kind) in upload_kinds(c)),
]


ACTIONS = (
    "staff_creates",
    "staff_shares_estimate",
    "staff_issues_invoice",
    "staff_records_payment",
    "contact_decides_estimate",
    "contact_answers_approval",
    "contact_sends_payment_proof",
    "contact_uploads_document",
    "contact_posts_message",
    "staff_replies",
    "staff_reviews_upload",
    "staff_invites_member",
    "invitee_accepts",
    "someone_reads_a_record",
)


class IsolationMachine(RuleBasedStateMachine):
    engine: sa.Engine  # set by the test
    tally: Counter[tuple[str, str]]  # (action, "ok" or the refusal) -> calls, over the whole run

    def __init__(self) -> None:
        super().__init__()
        self.conn = self.engine.connect()
        self.outer = self.conn.begin()
        self.db = Session(bind=self.conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            self.build()
        except BaseException:
            self.teardown()  # hypothesis calls teardown only for a machine that was built
            raise

    def build(self) -> None:
        self.tenants = [make_tenant(self.db), make_tenant(self.db)]
        self.staff: list[StaffActor] = [a for t in self.tenants for a in t.staff.values()]
        self.contacts: list[ContactActor] = [
            c for t in self.tenants for c in (t.contact, t.billing_contact, t.other_contact)
        ]
        self.outsider = operator()
        self.accounts: list[tuple[int, int]] = [
            (int(a.id), t.ws.id)  # type: ignore[arg-type]
            for t in self.tenants
            for a in (t.account, t.other_account)
        ]
        self.recs: dict[str, dict[int, Rec]] = {k: {} for k in READS}
        self.invites: list[Invite] = []
        self.expected_tasks: Counter[tuple[Any, ...]] = Counter()
        self.expected_events: Counter[tuple[Any, ...]] = Counter()
        self.keys = itertools.count(1)
        for tenant in self.tenants:
            self.seed(tenant)

    def seed(self, t: Tenant) -> None:
        """Records every example starts with, made through the services: a draft and a shared estimate, an issued
        invoice, an approval request and a document request on the first account, a thread on the second."""
        ws, account, other = t.ws.id, int(t.account.id), int(t.other_account.id)  # type: ignore[arg-type]
        lines = [LineInput("Work", 1, 4000)]
        for shared in (False, True):
            est = estimates.create_estimate(self.db, t.team_lead, account, title="Fit-out", lines=lines)
            if shared:
                estimates.share_estimate(self.db, t.team_lead, est.id)
            self.recs["estimate"][est.id] = Rec(est.id, ws, account, "shared" if shared else "draft")
        inv = invoices.create_invoice(
            self.db,
            t.finance,
            account,
            lines=[{"description": "Work", "quantity": 1, "unit_price_minor": 4000}],
        )
        invoices.issue_invoice(self.db, t.finance, inv.id)
        self.recs["invoice"][inv.id] = Rec(inv.id, ws, account, "open", total=4000)
        draft = invoices.create_invoice(
            self.db,
            t.finance,
            other,
            lines=[{"description": "Parts", "quantity": 1, "unit_price_minor": 2500}],
        )
        self.recs["invoice"][draft.id] = Rec(draft.id, ws, other, "draft", total=2500)
        self.invite(t.owner, Role.TEAM_LEAD)
        req = approvals.create_approval_request(self.db, t.team_lead, account, title="Sign off")
        self.recs["approval"][req.id] = Rec(req.id, ws, account, "pending")
        doc = document_requests.create_document_request(self.db, t.team_lead, account, title="Certificate")
        self.recs["document_request"][doc.id] = Rec(doc.id, ws, account, "open")
        thread = messages.start_thread(self.db, t.manager, other, subject="Welcome", body="Hello")
        self.recs["thread"][thread.id] = Rec(thread.id, ws, other)
        proof = intake.submit_payment_proof(
            self.db,
            t.billing_contact,
            inv.id,
            filename="proof.pdf",
            data=PDF,
            claimed_amount_minor=1500,
            idempotency_key=self.key(),
        )
        self.recs["intake"][proof.id] = Rec(proof.id, ws, account, "awaiting", invoice=inv.id, amount=1500)
        self.customer_action(
            t.billing_contact,
            "intake.payment_proof",
            "intake.payment_proof_submitted",
            ("intake_file", proof.id),
        )
        upload = intake.submit_document(
            self.db, t.contact, doc.id, filename="certificate.pdf", data=PDF, idempotency_key=self.key()
        )
        self.recs["document_request"][doc.id].status = "submitted"
        self.recs["intake"][upload.id] = Rec(upload.id, ws, account, "awaiting", request=doc.id)
        self.customer_action(
            t.contact, "intake.document", "intake.document_submitted", ("intake_file", upload.id)
        )

    def teardown(self) -> None:
        try:
            for key in self.db.scalars(sa.select(IntakeFile.storage_key)):  # type: ignore[call-overload]
                storage.delete(key)
        finally:
            self.db.close()
            self.outer.rollback()
            self.conn.close()

    # ------------------------------------------------------------------------------------------------
    # Helpers

    def actors(self) -> list[Actor]:
        return [*self.staff, *self.contacts, self.outsider]

    def pick_actor(self, data: st.DataObject, likely: list[Actor]) -> Actor:
        """Usually someone who may act (so state changes happen), else anyone at all."""
        anyone = st.sampled_from(self.actors())
        if not likely:
            return data.draw(anyone, label="actor")
        return data.draw(st.one_of(st.sampled_from(likely), st.sampled_from(likely), anyone), label="actor")

    def staff_of(self, ws: int, permission: P) -> list[Actor]:
        return [a for a in self.staff if a.workspace_id == ws and role_has(a.role, permission)]

    def contacts_of(self, rec: Rec, permission: CP) -> list[Actor]:
        return [c for c in self.contacts if contact_allowed(c, permission, rec)]

    def pick(self, data: st.DataObject, kind: str, *ready: str) -> Rec:
        """Usually a record whose status lets the action go ahead (one of ``ready``), else any record at all."""
        every = sorted(self.recs[kind].values(), key=lambda r: r.id)
        fit = [r for r in every if r.status in ready]
        anything = st.sampled_from(every)
        return data.draw(st.one_of(st.sampled_from(fit), anything) if fit else anything, label=kind)

    def key(self) -> str:
        return f"machine-{next(self.keys):06d}"

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        out = {}
        for table in SQLModel.metadata.sorted_tables:
            out[table.name] = sorted((tuple(row) for row in self.db.execute(sa.select(table))), key=repr)
        return out

    def attempt(self, refusal: type[Exception] | None, call: Callable[[], Any]) -> Any:
        """Run ``call``: it must succeed when ``refusal`` is None, else raise exactly it and change nothing."""
        self.tally[(sys._getframe(1).f_code.co_name, refusal.__name__ if refusal else "ok")] += 1
        if refusal is None:
            return call()
        before = self.snapshot()
        with pytest.raises(refusal) as caught:
            call()
        assert type(caught.value) is refusal, f"expected {refusal.__name__}, got {caught.value!r}"
        if refusal is NotFound:  # missing and not-yours give the same answer
            assert str(caught.value) == str(NotFound())
        self.db.rollback()  # the request ends: whatever was not committed is gone
        assert self.snapshot() == before, f"a refused call ({refusal.__name__}) changed the database"
        return None

    def customer_action(
        self, contact: ContactActor, trigger: str, action: str, target: tuple[str, int]
    ) -> None:
        self.expected_tasks[(contact.workspace_id, contact.contact_id, trigger, *target)] += 1
        self.expected_events[(contact.workspace_id, contact.contact_id, action, *target)] += 1

    def retry(self, data: st.DataObject, call: Callable[[], Any], first_id: int) -> None:
        """Sometimes send the same customer action again (same key): the first result, nothing created."""
        if data.draw(st.booleans(), label="retry"):
            before = self.snapshot()
            assert call().id == first_id
            assert self.snapshot() == before

    # ------------------------------------------------------------------------------------------------
    # Staff: create and share records

    @rule(
        data=st.data(),
        kind=st.sampled_from(["estimate", "approval", "invoice", "document_request", "thread"]),
    )
    def staff_creates(self, data: st.DataObject, kind: str) -> None:
        account, ws = data.draw(st.sampled_from(self.accounts))
        permission = {
            "estimate": P.ESTIMATES_MANAGE,
            "approval": P.APPROVALS_MANAGE,
            "invoice": P.INVOICES_MANAGE,
            "document_request": P.DOCUMENTS_MANAGE,
            "thread": P.MESSAGES_SEND,
        }[kind]
        actor = self.pick_actor(data, self.staff_of(ws, permission))
        amount = data.draw(st.integers(1, 5), label="amount") * 1000
        calls: dict[str, Callable[[], Any]] = {
            "estimate": lambda: estimates.create_estimate(
                self.db, actor, account, title="Fit-out", lines=[LineInput("Work", 1, amount)]
            ),
            "approval": lambda: approvals.create_approval_request(self.db, actor, account, title="Sign off"),
            "invoice": lambda: invoices.create_invoice(
                self.db,
                actor,
                account,
                lines=[{"description": "Work", "quantity": 1, "unit_price_minor": amount}],
            ),
            "document_request": lambda: document_requests.create_document_request(
                self.db, actor, account, title="Insurance certificate"
            ),
            "thread": lambda: messages.start_thread(
                self.db, actor, account, subject="Hello", body="A question"
            ),
        }
        result = self.attempt(staff_refusal(actor, permission, ws), calls[kind])
        if result is not None:
            status = {
                "estimate": "draft",
                "approval": "pending",
                "invoice": "draft",
                "document_request": "open",
            }
            self.recs[kind][result.id] = Rec(result.id, ws, account, status.get(kind, ""), total=amount)

    @precondition(lambda self: self.recs["estimate"])
    @rule(data=st.data())
    def staff_shares_estimate(self, data: st.DataObject) -> None:
        est = self.pick(data, "estimate", "draft")
        actor = self.pick_actor(data, self.staff_of(est.ws, P.ESTIMATES_MANAGE))
        refusal = staff_refusal(actor, P.ESTIMATES_MANAGE, est.ws)
        if refusal is None and est.status != "draft":
            refusal = Conflict
        if self.attempt(refusal, lambda: estimates.share_estimate(self.db, actor, est.id)) is not None:
            est.status = "shared"

    @precondition(lambda self: self.recs["invoice"])
    @rule(data=st.data())
    def staff_issues_invoice(self, data: st.DataObject) -> None:
        inv = self.pick(data, "invoice", "draft")
        actor = self.pick_actor(data, self.staff_of(inv.ws, P.INVOICES_MANAGE))
        refusal = staff_refusal(actor, P.INVOICES_MANAGE, inv.ws)
        if refusal is None and inv.status != "draft":
            refusal = Conflict
        if self.attempt(refusal, lambda: invoices.issue_invoice(self.db, actor, inv.id)) is not None:
            inv.status = "open"

    @precondition(lambda self: self.recs["invoice"])
    @rule(data=st.data(), share=st.sampled_from(["part", "all", "over"]))
    def staff_records_payment(self, data: st.DataObject, share: str) -> None:
        inv = self.pick(data, "invoice", *PAYABLE)
        actor = self.pick_actor(data, self.staff_of(inv.ws, P.PAYMENTS_RECORD))
        balance = inv.total - inv.paid
        amount = {"part": max(1, balance // 2), "all": max(1, balance), "over": balance + 1}[share]
        refusal = staff_refusal(actor, P.PAYMENTS_RECORD, inv.ws)
        if refusal is None and inv.status not in PAYABLE:
            refusal = Conflict
        elif refusal is None and amount > balance:
            refusal = ValidationFailed
        paid = self.attempt(
            refusal,
            lambda: invoices.record_payment(
                self.db, actor, inv.id, amount_minor=amount, currency="USD", received_on=invoices.today()
            ),
        )
        if paid is not None:
            self._paid(inv, amount)

    def _paid(self, inv: Rec, amount: int) -> None:
        inv.paid += amount
        inv.status = "paid" if inv.paid == inv.total else "partially_paid"

    # ------------------------------------------------------------------------------------------------
    # Contacts: customer actions

    @precondition(lambda self: self.recs["estimate"])
    @rule(data=st.data(), decision=st.sampled_from(DECISIONS))
    def contact_decides_estimate(self, data: st.DataObject, decision: str) -> None:
        est = self.pick(data, "estimate", "shared")
        actor = self.pick_actor(data, self.contacts_of(est, CP.OPERATIONS))
        refusal: type[Exception] | None = None
        if not contact_allowed(actor, CP.OPERATIONS, est, visible=est.status != "draft"):
            refusal = NotFound
        elif est.status != "shared":
            refusal = Conflict
        key = self.key()

        def call() -> Any:
            return estimates.decide_estimate(
                self.db,
                actor,
                est.id,
                decision=decision,
                version=1,
                note="Because",
                signature="Pat Doe",
                idempotency_key=key,
            )

        if (result := self.attempt(refusal, call)) is not None:
            assert isinstance(actor, ContactActor)
            est.status = "decided"
            trigger = estimates.DECISIONS[decision][1]
            self.customer_action(actor, trigger, trigger, ("estimate", est.id))
            self.retry(data, call, result.id)

    @precondition(lambda self: self.recs["approval"])
    @rule(data=st.data(), decision=st.sampled_from(DECISIONS))
    def contact_answers_approval(self, data: st.DataObject, decision: str) -> None:
        req = self.pick(data, "approval", "pending")
        actor = self.pick_actor(data, self.contacts_of(req, CP.OPERATIONS))
        refusal: type[Exception] | None = None
        if not contact_allowed(actor, CP.OPERATIONS, req):
            refusal = NotFound
        elif req.status != "pending":
            refusal = Conflict
        key = self.key()

        def call() -> Any:
            return approvals.respond_to_approval(
                self.db, actor, req.id, decision=decision, note="Noted", idempotency_key=key
            )

        if (result := self.attempt(refusal, call)) is not None:
            assert isinstance(actor, ContactActor)
            req.status = "decided"
            trigger = f"approval.{approvals.DECISIONS[decision].value}"
            self.customer_action(actor, trigger, trigger, ("approval", req.id))
            self.retry(data, call, result.id)

    @precondition(lambda self: self.recs["invoice"])
    @rule(data=st.data(), share=st.sampled_from(["part", "all", "over"]))
    def contact_sends_payment_proof(self, data: st.DataObject, share: str) -> None:
        inv = self.pick(data, "invoice", *PAYABLE)
        actor = self.pick_actor(data, self.contacts_of(inv, CP.BILLING))
        balance = inv.total - inv.paid
        amount = {"part": max(1, balance // 2), "all": max(1, balance), "over": balance + 1}[share]
        refusal: type[Exception] | None = None
        if not contact_allowed(actor, CP.BILLING, inv, visible=inv.status != "draft"):
            refusal = NotFound
        elif inv.status not in PAYABLE:
            refusal = Conflict
        elif amount > balance:
            refusal = ValidationFailed
        key = self.key()

        def call() -> Any:
            return intake.submit_payment_proof(
                self.db,
                actor,
                inv.id,
                filename="proof.pdf",
                data=PDF,
                claimed_amount_minor=amount,
                idempotency_key=key,
            )

        if (result := self.attempt(refusal, call)) is not None:
            assert isinstance(actor, ContactActor)
            self.recs["intake"][result.id] = Rec(
                result.id, inv.ws, inv.account, "awaiting", invoice=inv.id, amount=amount
            )
            self.customer_action(
                actor, "intake.payment_proof", "intake.payment_proof_submitted", ("intake_file", result.id)
            )
            self.retry(data, call, result.id)

    @precondition(lambda self: self.recs["document_request"])
    @rule(data=st.data())
    def contact_uploads_document(self, data: st.DataObject) -> None:
        req = self.pick(data, "document_request", "open", "submitted")
        actor = self.pick_actor(data, self.contacts_of(req, CP.DOCUMENTS))
        refusal: type[Exception] | None = None
        if not contact_allowed(actor, CP.DOCUMENTS, req):
            refusal = NotFound
        elif req.status == "fulfilled":
            refusal = Conflict
        key = self.key()

        def call() -> Any:
            return intake.submit_document(
                self.db, actor, req.id, filename="certificate.pdf", data=PDF, idempotency_key=key
            )

        if (result := self.attempt(refusal, call)) is not None:
            assert isinstance(actor, ContactActor)
            req.status = "submitted"
            self.recs["intake"][result.id] = Rec(result.id, req.ws, req.account, "awaiting", request=req.id)
            self.customer_action(
                actor, "intake.document", "intake.document_submitted", ("intake_file", result.id)
            )
            self.retry(data, call, result.id)

    @rule(data=st.data(), new_thread=st.booleans())
    def contact_posts_message(self, data: st.DataObject, new_thread: bool) -> None:
        key = self.key()
        if new_thread or not self.recs["thread"]:
            actor = data.draw(st.sampled_from(self.actors()))

            def start() -> Any:
                return messages.portal_start_thread(
                    self.db, actor, subject="Question", body="When is delivery?", idempotency_key=key
                )

            result = self.attempt(None if isinstance(actor, ContactActor) else NotFound, start)
            if result is not None:
                assert isinstance(actor, ContactActor)
                self.recs["thread"][result.id] = Rec(result.id, actor.workspace_id, actor.account_id)
                self.customer_action(actor, "message.posted", "message.posted", ("message_thread", result.id))
                self.retry(data, start, result.id)
            return
        thread = self.pick(data, "thread")
        actor = self.pick_actor(data, self.contacts_of(thread, CP.MESSAGES))

        def post() -> Any:
            return messages.portal_post_message(
                self.db, actor, thread.id, body="Any news?", idempotency_key=key
            )

        result = self.attempt(None if contact_allowed(actor, CP.MESSAGES, thread) else NotFound, post)
        if result is not None:
            assert isinstance(actor, ContactActor)
            self.customer_action(actor, "message.posted", "message.posted", ("message_thread", thread.id))
            self.retry(data, post, result.id)

    # ------------------------------------------------------------------------------------------------
    # Staff: replies and reviews

    @precondition(lambda self: self.recs["thread"])
    @rule(data=st.data(), internal=st.booleans())
    def staff_replies(self, data: st.DataObject, internal: bool) -> None:
        thread = self.pick(data, "thread")
        actor = self.pick_actor(data, self.staff_of(thread.ws, P.MESSAGES_SEND))
        self.attempt(
            staff_refusal(actor, P.MESSAGES_SEND, thread.ws),
            lambda: messages.post_staff_message(
                self.db, actor, thread.id, body="On its way", internal=internal
            ),
        )

    @precondition(lambda self: self.recs["intake"])
    @rule(data=st.data(), accept=st.booleans())
    def staff_reviews_upload(self, data: st.DataObject, accept: bool) -> None:
        upload = self.pick(data, "intake", "awaiting")
        actor = self.pick_actor(data, self.staff_of(upload.ws, P.INTAKE_REVIEW))
        refusal = staff_refusal(actor, P.INTAKE_REVIEW, upload.ws)
        inv = self.recs["invoice"].get(upload.invoice or 0)
        if refusal is None and upload.status != "awaiting":
            refusal = Conflict
        elif refusal is None and accept and inv is not None:
            if inv.status not in PAYABLE:
                refusal = Conflict
            elif upload.amount > inv.total - inv.paid:
                refusal = ValidationFailed
        reason = "" if accept else "Unreadable"
        result = self.attempt(
            refusal, lambda: intake.review_intake(self.db, actor, upload.id, accept=accept, reason=reason)
        )
        if result is None:
            return
        upload.status = "accepted" if accept else "rejected"
        if inv is not None and accept:
            self._paid(inv, upload.amount)
        if upload.request is not None:
            req = self.recs["document_request"][upload.request]
            waiting = any(
                u.request == req.id and u.status == "awaiting" for u in self.recs["intake"].values()
            )
            if req.status != "fulfilled":
                req.status = "fulfilled" if accept else ("submitted" if waiting else "open")

    # ------------------------------------------------------------------------------------------------
    # Members: invitations and acceptance up to the seat limit

    @rule(data=st.data(), role=st.sampled_from(list(Role)))
    def staff_invites_member(self, data: st.DataObject, role: Role) -> None:
        ws = data.draw(st.sampled_from([t.ws.id for t in self.tenants]))
        actor = self.pick_actor(data, self.staff_of(ws, P.MEMBERS_MANAGE))
        refusal: type[Exception] | None = NotFound  # an invitation always goes to the inviter's own workspace
        if isinstance(actor, StaffActor):
            ws = actor.workspace_id
            if not role_has(actor.role, P.MEMBERS_MANAGE) or not can_grant(actor.role, role):
                refusal = Forbidden
            elif self._seats(ws) >= SEAT_LIMIT:
                refusal = Conflict
            else:
                refusal = None
        self.attempt(refusal, lambda: self.invite(actor, role))

    def invite(self, actor: Actor, role: Role) -> members.IssuedInvitation:
        email = f"invitee{next(self.keys)}@example.test"
        issued = members.invite_member(self.db, actor, email=email, role=role)
        user = make_user(self.db, email=email)  # who will accept it
        self.db.commit()
        assert isinstance(actor, StaffActor) and user.id is not None
        self.invites.append(Invite(actor.workspace_id, email, issued.token, user.id))
        return issued

    def _seats(self, ws: int) -> int:
        """Members plus pending invitations (one refused too often is dead and frees its seat)."""
        joined = sum(1 for a in self.staff if a.workspace_id == ws)
        pending = [
            i for i in self.invites if i.ws == ws and not i.accepted and i.refusals < TOKEN_REFUSALS_MAX
        ]
        return joined + len(pending)

    @precondition(lambda self: self.invites)
    @rule(data=st.data(), wrong_user=st.booleans())
    def invitee_accepts(self, data: st.DataObject, wrong_user: bool) -> None:
        inv = data.draw(st.sampled_from(self.invites))
        user_id = data.draw(st.sampled_from(self.staff)).user_id if wrong_user else inv.user_id
        call = lambda: members.accept_invitation(self.db, user_id=user_id, token=inv.token)  # noqa: E731
        if wrong_user or inv.accepted or inv.refusals >= TOKEN_REFUSALS_MAX:
            inv.refusals += 1
            self.tally[("invitee_accepts", "NotFound")] += 1
            before = self.db.scalars(sa.select(Membership.id).order_by(Membership.id)).all()  # type: ignore[arg-type]
            with pytest.raises(NotFound):
                call()
            self.db.rollback()
            assert self.db.scalars(sa.select(Membership.id).order_by(Membership.id)).all() == before  # type: ignore[arg-type]
            return
        self.tally[("invitee_accepts", "ok")] += 1
        joined = call()
        inv.accepted = True
        self.staff.append(resolve_staff(self.db, user_id=joined.user_id, workspace_id=inv.ws))

    # ------------------------------------------------------------------------------------------------
    # Reads: one record by id, every list

    @precondition(lambda self: any(self.recs.values()))
    @rule(data=st.data())
    def someone_reads_a_record(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(sorted(k for k, v in self.recs.items() if v)))
        rec = self.pick(data, kind)
        table, staff_get, staff_permission, portal_get, contact_permission, visible = READS[kind]
        actor = data.draw(st.sampled_from(self.actors()))
        if isinstance(actor, ContactActor) and portal_get is not None and contact_permission is not None:
            allowed = contact_allowed(actor, contact_permission, rec, visible=visible(rec))
            got = self.attempt(None if allowed else NotFound, lambda: portal_get(self.db, actor, rec.id))
        else:
            got = self.attempt(
                staff_refusal(actor, staff_permission, rec.ws), lambda: staff_get(self.db, actor, rec.id)
            )
        assert got is None or got.id == rec.id

    @rule(data=st.data())
    def staff_reads_lists(self, data: st.DataObject) -> None:
        actor = data.draw(st.sampled_from(self.staff))
        for table, fetch, permission, kwargs in STAFF_LISTS:
            if not role_has(actor.role, permission):
                self.attempt(Forbidden, lambda: fetch(self.db, actor))
                continue
            page = fetch(self.db, actor, limit=100, **kwargs)
            got = [item.id for item in page.items]
            rows = self.db.execute(sa.select(table.id, table.workspace_id)).all()
            assert sorted(got) == sorted(r.id for r in rows if r.workspace_id == actor.workspace_id), table
            assert page.total == len(got)
        listed = members.list_members(self.db, actor)
        ours = self.db.scalars(sa.select(Membership.id).where(Membership.workspace_id == actor.workspace_id))
        assert sorted(m.id for m in listed) == sorted(ours)
        account, ws = data.draw(st.sampled_from(self.accounts))
        people = self.attempt(
            None if ws == actor.workspace_id else NotFound,
            lambda: contacts.list_account_contacts(self.db, actor, account),
        )
        if people is not None:
            linked = self.db.execute(
                sa.select(ContactAccess.contact_id).where(
                    ContactAccess.workspace_id == ws, ContactAccess.account_id == account
                )
            )
            assert sorted(p.id for p, _ in people) == sorted(linked.scalars())
            assert {link.account_id for _, link in people} <= {account}

    @rule(data=st.data())
    def contact_reads_lists(self, data: st.DataObject) -> None:
        actor = data.draw(st.sampled_from(self.contacts))
        for table, fetch, permission, sees in PORTAL_LISTS:
            if permission not in actor.permissions:
                self.attempt(NotFound, lambda: fetch(self.db, actor))
                continue
            page = fetch(self.db, actor, limit=100)
            got = sorted(item.id for item in page.items)
            rows = self.db.execute(sa.select(table.__table__)).all()
            mine = [
                r.id
                for r in rows
                if r.workspace_id == actor.workspace_id
                and r.account_id == actor.account_id
                and sees(actor, r)
            ]
            assert got == sorted(mine), table
            assert page.total == len(got)

    # ------------------------------------------------------------------------------------------------
    # Invariants

    @invariant()
    def members_within_the_seat_limit(self) -> None:
        for t in self.tenants:
            joined = self.db.scalar(sa.select(sa.func.count()).where(Membership.workspace_id == t.ws.id))
            pending = self.db.scalar(
                sa.select(sa.func.count()).where(
                    MemberInvitation.workspace_id == t.ws.id,
                    MemberInvitation.status == InvitationStatus.PENDING,
                )
            )
            assert (joined or 0) + (pending or 0) <= SEAT_LIMIT
            assert joined == sum(1 for a in self.staff if a.workspace_id == t.ws.id)

    @invariant()
    def one_task_and_one_event_per_customer_action(self) -> None:
        task_rows = self.db.execute(
            sa.select(
                FollowUpTask.workspace_id,
                FollowUpTask.created_by_contact_id,
                FollowUpTask.trigger,
                FollowUpTask.source_type,
                FollowUpTask.source_id,
            ).where(FollowUpTask.created_by_contact_id.is_not(None))  # type: ignore[union-attr]
        ).all()
        assert Counter(tuple(r) for r in task_rows) == self.expected_tasks
        event_rows = self.db.execute(
            sa.select(
                AuditEvent.workspace_id,
                AuditEvent.actor_id,
                AuditEvent.action,
                AuditEvent.target_type,
                AuditEvent.target_id,
            ).where(AuditEvent.actor_kind == "contact")
        ).all()
        assert Counter(tuple(r) for r in event_rows) == self.expected_events

    @invariant()
    def balances_equal_accepted_payments(self) -> None:
        paid_by_invoice: Counter[int] = Counter()
        for invoice_id, amount, proof in self.db.execute(
            sa.select(Payment.invoice_id, Payment.amount_minor, Payment.intake_file_id)
        ):
            paid_by_invoice[invoice_id] += amount
            if proof is not None:
                assert self.recs["intake"][proof].status == "accepted"
        for row in self.db.execute(
            sa.select(Invoice.id, Invoice.total_minor, Invoice.amount_paid_minor, Invoice.status)
        ):
            model = self.recs["invoice"][row.id]
            assert row.amount_paid_minor == paid_by_invoice[row.id] == model.paid
            assert row.total_minor - row.amount_paid_minor == model.total - model.paid >= 0
            assert str(row.status) == model.status
        for upload in self.recs["intake"].values():
            if upload.invoice is not None:
                proofs = self.db.scalar(sa.select(sa.func.count()).where(Payment.intake_file_id == upload.id))
                assert proofs == (1 if upload.status == "accepted" else 0)

    @invariant()
    def audit_chains_verify(self) -> None:
        for t in self.tenants:
            report = audit.verify_chain(self.db, t.ws.id)  # type: ignore[arg-type]
            assert report.ok, report.reason


def test_random_staff_and_contact_actions_stay_isolated(engine: sa.Engine, storage_dir: object) -> None:
    IsolationMachine.engine = engine
    IsolationMachine.tally = Counter()
    run_state_machine_as_test(IsolationMachine, settings=MACHINE_SETTINGS)
    # Not vacuous: every action ran, and across the run many calls went ahead and many were refused. (Which action
    # gets how many calls depends on hypothesis' swarm choices, so it is not pinned per action.)
    tally = IsolationMachine.tally
    ran = {name for name, _ in tally}
    assert ran >= set(ACTIONS), set(ACTIONS) - ran
    assert sum(n for (_, outcome), n in tally.items() if outcome == "ok") >= 100
    assert sum(n for (_, outcome), n in tally.items() if outcome != "ok") >= 100

"""Names for a page of audit events, loaded in one batch: one query per kind of name at most, never per row.

Members' and contacts' names, account names and record labels (estimate number, invoice number, approval and
document request titles, task titles, conversation subjects, delivery references, upload file names). Every
query is scoped to the page's workspace; the ids come from that workspace's own events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from models import (
    ApprovalRequest,
    AuditEvent,
    Contact,
    ContactInvitation,
    Delivery,
    DocumentRequest,
    Estimate,
    FollowUpTask,
    IntakeFile,
    Invoice,
    MemberInvitation,
    Membership,
    MessageThread,
    User,
)
from portal_app.formatting import day
from portal_app.services.access import account_names
from portal_app.services.audit_phrases import Facts, quoted

# Target type -> the record's kind as the record column names it. The record filter accepts these types.
RECORD_TYPES: dict[str, str] = {
    "estimate": "Estimate",
    "invoice": "Invoice",
    "approval": "Approval request",
    "document_request": "Document request",
    "task": "Task",
    "message_thread": "Conversation",
    "delivery": "Delivery",
    "intake_file": "Upload",
    "account": "Account",
    "customer_account": "Account",
    "contact": "Contact",
    "contact_invitation": "Portal invitation",
    "membership": "Member",
    "member_invitation": "Member invitation",
    "statement_snapshot": "Statement",
    "workspace": "Workspace",
    "user": "Member",
    "magic_link": "Sign-in link",
}
# How a record reads in a sentence when it is gone (or was never this workspace's).
_MISSING: dict[str, str] = {
    "estimate": "an estimate",
    "invoice": "an invoice",
    "approval": "an approval request",
    "document_request": "a document request",
    "task": "a task",
    "message_thread": "a conversation",
    "delivery": "a delivery",
    "intake_file": "a file",
    "account": "an account",
    "customer_account": "an account",
    "contact": "a contact",
    "contact_invitation": "a portal invitation",
    "membership": "a former member",
    "member_invitation": "someone",
    "statement_snapshot": "the statement",
    "workspace": "the workspace",
    "user": "a former member",
    "magic_link": "a sign-in link",
}
_UPLOAD_NOUNS = {"payment_proof": "Payment proof", "document": "Document", "attachment": "Attachment"}
# Data keys that hold a member's user id, per action (the assignee, the removed member, the new account owner).
_USER_KEYS = {"task.assigned": "assignee_user_id", "member.removed": "user_id", "account.owner_changed": "to"}


def _data(row: AuditEvent) -> dict[str, Any]:
    try:
        value = json.loads(row.data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass
class Names:
    workspace_id: int
    users: dict[int, str] = field(default_factory=dict)
    contacts: dict[int, str] = field(default_factory=dict)
    accounts: dict[int, str] = field(default_factory=dict)
    # target type -> id -> columns of the record (number, title, currency, ...)
    records: dict[str, dict[int, tuple[Any, ...]]] = field(default_factory=dict)
    data: dict[int, dict[str, Any]] = field(default_factory=dict)

    # -- loading ----------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, session: Session, workspace_id: int, rows: Iterable[AuditEvent]) -> Names:
        rows = list(rows)
        names = cls(workspace_id)
        names.data = {id(r): _data(r) for r in rows}
        targets: dict[str, set[int]] = {}
        for r in rows:
            if r.target_id is not None:
                targets.setdefault(r.target_type, set()).add(r.target_id)
        got = names._fetch  # one query per kind present on the page
        uploads = got(
            session,
            "intake_file",
            IntakeFile,
            targets,
            "kind",
            "original_name",
            "invoice_id",
            "document_request_id",
        )
        invitations = got(session, "contact_invitation", ContactInvitation, targets, "contact_id")
        memberships = got(session, "membership", Membership, targets, "user_id")
        got(session, "member_invitation", MemberInvitation, targets, "email")
        extra = {
            "invoice": {u[2] for u in uploads.values() if u[2]},
            "document_request": {u[3] for u in uploads.values() if u[3]},
        }
        for kind, ids in extra.items():
            targets.setdefault(kind, set()).update(ids)
        got(session, "estimate", Estimate, targets, "number")
        got(session, "invoice", Invoice, targets, "number", "currency")
        got(session, "approval", ApprovalRequest, targets, "title")
        got(session, "document_request", DocumentRequest, targets, "title")
        got(session, "task", FollowUpTask, targets, "title")
        got(session, "message_thread", MessageThread, targets, "subject")
        got(session, "delivery", Delivery, targets, "reference")

        user_ids = {r.actor_id for r in rows if r.actor_kind in ("staff", "operator") and r.actor_id}
        user_ids |= {m[0] for m in memberships.values()} | targets.get("user", set())
        for r in rows:
            key = _USER_KEYS.get(r.action)
            if key and _int(names.data[id(r)].get(key)):
                user_ids.add(names.data[id(r)][key])
        if user_ids:
            found = session.exec(select(User.id, User.name, User.email).where(col(User.id).in_(user_ids)))
            names.users = {uid: name or email for uid, name, email in found if uid is not None}

        contact_ids = {r.actor_id for r in rows if r.actor_kind == "contact" and r.actor_id}
        contact_ids |= targets.get("contact", set()) | {i[0] for i in invitations.values()}
        contact_ids |= {c for r in rows if (c := _int(names.data[id(r)].get("contact_id")))}
        if contact_ids:
            found_c = session.exec(
                select(Contact.id, Contact.name).where(
                    Contact.workspace_id == workspace_id, col(Contact.id).in_(contact_ids)
                )
            )
            names.contacts = {cid: name for cid, name in found_c if cid is not None}

        account_ids = {r.account_id for r in rows if r.account_id}
        account_ids |= targets.get("account", set()) | targets.get("customer_account", set())
        if account_ids:
            names.accounts = account_names(session, workspace_id, account_ids)
        return names

    def _fetch(
        self,
        session: Session,
        kind: str,
        model: type[SQLModel],
        targets: dict[str, set[int]],
        *columns: str,
    ) -> dict[int, tuple[Any, ...]]:
        ids = targets.get(kind)
        if not ids:
            self.records[kind] = {}
            return {}
        m: Any = model
        query = select(m.id, *(getattr(m, c) for c in columns)).where(
            m.workspace_id == self.workspace_id, col(m.id).in_(ids)
        )
        found = {row[0]: tuple(row[1:]) for row in session.exec(query)}
        self.records[kind] = found
        return found

    @classmethod
    def record_only(cls, session: Session, workspace_id: int, target_type: str, target_id: int) -> str:
        """The record column's label of one record (the record filter's chip)."""
        probe = AuditEvent(
            workspace_id=workspace_id,
            seq=0,
            actor_kind="system",
            action="",
            target_type=target_type,
            target_id=target_id,
            prev_hash="",
            hash="",
        )
        return cls.load(session, workspace_id, [probe]).record_label(probe)

    # -- reading ----------------------------------------------------------------------------------------------

    def who(self, row: AuditEvent) -> str:
        if row.actor_kind == "staff":
            return self.users.get(row.actor_id or 0, "A former member")
        if row.actor_kind == "contact":
            return self.contacts.get(row.actor_id or 0, "A contact")
        if row.actor_kind == "operator":
            return "A platform operator"
        return "System"

    def user(self, user_id: Any) -> str:
        return self.users.get(user_id, "a former member") if _int(user_id) else "a former member"

    def contact(self, contact_id: Any) -> str:
        return self.contacts.get(contact_id, "a contact") if _int(contact_id) else "a contact"

    def _rec(self, kind: str, record_id: int | None) -> tuple[Any, ...] | None:
        return self.records.get(kind, {}).get(record_id or 0)

    def target(self, row: AuditEvent) -> tuple[str, str]:
        """(how the record reads in a sentence, how the record column names it)."""
        kind, rid = row.target_type, row.target_id
        data = self.data.get(id(row), {})
        noun = RECORD_TYPES.get(kind, kind.replace("_", " ").capitalize())
        rec = self._rec(kind, rid)
        if kind in ("estimate", "invoice", "delivery") and rec:
            text = f"{kind} {rec[0]}"
            return text, noun + text[len(kind) :]
        if kind in ("approval", "document_request") and rec:
            return quoted(rec[0]), f"{noun} {quoted(rec[0])}"
        if kind in ("task", "message_thread") and rec:
            return f"the {noun.lower()} {quoted(rec[0])}", f"{noun} {quoted(rec[0])}"
        if kind == "intake_file" and rec:
            kind_value = getattr(rec[0], "value", rec[0])
            return quoted(rec[1]), f"{_UPLOAD_NOUNS.get(str(kind_value), noun)} {quoted(rec[1])}"
        if kind in ("account", "customer_account") and (rid or 0) in self.accounts:
            return self.accounts[rid or 0], f"Account {self.accounts[rid or 0]}"
        if kind == "contact" and (rid or 0) in self.contacts:
            return self.contacts[rid or 0], f"Contact {self.contacts[rid or 0]}"
        if kind == "contact_invitation" and rec and rec[0] in self.contacts:
            name = self.contacts[rec[0]]
            return f"the portal invitation of {name}", f"Portal invitation for {name}"
        if kind == "membership" and rec and rec[0] in self.users:
            return self.users[rec[0]], f"Member {self.users[rec[0]]}"
        if kind == "user" and (rid or 0) in self.users:
            return self.users[rid or 0], f"Member {self.users[rid or 0]}"
        if kind == "member_invitation":
            email = data.get("email") or (rec[0] if rec else "")
            if email:
                return str(email), f"Invitation for {email}"
        if kind == "statement_snapshot":
            start, end = str(data.get("period_start", "")), str(data.get("period_end", ""))
            period = _period(start, end)
            return "the statement", f"Statement {period}".strip()
        if not kind:
            return "", ""
        return _MISSING.get(kind, "a record"), noun

    def record_label(self, row: AuditEvent) -> str:
        return self.target(row)[1]

    def related(self, row: AuditEvent) -> str:
        """What an upload was for: its invoice or its document request."""
        if row.target_type != "intake_file":
            return ""
        upload = self._rec("intake_file", row.target_id)
        if not upload:
            return ""
        invoice = self._rec("invoice", upload[2]) if upload[2] else None
        if invoice:
            return f"invoice {invoice[0]}"
        request = self._rec("document_request", upload[3]) if upload[3] else None
        return f"the document request {quoted(request[0])}" if request else ""

    def facts(self, row: AuditEvent) -> Facts:
        data = self.data.get(id(row), {})
        target, record = self.target(row)
        invoice = self._rec("invoice", row.target_id) if row.target_type == "invoice" else None
        if row.target_type == "intake_file" and "kind" not in data:
            upload = self._rec("intake_file", row.target_id)
            data = {**data, "kind": str(getattr(upload[0], "value", upload[0]))} if upload else data
        return Facts(
            who=self.who(row),
            target=target,
            record=record[:1].lower() + record[1:] if record else "",
            account=self.accounts.get(row.account_id or 0, ""),
            data=data,
            currency=str(invoice[1]) if invoice else "",
            related=self.related(row),
            user=self.user,
            contact=self.contact,
        )


def _period(start: str, end: str) -> str:
    try:
        return f"{day(date.fromisoformat(start))} – {day(date.fromisoformat(end))}"
    except ValueError:
        return ""

"""Every audit action in plain words: "Alice Buyer approved estimate EST-0007 v2".

Pure Python (no database): ``services/audit_log.py`` batch-loads the names a page needs and hands each event's
facts to :func:`sentence`. Every action the services write has an entry in ``ACTIONS`` (a test collects them from
the source); an action missing here still reads as a sentence, never as ``workspace.time_zone_changed``.
"""

from __future__ import annotations

from models import DeliveryStatus
from portal_app.services.audit_phrases import (
    VIA_WORDS,
    Facts,
    Words,
    branding_changed,
    capitalised,
    contact_invitation_revoked,
    delivery_event,
    estimate_expired,
    intake_review,
    intake_sent,
    invitation_refused,
    invoice_issued,
    member_invitation_revoked,
    owner_changed,
    payment_recorded,
    permissions_words,
    quoted,
    role_words,
    sign_in_refused,
    statement_shared,
    task_assigned,
    task_due_changed,
    template,
)

__all__ = [
    "ACTIONS",
    "GROUPS",
    "TIMELINE",
    "TIMELINE_HIDDEN",
    "Facts",
    "action_label",
    "actions_in",
    "group_of",
    "is_fallback",
    "on_timeline",
    "quoted",
    "sentence",
]

# Group key -> what the action filter shows.
GROUPS: dict[str, str] = {
    "estimates": "Estimates & approvals",
    "invoices": "Invoices & payments",
    "uploads": "Uploads & review",
    "messages": "Messages",
    "tasks": "Tasks",
    "deliveries": "Deliveries",
    "accounts": "Accounts & contacts",
    "reminders": "Reminders",
    "workspace": "Members & settings",
    "sign_ins": "Sign-ins",
}

# action -> (group, what it is in a list of actions, the sentence)
ACTIONS: dict[str, tuple[str, str, Words]] = {
    # estimates and approvals
    "estimate.created": ("estimates", "Estimate created", template("{who} created {target} for {customer}")),
    "estimate.updated": (
        "estimates",
        "Estimate draft edited",
        template("{who} edited the draft of {target}"),
    ),
    "estimate.shared": (
        "estimates",
        "Estimate shared",
        template("{who} shared {target}{version} with {customer}"),
    ),
    "estimate.reissued": ("estimates", "Estimate reissued", template("{who} reissued {target} as{version}")),
    "estimate.expired": ("estimates", "Estimate expired", estimate_expired),
    "estimate.approved": ("estimates", "Estimate approved", template("{who} approved {target}{version}")),
    "estimate.declined": ("estimates", "Estimate declined", template("{who} declined {target}{version}")),
    "estimate.changes_requested": (
        "estimates",
        "Estimate changes asked for",
        template("{who} asked for changes to {target}{version}"),
    ),
    "approval.created": (
        "estimates",
        "Approval requested",
        template("{who} asked {customer} to approve {target}"),
    ),
    "approval.cancelled": (
        "estimates",
        "Approval request cancelled",
        template("{who} cancelled the request to approve {target}"),
    ),
    "approval.pending": (
        "estimates",
        "Approval reopened",
        template("{who} reopened the request to approve {target}"),
    ),
    "approval.approved": ("estimates", "Approval given", template("{who} approved {target}")),
    "approval.declined": ("estimates", "Approval declined", template("{who} declined {target}")),
    "approval.changes_requested": (
        "estimates",
        "Approval changes asked for",
        template("{who} asked for changes to {target}"),
    ),
    # invoices and payments
    "invoice.created": ("invoices", "Invoice created", template("{who} created {target} for {customer}")),
    "invoice.updated": ("invoices", "Invoice draft edited", template("{who} edited the draft of {target}")),
    "invoice.issued": ("invoices", "Invoice issued", invoice_issued),
    "invoice.payment_recorded": ("invoices", "Payment recorded", payment_recorded),
    "invoice.voided": ("invoices", "Invoice voided", template("{who} voided {target}{reason}")),
    "statement.shared": ("invoices", "Statement shared", statement_shared),
    # uploads and their review
    "intake.payment_proof_submitted": ("uploads", "Payment proof sent", intake_sent("payment proof")),
    "intake.document_submitted": ("uploads", "Document uploaded", intake_sent("the document")),
    "intake.attachment_submitted": ("uploads", "File attached to a message", intake_sent("the attachment")),
    "intake.accepted": ("uploads", "Upload accepted", intake_review("accepted")),
    "intake.rejected": ("uploads", "Upload rejected", intake_review("rejected")),
    "document_request.created": (
        "uploads",
        "Documents requested",
        template("{who} asked {customer} for documents: {target}"),
    ),
    "document_request.cancelled": (
        "uploads",
        "Document request cancelled",
        template("{who} cancelled the document request {target}"),
    ),
    # messages
    "message_thread.started": (
        "messages",
        "Conversation started",
        template("{who} started {target} with {customer}"),
    ),
    "message.posted": ("messages", "Message written", template("{who} wrote in {target}")),
    "message.internal_note": (
        "messages",
        "Internal note added",
        template("{who} added an internal note to {target}"),
    ),
    # tasks
    "task.assigned": ("tasks", "Task assigned", task_assigned),
    "task.open": ("tasks", "Task reopened", template("{who} reopened {target}")),
    "task.in_progress": ("tasks", "Task started", template("{who} started on {target}")),
    "task.done": ("tasks", "Task done", template("{who} completed {target}")),
    "task.cancelled": ("tasks", "Task cancelled", template("{who} cancelled {target}")),
    "task.due_changed": ("tasks", "Task due date changed", task_due_changed),
    "task.commented": ("tasks", "Task comment", template("{who} commented on {target}")),
    # deliveries
    "delivery.created": ("deliveries", "Delivery added", template("{who} added {target} for {customer}")),
    "delivery.shared": ("deliveries", "Delivery shared", template("{who} shared {target} with {customer}")),
    "delivery.unshared": (
        "deliveries",
        "Delivery unshared",
        template("{who} stopped sharing {target} with {customer}"),
    ),
    "delivery.event_added": ("deliveries", "Delivery updated", delivery_event),
    # accounts and contacts
    "account.created": ("accounts", "Account created", template("{who} created the account {target}")),
    "account.updated": ("accounts", "Account edited", template("{who} edited the details of {target}")),
    "account.owner_changed": ("accounts", "Account owner changed", owner_changed),
    "contact.invited": (
        "accounts",
        "Contact invited",
        template("{who} invited {target} to the portal of {customer}"),
    ),
    "contact.invitation_revoked": ("accounts", "Contact invitation revoked", contact_invitation_revoked),
    "contact.linked": (
        "accounts",
        "Contact given access",
        lambda f: f"{f.who} gave {f.target} portal access to {f.customer} ({permissions_words(f.data)})",
    ),
    "contact.permissions_changed": (
        "accounts",
        "Contact access changed",
        lambda f: f"{f.who} changed what {f.target} can see of {f.customer}: {permissions_words(f.data)}",
    ),
    "contact.deactivated": (
        "accounts",
        "Contact turned off",
        template("{who} turned off portal access for {target}"),
    ),
    "contact.reactivated": (
        "accounts",
        "Contact turned back on",
        template("{who} turned portal access back on for {target}"),
    ),
    # reminders
    "reminders.policy_changed": (
        "reminders",
        "Reminder schedule changed",
        template("{who} changed the reminder schedule"),
    ),
    "reminders.paused": (
        "reminders",
        "Reminders paused",
        template("{who} paused reminders for {record}{reason}"),
    ),
    "reminders.resumed": ("reminders", "Reminders resumed", template("{who} resumed reminders for {record}")),
    "reminders.unsubscribed": (
        "reminders",
        "Reminders unsubscribed",
        template("{who} unsubscribed from reminder mails"),
    ),
    # members and settings
    "workspace.created": (
        "workspace",
        "Workspace created",
        lambda f: f"{f.who} created the workspace {quoted(str(f.data.get('name') or ''))}",
    ),
    "member.invited": (
        "workspace",
        "Member invited",
        lambda f: f"{f.who} invited {f.data.get('email') or 'someone'} as {role_words(f.data.get('role'))}",
    ),
    "member.joined": (
        "workspace",
        "Member joined",
        lambda f: f"{f.who} joined as {role_words(f.data.get('role'))}",
    ),
    "member.invitation_revoked": ("workspace", "Member invitation revoked", member_invitation_revoked),
    "member.invitation_refused": ("workspace", "Member invitation refused", invitation_refused),
    "member.role_changed": (
        "workspace",
        "Member role changed",
        lambda f: (
            f"{f.who} changed the role of {f.target} from {role_words(f.data.get('from'))} "
            f"to {role_words(f.data.get('to'))}"
        ),
    ),
    "member.removed": (
        "workspace",
        "Member removed",
        lambda f: f"{f.who} removed {f.user(f.data.get('user_id'))} from the workspace",
    ),
    "portal.enabled": ("workspace", "Portal turned on", template("{who} turned the customer portal on")),
    "portal.disabled": ("workspace", "Portal turned off", template("{who} turned the customer portal off")),
    "workspace.customer_mails_on": (
        "workspace",
        "Customer mails on",
        template("{who} turned mails to customers on"),
    ),
    "workspace.customer_mails_off": (
        "workspace",
        "Customer mails off",
        template("{who} turned mails to customers off"),
    ),
    "workspace.payment_instructions_changed": (
        "workspace",
        "Payment instructions changed",
        template("{who} changed the payment instructions"),
    ),
    "workspace.time_zone_changed": (
        "workspace",
        "Time zone changed",
        lambda f: f"{f.who} set the workspace's time zone to {f.data.get('to') or 'UTC'}",
    ),
    "workspace.suspended": (
        "workspace",
        "Workspace suspended",
        template("{who} suspended the workspace{reason}"),
    ),
    "workspace.reinstated": (
        "workspace",
        "Workspace reinstated",
        template("{who} reinstated the workspace{reason}"),
    ),
    "workspace.branding_changed": ("workspace", "Branding changed", branding_changed),
    "workspace.logo_changed": (
        "workspace",
        "Logo changed",
        lambda f: f"{f.who} removed the logo" if f.data.get("removed") else f"{f.who} uploaded a new logo",
    ),
    # sign-ins
    "auth.signed_in": ("sign_ins", "Member signed in", template("{who} signed in")),
    "auth.contact_signed_in": (
        "sign_ins",
        "Contact signed in",
        lambda f: f"{f.who} signed in to the portal {VIA_WORDS.get(str(f.data.get('via')), '')}".rstrip(),
    ),
    "auth.magic_link_sent": ("sign_ins", "Sign-in link sent", template("{who} asked for a sign-in link")),
    "auth.contact_sign_in_refused": ("sign_ins", "Portal sign-in refused", sign_in_refused),
    "auth.operator_signed_in": (
        "sign_ins",
        "Operator signed in",
        template("{who} signed in to the operator area"),
    ),
}


# The account timeline (the account view): portal activity the customer's side saw, what was shared, decided,
# uploaded, reviewed, said and paid. An allowlist, so internal notes, tasks, reminders, account owners, contact
# permissions, drafts and every action added later stay off it until they are named here.
TIMELINE: frozenset[str] = frozenset(
    {
        # records shared, issued, re-issued; the decisions on them
        "estimate.shared",
        "estimate.reissued",
        "estimate.expired",  # the portal shows it expired: no decision possible any more
        "estimate.approved",
        "estimate.declined",
        "estimate.changes_requested",
        "approval.created",
        "approval.cancelled",
        "approval.approved",
        "approval.declined",
        "approval.changes_requested",
        "invoice.issued",
        "invoice.payment_recorded",
        "invoice.voided",
        "statement.shared",
        # uploads and their review; document requests
        "intake.payment_proof_submitted",
        "intake.document_submitted",
        "intake.attachment_submitted",
        "intake.accepted",
        "intake.rejected",
        "document_request.created",
        "document_request.cancelled",
        # what was said: customer messages and the staff replies they read (never an internal note)
        "message_thread.started",
        "message.posted",
        # deliveries the customer sees
        "delivery.shared",
        "delivery.event_added",
        # sign-ins to the portal
        "auth.contact_signed_in",
    }
)
# Entries of a timeline action the customer never saw, as SQL LIKE patterns over the event's canonical JSON data
# (sorted keys, no spaces): an internal delivery update that left the status as it was (an internal status change
# still shows on the delivery, so it stays), an invoice voided while it was a draft, a message marked internal.
TIMELINE_HIDDEN: dict[str, tuple[str, ...]] = {
    "delivery.event_added": tuple(
        f'%"from":"{s.value}",%"internal":true,%"to":"{s.value}"%' for s in DeliveryStatus
    ),
    "invoice.voided": ('%"from":"draft"%',),
    "message.posted": ('%"internal":true%',),
}


def on_timeline(action: str) -> bool:
    return action in TIMELINE


def group_of(action: str) -> str:
    known = ACTIONS.get(action)
    return known[0] if known else ""


def actions_in(group: str) -> tuple[str, ...]:
    return tuple(a for a, (g, _, _) in ACTIONS.items() if g == group)


def action_label(action: str) -> str:
    known = ACTIONS.get(action)
    return known[1] if known else _fallback_words(action)


def _fallback_words(action: str) -> str:
    noun, _, verb = action.partition(".")
    words = f"{noun.replace('_', ' ')} {verb.replace('_', ' ')}".strip()
    return capitalised(words) or "Something happened"


def sentence(action: str, facts: Facts) -> str:
    """The event as a sentence; an action without words reads "Max Manager: workspace time zone changed (…)"
    in words rather than as a code."""
    known = ACTIONS.get(action)
    if known is not None:
        return known[2](facts)
    about = f" ({facts.target})" if facts.target else ""
    return f"{facts.who}: {_fallback_words(action).lower()}{about}"


def is_fallback(action: str) -> bool:
    return action not in ACTIONS

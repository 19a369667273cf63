"""One table of status words and colours for every status enum in ``models/``.

Pure Python (no reflex, no models import: public pages may use it). ``kind`` is the enum's name in snake case
without "Status" (``EstimateStatus`` -> ``"estimate"``, ``DocumentRequestStatus`` -> ``"document_request"``);
``value`` is the enum's value. ``tests/test_formatting.py`` fails when an enum value has no entry here.

Colours (Radix colour scheme names, see UX.md "Words and numbers"): draft grey; shared/sent/in progress blue;
waiting on someone amber (the customer's decision, upload or payment, or a request the team must answer);
approved/accepted/paid/done green; declined/rejected/void/failed red; expired/cancelled/revoked grey. The badge
always shows the word: the colour only repeats it.
"""

from __future__ import annotations

GREY = "gray"
BLUE = "blue"
AMBER = "amber"
GREEN = "green"
RED = "red"

COLORS = frozenset({GREY, BLUE, AMBER, GREEN, RED})

# kind -> value -> (label, colour)
STATUS_TABLE: dict[str, dict[str, tuple[str, str]]] = {
    "estimate": {
        "draft": ("Draft", GREY),
        "shared": ("Shared", BLUE),
        "approved": ("Approved", GREEN),
        "declined": ("Declined", RED),
        "changes_requested": ("Changes requested", AMBER),
        "expired": ("Expired", GREY),
    },
    "invoice": {
        "draft": ("Draft", GREY),
        "open": ("Open", AMBER),
        "partially_paid": ("Partially paid", AMBER),
        "paid": ("Paid", GREEN),
        "void": ("Void", RED),
    },
    "approval": {
        "pending": ("Awaiting decision", AMBER),
        "approved": ("Approved", GREEN),
        "declined": ("Declined", RED),
        "changes_requested": ("Changes requested", AMBER),
        "cancelled": ("Cancelled", GREY),
    },
    "document_request": {
        "open": ("Requested", AMBER),
        "submitted": ("In review", BLUE),
        "fulfilled": (
            "Complete",
            GREEN,
        ),  # every checklist item has an accepted file (contacts read the same word)
        "cancelled": ("Cancelled", GREY),
    },
    "intake": {
        "received": ("Received", BLUE),
        "awaiting_review": ("In review", BLUE),
        "accepted": ("Accepted", GREEN),
        "rejected": ("Rejected", RED),
    },
    "delivery": {
        "scheduled": ("Scheduled", BLUE),
        "in_transit": ("In transit", BLUE),
        "delivered": ("Delivered", GREEN),
        "exception": ("Delivery problem", RED),
        "cancelled": ("Cancelled", GREY),
    },
    "task": {
        "open": ("Open", AMBER),
        "in_progress": ("In progress", BLUE),
        "done": ("Done", GREEN),
        "cancelled": ("Cancelled", GREY),
    },
    "contact": {
        "invited": ("Invited", BLUE),
        "active": ("Active", GREEN),
        "deactivated": ("Deactivated", GREY),
    },
    "invitation": {
        "pending": ("Pending", AMBER),
        "accepted": ("Accepted", GREEN),
        "revoked": ("Revoked", GREY),
        "expired": ("Expired", GREY),
    },
    "workspace": {
        "active": ("Active", GREEN),
        "suspended": ("Suspended", RED),
    },
    "mail": {
        "queued": ("Queued", GREY),
        "sending": ("Sending", BLUE),
        "sent": ("Sent", BLUE),
        "failed": ("Failed", RED),
    },
}


def _fallback_label(value: str) -> str:
    return value.replace("_", " ").strip().capitalize()


def status_label(kind: str, value: str) -> str:
    """The word for a status ("changes_requested" -> "Changes requested"); an unknown value reads as itself."""
    entry = STATUS_TABLE.get(kind, {}).get(str(value))
    return entry[0] if entry else _fallback_label(str(value))


def status_color(kind: str, value: str) -> str:
    """The Radix colour scheme for a status; grey for anything the table does not know."""
    entry = STATUS_TABLE.get(kind, {}).get(str(value))
    return entry[1] if entry else GREY


# Deliveries have two exceptions: a problem (status ``exception``, red, above) and *delayed*, an open delivery whose
# expected date has passed (derived, not a status: amber). Each has an icon, so neither is told by colour alone.
DELIVERY_DELAYED = ("Delayed", AMBER)
DELIVERY_ICONS: dict[str, str] = {"exception": "triangle-alert", "delayed": "clock-alert"}


def status_options(kind: str) -> list[tuple[str, str]]:
    """``(value, label)`` pairs of one kind, in the table's order: the options of a status filter."""
    return [(value, label) for value, (label, _) in STATUS_TABLE[kind].items()]


# The public pages show fictional records whose statuses are phrases ("Payment proof in review", "Task open"),
# not enum values. They take their colour from the first word below that the phrase contains, in this order.
EXAMPLE_WORDS: tuple[tuple[str, str], ...] = (
    ("paid", GREEN),
    ("accepted", GREEN),
    ("approved", GREEN),
    ("delivered", GREEN),
    ("done", GREEN),
    ("review", BLUE),
    ("scheduled", BLUE),
    ("current", BLUE),
    ("overdue", RED),
    ("rejected", RED),
    ("changes", AMBER),
    ("awaiting", AMBER),
    ("requested", AMBER),
    ("open", AMBER),
)


def example_status_color(phrase: str) -> str:
    """The colour of a status phrase on the public pages' example records (grey when no word matches)."""
    lowered = phrase.lower()
    return next((color for word, color in EXAMPLE_WORDS if word in lowered), GREY)

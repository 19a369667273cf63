"""The pieces audit sentences are made of: an event's facts (names already resolved) and the phrases that need
more than a template (amounts, dates, roles, reasons). ``audit_words`` maps every action to one of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portal_app.formatting import day, money
from portal_app.services.permissions import ROLE_LABELS
from portal_app.statuses import status_label

LABEL_MAX = 80  # a title or file name typed by someone, cut in a sentence (the record page shows it whole)
REASON_MAX = 140


def quoted(text: str) -> str:
    """A name someone typed, in quotes and cut to a readable length: “Site plan”."""
    clean = " ".join(str(text).split())
    if len(clean) > LABEL_MAX:
        clean = clean[: LABEL_MAX - 1].rstrip() + "…"
    return f"“{clean}”"


def _reason(data: Mapping[str, Any], key: str = "reason") -> str:
    raw = data.get(key)
    if not isinstance(raw, str) or not raw.strip():
        return ""
    clean = " ".join(raw.split())
    return ": " + (clean if len(clean) <= REASON_MAX else clean[: REASON_MAX - 1].rstrip() + "…")


@dataclass(frozen=True)
class Facts:
    """What one event's sentence may use, already resolved to names (``audit_log`` loads them per page)."""

    who: str  # "Alice Buyer", "System"
    target: str  # the record as it reads after a verb: "estimate EST-0007", "the task “Call back”"
    account: str  # the account's name, "" when none
    record: str = (
        ""  # the record with its kind: "approval request “Site plan”" (where the target is its title)
    )
    data: Mapping[str, Any] = field(default_factory=dict)
    currency: str = ""  # the target invoice's currency (payments)
    related: str = ""  # what an upload was for: "invoice INV-0042", "the document request “Tax forms”"
    user: Callable[[Any], str] = lambda _id: "a former member"
    contact: Callable[[Any], str] = lambda _id: "a contact"

    @property
    def customer(self) -> str:
        return self.account or "the customer"

    @property
    def version(self) -> str:
        v = self.data.get("version")
        return f" v{v}" if isinstance(v, int) and not isinstance(v, bool) else ""


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _day(raw: Any) -> str:
    try:
        return day(date.fromisoformat(str(raw)))
    except ValueError:
        return ""


def _amount(f: Facts, key: str) -> str:
    value = f.data.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and f.currency:
        return money(value, f.currency)
    return ""


_ROLE_WORDS = {role.value: label for role, label in ROLE_LABELS.items()}


def role_words(raw: Any) -> str:
    return _ROLE_WORDS.get(str(raw), "member")


VIA_WORDS = {
    "magic_link": "with an email link",
    "invitation": "from an invitation",
    "oidc": "with single sign-on",
}
_REFUSED = {
    "expired": "the link had expired",
    "reused": "the link had been used already",
    "revoked": "the link had been revoked",
    "too_many_attempts": "too many attempts",
    "portal_closed": "the portal was closed",
}
_INVITER = {
    "inviter_removed": "the member who sent it was removed",
    "inviter_role_lowered": "the role of the member who sent it changed",
}
_INTAKE_NOUN = {"payment_proof": "payment proof", "document": "the document", "attachment": "the attachment"}


def permissions_words(data: Mapping[str, Any]) -> str:
    areas = [
        word
        for key, word in (("billing", "billing"), ("operations", "operations"), ("documents", "documents"))
        if data.get(key)
    ]
    return ", ".join(areas) + " and messages" if areas else "messages only"


def estimate_expired(f: Facts) -> str:
    return f"{capitalised(f.target)}{f.version} expired"


def payment_recorded(f: Facts) -> str:
    amount = _amount(f, "amount_minor")
    how = " from the payment proof" if f.data.get("intake_file_id") else ""
    return f"{f.who} recorded a payment{' of ' + amount if amount else ''} on {f.target}{how}"


def invoice_issued(f: Facts) -> str:
    total, due = _amount(f, "total_minor"), _day(f.data.get("due_date"))
    return f"{f.who} issued {f.target}" + (f" for {total}" if total else "") + (f", due {due}" if due else "")


def task_assigned(f: Facts) -> str:
    to = f.data.get("assignee_user_id")
    if to is None:
        return f"{f.who} unassigned {f.target}"
    return f"{f.who} assigned {f.target} to {f.user(to)}"


def task_due_changed(f: Facts) -> str:
    to = _day(f.data.get("to"))
    return (
        f"{f.who} set the due date of {f.target} to {to}"
        if to
        else f"{f.who} removed the due date of {f.target}"
    )


def delivery_event(f: Facts) -> str:
    before, after = f.data.get("from"), f.data.get("to")
    note = "an internal update" if f.data.get("internal") else "an update"
    if after and after != before:
        return f"{f.who} marked {f.target} as {status_label('delivery', str(after)).lower()}"
    return f"{f.who} added {note} to {f.target}"


def statement_shared(f: Facts) -> str:
    start, end = _day(f.data.get("period_start")), _day(f.data.get("period_end"))
    period = f" for {start} – {end}" if start and end else ""
    return f"{f.who} shared the statement{period} with {f.customer}"


def owner_changed(f: Facts) -> str:
    to = f.data.get("to")
    return (
        f"{f.who} made {f.user(to)} the owner of {f.target}"
        if to
        else f"{f.who} removed the owner of {f.target}"
    )


def intake_sent(noun: str) -> Callable[[Facts], str]:
    def words(f: Facts) -> str:
        where = f" for {f.related}" if f.related else ""
        return f"{f.who} sent {noun} {f.target}{where}"

    return words


def intake_review(verb: str) -> Callable[[Facts], str]:
    def words(f: Facts) -> str:
        noun = _INTAKE_NOUN.get(str(f.data.get("kind")), "the file")
        where = f" for {f.related}" if f.related else ""
        return f"{f.who} {verb} {noun} {f.target}{where}" + (_reason(f.data) if verb == "rejected" else "")

    return words


def contact_invitation_revoked(f: Facts) -> str:
    why = _INVITER.get(str(f.data.get("reason")), "")
    return f"{f.who} revoked {f.target}" + (f" ({why})" if why else "")


def member_invitation_revoked(f: Facts) -> str:
    why = _INVITER.get(str(f.data.get("reason")), "")
    return f"{f.who} revoked the invitation for {f.target}" + (f" ({why})" if why else "")


def sign_in_refused(f: Facts) -> str:
    why = _REFUSED.get(str(f.data.get("reason")), "the link was not valid")
    return f"A portal sign-in by {f.who} was refused: {why}"


def invitation_refused(f: Facts) -> str:
    why = "it had expired" if f.data.get("reason") == "expired" else "it was not valid for them"
    return f"{f.who} could not join with an invitation: {why}"


_BRANDING_FIELDS = {
    "display_name": "display name",
    "accent_color": "accent colour",
    "welcome_text": "welcome text",
}


def branding_changed(f: Facts) -> str:
    fields = f.data.get("fields")
    named = [_BRANDING_FIELDS[x] for x in fields if x in _BRANDING_FIELDS] if isinstance(fields, list) else []
    if not named:
        return f"{f.who} changed the portal's branding"
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return f"{f.who} changed the portal's {listed}"


Words = Callable[[Facts], str]


def template(text: str) -> Words:
    """A sentence from a template over the facts: ``{who}``, ``{target}``, ``{Target}``, ``{record}``,
    ``{customer}``, ``{version}``, ``{reason}``."""

    def words(f: Facts) -> str:
        return text.format(
            who=f.who,
            target=f.target,
            Target=capitalised(f.target),
            record=f.record or f.target,
            customer=f.customer,
            version=f.version,
            reason=_reason(f.data),
        )

    return words

"""The public workflow preview (``/preview``): one walkthrough on synthetic data, staff view beside contact view.

Everything here is example data held in this tab's state: no database, no services, no sign-in, no file is
written and no workspace can be reached. The state is small and bounded (a handful of statuses, two short texts
and an audit list with a fixed maximum) and every handler is public, so each one checks that its action fits the
current step and state and ignores anything else: a forged event can neither break the walkthrough nor grow it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVarTuple

import reflex as rx

if TYPE_CHECKING:
    from reflex_base.event import EventCallback

    _Args = TypeVarTuple("_Args")

    def event(func: Callable[[Any, *_Args], Any]) -> EventCallback[*_Args]:
        """``rx.event`` as mypy should see it (the same shim as state/base.py, without its database imports)."""
        ...
else:
    event = rx.event


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    actor: str  # whose action the step is about
    summary: str


STEPS: tuple[Step, ...] = (
    Step(
        "share",
        "Staff share an estimate",
        "Owner / manager",
        "The owner shares estimate EST-1042 with the Acme Logistics account. Only that account's contacts see it.",
    ),
    Step(
        "approve",
        "The contact approves it",
        "Customer contact",
        "Dana Reyes, a contact at Acme Logistics with billing and operations permissions, reviews the estimate "
        "and approves it with a typed signature. She could also decline or request changes.",
    ),
    Step(
        "task",
        "A follow-up task appears",
        "Team lead",
        "The approval does not edit any record by itself: it opens a follow-up task for the team lead, tied to "
        "the estimate it came from.",
    ),
    Step(
        "upload",
        "The contact sends payment proof",
        "Customer contact",
        "Dana uploads a bank transfer receipt for invoice INV-2217. It lands in quarantined, review-only intake: "
        "the invoice is not touched.",
    ),
    Step(
        "review",
        "The finance reviewer decides",
        "Finance / admin reviewer",
        "The finance reviewer accepts the proof, which records the payment and updates the balance, or rejects "
        "it with a reason and the invoice stays as it was.",
    ),
    Step(
        "audit",
        "Every step is on the audit trail",
        "Owner / manager",
        "The owner sees who did what and when: sharing, approval, upload, review and the follow-up work, in one "
        "append-only trail.",
    ),
)
STEP_KEYS = tuple(step.key for step in STEPS)
LAST_STEP = len(STEPS) - 1


def step_index(key: str) -> int:
    return STEP_KEYS.index(key)


# -- Example data (fictional company, people and amounts) ----------------------------------------------------

WORKSPACE = "Harbor & Pine Studio"
ACCOUNT = "Acme Logistics"
CONTACT = "Dana Reyes"
CONTACT_ROLE = "Billing and operations contact"
OWNER = "Maya Chen"
TEAM_LEAD = "Luis Ortega"
FINANCE = "Priya Nair"

ESTIMATE_REF = "EST-1042"
ESTIMATE_TITLE = "Warehouse signage refresh"
ESTIMATE_LINES: tuple[tuple[str, str], ...] = (
    ("Design and proofs", "$2,400.00"),
    ("Signage production and install", "$10,000.00"),
)
ESTIMATE_TOTAL = "$12,400.00"

INVOICE_REF = "INV-2217"
INVOICE_TITLE = "Deposit for EST-1042"
INVOICE_TOTAL_CENTS = 320_000
EARLIER_INVOICE_REF = "INV-2190"
EARLIER_INVOICE_CENTS = 115_000
PROOF_REF = "PP-0031"
PROOF_FILE = "transfer-receipt-acme.pdf"
DELIVERY_REF = "DEL-0577"

# Text limits: typed values are cut to these lengths before they are stored.
SIGNATURE_MAX = 60
SIGNATURE_MIN = 3
REASON_MAX = 200
REASON_MIN = 5
AUDIT_MAX = 12  # more than one walkthrough can produce; the list never grows past it

ESTIMATE_STATUSES = ("draft", "shared", "approved")
PROOF_STATUSES = ("", "pending", "accepted", "rejected")


def money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def _field(form_data: Any, name: str, limit: int) -> str:
    """One typed form field as stored: a string only, control characters dropped, spaces collapsed, cut short."""
    value = form_data.get(name) if isinstance(form_data, dict) else None
    if not isinstance(value, str):
        return ""
    printable = "".join(ch for ch in value[: limit * 4] if ch.isprintable())
    return " ".join(printable.split())[:limit]


def _step_arg(value: Any) -> int | None:
    """A step from the browser: an index or a step key; anything else is refused (None)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value in STEP_KEYS:
            return step_index(value)
        if value.strip().isdigit() and len(value.strip()) <= 3:
            return int(value.strip())
    return None


class PreviewState(rx.State):
    """The walkthrough. Deliberately not a child of BaseState: it has no actor and reaches no database."""

    step: int = 0
    estimate_status: str = "draft"  # draft -> shared -> approved
    signature: str = ""
    task_status: str = ""  # "" -> open -> done (the approval's follow-up task)
    proof_status: str = ""  # "" -> pending -> accepted | rejected
    reject_reason: str = ""
    notice: str = ""  # why the last action was refused, shown beside the controls
    audit: list[str] = []

    # -- derived -----------------------------------------------------------------------------------------------

    @rx.var
    def max_step(self) -> int:
        return self._reachable()

    @rx.var
    def can_go_next(self) -> bool:
        return self.step < self._reachable()

    @rx.var
    def step_title(self) -> str:
        return STEPS[self._clamped(self.step)].title

    @rx.var
    def step_actor(self) -> str:
        return STEPS[self._clamped(self.step)].actor

    @rx.var
    def step_summary(self) -> str:
        return STEPS[self._clamped(self.step)].summary

    @rx.var
    def step_label(self) -> str:
        return f"Step {self._clamped(self.step) + 1} of {len(STEPS)}"

    @rx.var
    def invoice_paid(self) -> bool:
        return self.proof_status == "accepted"

    @rx.var
    def invoice_balance(self) -> str:
        return money(0 if self.proof_status == "accepted" else INVOICE_TOTAL_CENTS)

    @rx.var
    def statement_balance(self) -> str:
        paid = INVOICE_TOTAL_CENTS if self.proof_status == "accepted" else 0
        return money(EARLIER_INVOICE_CENTS + INVOICE_TOTAL_CENTS - paid)

    @rx.var
    def tasks(self) -> list[dict[str, str]]:
        """The follow-up tasks the customer's actions opened (at most two)."""
        out: list[dict[str, str]] = []
        if self.estimate_status == "approved":
            out.append(
                {
                    "title": f"Confirm start date for {ESTIMATE_REF}",
                    "source": f"Approval of {ESTIMATE_REF} by {CONTACT}",
                    "assignee": f"{TEAM_LEAD} · team lead",
                    "status": self.task_status or "open",
                }
            )
        if self.proof_status:
            out.append(
                {
                    "title": f"Review payment proof {PROOF_REF}",
                    "source": f"Upload for {INVOICE_REF} by {CONTACT}",
                    "assignee": f"{FINANCE} · finance reviewer",
                    "status": "open" if self.proof_status == "pending" else "done",
                }
            )
        return out

    # -- helpers -----------------------------------------------------------------------------------------------

    @staticmethod
    def _clamped(value: int) -> int:
        return min(max(value, 0), LAST_STEP)

    def _reachable(self) -> int:
        """The furthest step reachable now: a step opens once the one before it is done."""
        if self.estimate_status == "draft":
            return step_index("share")
        if self.estimate_status != "approved":
            return step_index("approve")
        if self.proof_status == "":
            return step_index("upload")
        if self.proof_status == "pending":
            return step_index("review")
        return LAST_STEP

    def _log(self, line: str) -> None:
        if len(self.audit) < AUDIT_MAX:
            self.audit = [*self.audit, line]

    def _at(self, key: str) -> bool:
        """Whether the walkthrough is on step ``key``; otherwise the action is refused with a notice."""
        if self.step == step_index(key):
            return True
        self.notice = "That action belongs to another step of the walkthrough."
        return False

    def _share(self) -> None:
        self.estimate_status = "shared"
        self._log(f"09:02 · {OWNER} (owner) shared {ESTIMATE_REF} with {ACCOUNT}")

    def _approve(self, signature: str) -> None:
        self.estimate_status = "approved"
        self.signature = signature
        self.task_status = "open"
        self._log(f"10:15 · {CONTACT} (contact) approved {ESTIMATE_REF}, signed “{signature}”")
        self._log(f"10:15 · Follow-up task opened for {TEAM_LEAD}: confirm start date for {ESTIMATE_REF}")

    def _upload(self) -> None:
        self.proof_status = "pending"
        self._log(
            f"11:40 · {CONTACT} (contact) uploaded payment proof {PROOF_REF} for {INVOICE_REF}, quarantined"
        )
        self._log(f"11:40 · Follow-up task opened for {FINANCE}: review {PROOF_REF}")

    # -- events ------------------------------------------------------------------------------------------------

    @event
    def load(self) -> None:
        """Open at ``?step=<key>`` when a connected-record page links here.

        Earlier steps are completed with the example values so the walkthrough stays consistent; the review
        decision is never taken for the visitor, so the furthest a link can open is the review step.
        """
        target = _step_arg(self.router.url.query_parameters.get("step", ""))
        if target is None:
            return
        target = self._clamped(target)
        if target >= step_index("approve") and self.estimate_status == "draft":
            self._share()
        if target >= step_index("task") and self.estimate_status == "shared":
            self._approve(CONTACT)
        if target >= step_index("review") and self.proof_status == "":
            self._upload()
        self.step = min(target, self._reachable())
        self.notice = ""

    @event
    def go_to(self, step: Any) -> None:
        target = _step_arg(step)
        if target is None:
            return
        self.step = min(self._clamped(target), self._reachable())
        self.notice = ""

    @event
    def next_step(self) -> None:
        self.step = min(self._clamped(self.step + 1), self._reachable())
        self.notice = ""

    @event
    def previous_step(self) -> None:
        self.step = self._clamped(self.step - 1)
        self.notice = ""

    @event
    def share_estimate(self) -> None:
        if not self._at("share") or self.estimate_status != "draft":
            return
        self._share()
        self.notice = ""

    @event
    def approve_estimate(self, form_data: Any) -> None:
        """The contact's approval form: ``{"signature": <typed full name>}``."""
        if not self._at("approve") or self.estimate_status != "shared":
            return
        signature = _field(form_data, "signature", SIGNATURE_MAX)
        if len(signature) < SIGNATURE_MIN:
            self.notice = "Type your full name to sign the approval."
            return
        self._approve(signature)
        self.notice = ""

    @event
    def complete_task(self) -> None:
        if not self._at("task") or self.task_status != "open":
            return
        self.task_status = "done"
        self._log(f"13:05 · {TEAM_LEAD} (team lead) completed the follow-up task for {ESTIMATE_REF}")
        self.notice = ""

    @event
    def upload_proof(self) -> None:
        if not self._at("upload") or self.proof_status != "":
            return
        self._upload()
        self.notice = ""

    @event
    def accept_proof(self) -> None:
        """The reviewer accepts: this, not the upload, records the payment."""
        if not self._at("review") or self.proof_status != "pending":
            return
        self.proof_status = "accepted"
        self._log(f"14:20 · {FINANCE} (finance reviewer) accepted {PROOF_REF}")
        self._log(f"14:20 · Payment of {money(INVOICE_TOTAL_CENTS)} recorded on {INVOICE_REF}, balance $0.00")
        self.notice = ""

    @event
    def reject_proof(self, form_data: Any) -> None:
        """The reviewer's rejection form: ``{"reason": <text the contact sees>}``. The invoice stays as it was."""
        if not self._at("review") or self.proof_status != "pending":
            return
        reason = _field(form_data, "reason", REASON_MAX)
        if len(reason) < REASON_MIN:
            self.notice = f"Give the contact a reason of at least {REASON_MIN} characters."
            return
        self.proof_status = "rejected"
        self.reject_reason = reason
        self._log(f"14:20 · {FINANCE} (finance reviewer) rejected {PROOF_REF}: “{reason}”")
        self._log(f"14:20 · {INVOICE_REF} unchanged, balance {money(INVOICE_TOTAL_CENTS)}")
        self.notice = ""

    @event
    def reset_preview(self) -> None:
        self.step = 0
        self.estimate_status = "draft"
        self.signature = ""
        self.task_status = ""
        self.proof_status = ""
        self.reject_reason = ""
        self.notice = ""
        self.audit = []

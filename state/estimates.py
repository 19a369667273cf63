"""Staff estimate pages: the list and the detail (the draft / re-issue form is ``state/estimate_form.py``).

Display rows only: money and dates are formatted here, internal fields (costs, internal notes) reach only staff
pages, and the "what the contact sees" preview is projected through the portal DTO so it cannot carry them.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import EstimateStatus
from models.portal import PortalEstimate
from models.schemas import EstimateLineRead, EstimateRead
from portal_app import routes
from portal_app.formatting import day, exact, money, relative
from portal_app.services import estimates, tasks
from portal_app.services.access import StaffActor
from portal_app.services.permissions import Permission, role_has
from portal_app.statuses import status_color, status_label
from state.audit import history_href
from state.base import Events, event
from state.inputs import percent_text
from state.mixins import DetailMixin, ListMixin
from state.pages import StaffArea, StaffPage
from state.reminders import RecordRemindersMixin
from state.tasks import ALL_STATUSES, TaskRow, task_rows

STATUS_VALUES = tuple(s.value for s in EstimateStatus)
TASKS_SHOWN = 20


def _pct(bp: int) -> str:
    return f"{percent_text(bp)} %"


# -- list ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class EstimateRow:
    id: int
    href: str
    number: str
    title: str
    account: str
    status_label: str
    status_color: str
    total: str
    updated: str
    updated_exact: str


class EstimatesListState(StaffPage, ListMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.ESTIMATES_READ
    # "decided": approved, declined or changes requested, the latest decision first; "decided_7d": those of the last
    # 7 days (the command center's signal links here).
    FILTERS: ClassVar[dict[str, tuple[str, ...]]] = {
        "status": ("", "decided", "decided_7d", *STATUS_VALUES),
        "account": ("all",),  # an account's id from its page's "View all" link
    }
    ID_FILTERS: ClassVar[tuple[str, ...]] = ("account",)

    rows: list[EstimateRow] = []
    can_manage: bool = False

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        status = self._filter("status")
        query: dict[str, Any] = {
            "status": EstimateStatus(status) if status in STATUS_VALUES else None,
            "decided": status in ("decided", "decided_7d"),
            "decided_within_days": 7 if status == "decided_7d" else None,
            "account_id": self._filter_id("account"),
            "search": self.search,
        }
        page = estimates.list_estimates(session, actor, offset=self.offset, limit=self.PAGE_SIZE, **query)
        self.total = page.total
        if not page.items and page.total:  # a page past the end (forged offset, rows gone): the last page
            self._clamp_offset()
            page = estimates.list_estimates(session, actor, offset=self.offset, limit=self.PAGE_SIZE, **query)
        names = estimates.account_names(session, actor, [e.account_id for e in page.items])
        self.rows = [
            EstimateRow(
                id=e.id,
                href=routes.record_url(routes.STAFF_ESTIMATES, e.id),
                number=e.number,
                title=e.title,
                account=names.get(e.account_id, ""),
                status_label=status_label("estimate", e.status.value),
                status_color=status_color("estimate", e.status.value),
                total=money(e.total_minor, e.currency),
                updated=relative(e.updated_at),
                updated_exact=exact(e.updated_at),
            )
            for e in page.items
        ]
        self.can_manage = role_has(actor.role, Permission.ESTIMATES_MANAGE)
        return None

    @rx.var
    def status_filter(self) -> str:
        """The status select's value ("all" stands for no filter: Radix reserves the empty value)."""
        return self.filters.get("status", "") or "all"

    @event
    def choose_status(self, value: str) -> Events:
        return self.set_filter("status", "" if value == "all" else value)


# -- detail ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class LineView:
    position: int
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    net: str
    unit_cost: str = ""


@dataclasses.dataclass
class VersionView:
    label: str
    date: str
    total: str
    lines: str
    current: bool


@dataclasses.dataclass
class ChangeView:
    kind: str
    color: str
    description: str
    before: str
    after: str


@dataclasses.dataclass
class Fact:
    label: str
    value: str


def _line_view(line: Any, currency: str, *, with_cost: bool) -> LineView:
    return LineView(
        position=line.position,
        description=line.description,
        quantity=str(line.quantity),
        unit_price=money(line.unit_price_minor, currency),
        tax_rate=_pct(line.tax_rate_bp),
        net=money(line.total_minor, currency),
        unit_cost=money(line.unit_cost_minor, currency) if with_cost else "",
    )


def _line_summary(line: EstimateLineRead | None, currency: str) -> str:
    if line is None:
        return ""
    text = f"{line.quantity} × {money(line.unit_price_minor, currency)}, tax {_pct(line.tax_rate_bp)}"
    return text + (f", cost {money(line.unit_cost_minor, currency)}" if line.unit_cost_minor else "")


_CHANGE = {"added": ("Added", "green"), "removed": ("Removed", "red"), "changed": ("Changed", "amber")}


class EstimateDetailState(StaffPage, DetailMixin, RecordRemindersMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.ESTIMATES_READ
    REMINDER_RECORD: ClassVar[str] = "estimate"

    number: str = ""
    title: str = ""
    status_label: str = ""
    status_color: str = ""
    account_name: str = ""
    account_href: str = ""
    valid_until: str = ""
    version: str = ""
    created: str = ""
    shared: str = ""
    decided: str = ""
    lines: list[LineView] = []
    subtotal: str = ""
    tax: str = ""
    total: str = ""
    cost: str = ""
    internal_notes: str = ""
    customer_notes: str = ""
    versions: list[VersionView] = []
    changes: list[ChangeView] = []
    previous_version: int = 0
    decision_label: str = ""  # "" when the customer has not decided
    decision_color: str = ""
    decided_by: str = ""
    decided_at: str = ""
    signature: str = ""
    decision_note: str = ""
    preview_visible: bool = False
    preview_lines: list[LineView] = []
    preview_facts: list[Fact] = []
    preview_notes: str = ""
    tasks: list[TaskRow] = []
    can_edit: bool = False
    can_share: bool = False
    can_reissue: bool = False
    edit_href: str = ""
    pdf_href: str = ""
    history_href: str = ""  # the audit log filtered to this estimate ("" for members who may not read it)

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        detail = estimates.get_estimate_detail(session, actor, self._record_id())
        est = detail.estimate
        cur = est.currency
        self.number, self.title = est.number, est.title
        self.status_label = status_label("estimate", est.status.value)
        self.status_color = status_color("estimate", est.status.value)
        self.account_name = detail.account_name
        self.account_href = routes.record_url(routes.STAFF_ACCOUNTS, est.account_id)
        self.history_href = history_href(actor, "estimate", est.id)
        self.valid_until = day(est.valid_until) or "No end date"
        self.version = str(est.current_version)
        self.created = day(est.created_at)
        self.shared = day(est.shared_at) or "Not shared yet"
        self.decided = day(est.decided_at) or "Not yet"
        self.lines = [_line_view(ln, cur, with_cost=True) for ln in est.lines]
        self.subtotal, self.tax = money(est.subtotal_minor, cur), money(est.tax_minor, cur)
        self.total, self.cost = money(est.total_minor, cur), money(est.cost_minor, cur)
        self.internal_notes, self.customer_notes = est.internal_notes, est.customer_notes
        self.versions = [
            VersionView(
                label=f"Version {v.version}",
                date=day(v.created_at),
                total=money(v.total_minor, cur),
                lines=f"{v.line_count} line{'s' if v.line_count != 1 else ''}",
                current=v.version == est.current_version,
            )
            for v in detail.versions
        ]
        self.previous_version = est.current_version - 1 if est.current_version > 1 else 0
        self.changes = [
            ChangeView(
                kind=_CHANGE[c.kind][0],
                color=_CHANGE[c.kind][1],
                description=c.description,
                before=_line_summary(c.before, cur),
                after=_line_summary(c.after, cur),
            )
            for c in detail.changes
        ]
        self._fill_decision(est, detail.decided_by, detail.signature)
        self._fill_preview(est)
        follow_ups = tasks.list_tasks(
            session, actor, source_type="estimate", source_id=est.id, statuses=ALL_STATUSES, limit=TASKS_SHOWN
        )
        self.tasks = task_rows(follow_ups)
        manage = role_has(actor.role, Permission.ESTIMATES_MANAGE)
        self.can_edit = self.can_share = manage and est.status is EstimateStatus.DRAFT
        self.can_reissue = manage and est.status in estimates.REISSUABLE
        self.edit_href = routes.record_url(routes.STAFF_ESTIMATES, est.id, routes.EDIT)
        self.pdf_href = routes.file_url(routes.FILES_ESTIMATES, est.id, ".pdf")
        self._fill_reminders(session, actor, est.id, est.account_id)
        return None

    def _fill_decision(self, est: EstimateRead, decided_by: str, signature: str) -> None:
        decided = est.decided_at is not None and est.status in (
            EstimateStatus.APPROVED,
            EstimateStatus.DECLINED,
            EstimateStatus.CHANGES_REQUESTED,
        )
        self.decision_label = status_label("estimate", est.status.value) if decided else ""
        self.decision_color = status_color("estimate", est.status.value) if decided else ""
        self.decided_by = decided_by if decided else ""
        self.decided_at = exact(est.decided_at) if decided else ""
        self.signature = signature if decided else ""
        self.decision_note = est.decision_note if decided else ""

    def _fill_preview(self, est: EstimateRead) -> None:
        """What the account's contacts see, projected through the portal DTO: it has no field for internal
        notes or costs, so they cannot appear here even by mistake."""
        seen = PortalEstimate.model_validate(est.model_dump())
        cur = seen.currency
        self.preview_visible = seen.status is not EstimateStatus.DRAFT
        self.preview_lines = [_line_view(ln, cur, with_cost=False) for ln in seen.lines]
        self.preview_facts = [
            Fact("Version", str(seen.current_version)),
            Fact("Valid until", day(seen.valid_until) or "No end date"),
            Fact("Subtotal", money(seen.subtotal_minor, cur)),
            Fact("Tax", money(seen.tax_minor, cur)),
            Fact("Total", money(seen.total_minor, cur)),
        ]
        self.preview_notes = seen.customer_notes

    @rx.var
    def share_label(self) -> str:
        return f"Share with {self.account_name}" if self.account_name else "Share"

    @event
    def share(self) -> Events:
        def work(session: Session, actor: StaffActor) -> Events:
            shared = estimates.share_estimate(session, actor, self._record_id())
            self._fetch(session, actor)
            return rx.toast.success(
                f"{shared.number} shared. {self.account_name}'s contacts can see it now and will decide in the "
                "portal; their answer becomes a task for the team."
            )

        return self._act(work)

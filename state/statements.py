"""Account statements (``/app/statements``): pick an account and a period; opening balance, the period's activity
with a running balance, closing balance and aging; PDF and CSV; share a frozen copy with the account's contacts.

The period and statement display are ``StatementMixin``'s, shared with the contact page
(``state/portal_statements.py``). The account chosen comes from a select (or the ``account`` query parameter, e.g.
a link from the account page): only an id among the workspace's accounts is kept, and the services scope it again.
What a share sends is what this tab loaded (``_shown_account``, ``_shown_start``, ``_shown_end``: backend vars the
browser cannot set), never a value from the browser.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models.schemas import StatementRead
from portal_app import routes
from portal_app.formatting import balance, day, exact, money, relative
from portal_app.services import accounts, invoices, snapshots, statements
from portal_app.services.access import StaffActor, log_authorization_failure
from portal_app.services.aging import AGING_LABELS
from portal_app.services.errors import NotFound, ValidationFailed
from portal_app.services.permissions import Permission, role_has
from state.base import Events, event, parse_id
from state.inputs import InputError, parse_day
from state.mixins import FormMixin
from state.pages import StaffArea, StaffPage

ACCOUNTS_SHOWN = 100  # the account select lists the first 100 by name, like the estimate form
SNAPSHOTS_SHOWN = 10

# (key, label). "custom" takes the start and end dates typed in the form.
PRESETS: tuple[tuple[str, str], ...] = (
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("this_year", "This year"),
    ("last_12_months", "Last 12 months"),
    ("custom", "Custom dates"),
)
PORTAL_PRESETS: tuple[tuple[str, str], ...] = (("last_3_months", "Last 3 months"), *PRESETS)
CUSTOM = "custom"


# -- periods (pure) --------------------------------------------------------------------------------------------


def _month_start(d: date, back: int = 0) -> date:
    index = d.year * 12 + d.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def preset_period(key: str, today: date) -> tuple[date, date] | None:
    """The ``[start, end]`` of a preset as of ``today`` ("this …" periods end today); None for anything else."""
    quarter = _month_start(today, (today.month - 1) % 3)
    if key == "this_month":
        return _month_start(today), today
    if key == "last_month":
        return _month_start(today, 1), _month_start(today) - timedelta(days=1)
    if key == "this_quarter":
        return quarter, today
    if key == "last_quarter":
        return _month_start(quarter, 3), quarter - timedelta(days=1)
    if key == "this_year":
        return date(today.year, 1, 1), today
    if key == "last_12_months":
        return add_years(today, -1) + timedelta(days=1), today
    if key == "last_3_months":
        return _month_start(today, 2), today
    return None


def period_text(start: date, end: date) -> str:
    return f"{day(start)} – {day(end)}"


# -- rows (display strings only) -------------------------------------------------------------------------------


@dataclasses.dataclass
class StatementRow:
    on: str
    kind: str  # "Invoice", "Payment"
    reference: str
    description: str
    debit: str
    credit: str
    balance: str


@dataclasses.dataclass
class AgingRow:
    label: str
    amount: str


@dataclasses.dataclass
class SnapshotRow:
    id: int
    period: str
    shared: str
    shared_exact: str
    shared_by: str
    closing: str
    pdf_href: str
    csv_href: str


@dataclasses.dataclass
class AccountOption:
    id: str
    label: str


def snapshot_rows(items: Any) -> list[SnapshotRow]:
    return [
        SnapshotRow(
            id=s.id,
            period=period_text(s.period_start, s.period_end),
            shared=relative(s.shared_at),
            shared_exact=exact(s.shared_at),
            shared_by=s.shared_by,
            closing=balance(s.statement.closing_balance_minor, s.statement.currency),
            pdf_href=routes.file_url(routes.FILES_SNAPSHOTS, s.id, ".pdf"),
            csv_href=routes.file_url(routes.FILES_SNAPSHOTS, s.id, ".csv"),
        )
        for s in items
    ]


class StatementMixin(rx.State, mixin=True):
    """The period picker and the statement shown: ``_period()`` reads the chosen period (field errors for bad custom
    dates), ``_show(statement)`` fills the display, ``_clear_statement()`` empties it.

    Combine with ``FormMixin`` (the per-field errors); set ``PERIODS`` (allowed presets) and ``DEFAULT_PERIOD``.
    """

    PERIODS: ClassVar[tuple[tuple[str, str], ...]] = PRESETS
    DEFAULT_PERIOD: ClassVar[str] = "this_month"

    period: str = ""
    start: str = ""  # the custom dates as typed (ISO from a date input), kept on error
    end: str = ""
    period_label: str = ""
    has_statement: bool = False
    currency: str = ""
    opening: str = ""
    closing: str = ""
    activity: list[StatementRow] = []
    aging: list[AgingRow] = []
    aging_total: str = ""
    pdf_href: str = ""
    csv_href: str = ""
    _shown_account: int = 0
    _shown_start: str = ""
    _shown_end: str = ""

    if TYPE_CHECKING:
        errors: dict[str, str]

        def _fail(self, name: str, message: str) -> None: ...
        def _reload(self) -> Events: ...

    @rx.var
    def custom(self) -> bool:
        return self.period == CUSTOM

    def _period_key(self) -> str:
        allowed = {key for key, _ in self.PERIODS}
        if self.period not in allowed:
            self.period = self.DEFAULT_PERIOD
        return self.period

    def _period(self) -> tuple[date, date] | None:
        """The chosen period, or None with field errors under the dates that say how to fix them."""
        self.errors = {k: v for k, v in self.errors.items() if k not in ("start", "end")}
        key = self._period_key()
        if key != CUSTOM:
            found = preset_period(key, invoices.today())
            assert found is not None
            self.start, self.end = found[0].isoformat(), found[1].isoformat()
            return found
        start = end = None
        for name in ("start", "end"):
            try:
                value = parse_day(getattr(self, name))
            except InputError as exc:
                self._fail(name, exc.message)
                continue
            if value is None:
                self._fail(name, f"Enter the {name} date of the statement, like 2027-03-12.")
            elif name == "start":
                start = value
            else:
                end = value
        if start is None or end is None:
            return None
        if end < start:
            self._fail("end", "Choose an end date on or after the start date.")
            return None
        if end > add_years(start, statements.MAX_PERIOD_YEARS):
            self._fail(
                "end", f"A statement covers at most {statements.MAX_PERIOD_YEARS} years: choose a closer end."
            )
            return None
        return start, end

    def _clear_statement(self) -> None:
        self.has_statement = False
        self.currency = self.opening = self.closing = self.aging_total = self.period_label = ""
        self.activity, self.aging = [], []
        self.pdf_href = self.csv_href = ""
        self._shown_account, self._shown_start, self._shown_end = 0, "", ""

    def _show(self, st: StatementRead) -> None:
        cur = st.currency
        start, end = st.period_start.isoformat(), st.period_end.isoformat()
        self.has_statement = True
        self.currency = cur
        self.period_label = period_text(st.period_start, st.period_end)
        self.opening = balance(st.opening_balance_minor, cur)
        self.closing = balance(st.closing_balance_minor, cur)
        self.activity = [
            StatementRow(
                on=day(line.on),
                kind=line.kind.capitalize(),
                reference=line.reference,
                description=line.description,
                debit=money(line.debit_minor, cur) if line.debit_minor else "",
                credit=money(line.credit_minor, cur) if line.credit_minor else "",
                balance=balance(line.balance_minor, cur),
            )
            for line in st.lines
        ]
        ag = st.aging
        amounts = (ag.current, ag.days_1_30, ag.days_31_60, ag.days_61_90, ag.days_90_plus)
        self.aging = [AgingRow(label, money(v, cur)) for label, v in zip(AGING_LABELS, amounts, strict=True)]
        self.aging_total = money(ag.total, cur)
        self.pdf_href = routes.file_url(routes.FILES_STATEMENTS, st.account_id, ".pdf", start=start, end=end)
        self.csv_href = routes.file_url(routes.FILES_STATEMENTS, st.account_id, ".csv", start=start, end=end)
        self._shown_account, self._shown_start, self._shown_end = st.account_id, start, end

    def _compute(self, session: Session, actor: Any, account_id: int) -> None:
        """Compute and show the statement of ``account_id`` for the chosen period (errors stay under the dates)."""
        period = self._period()
        if period is None:
            self._clear_statement()
            return
        try:
            st = statements.compute_statement(
                session, actor, account_id, period_start=period[0], period_end=period[1]
            )
        except ValidationFailed as exc:
            self._fail("end", exc.message)
            self._clear_statement()
            return
        self._show(st)

    @event
    def choose_period(self, value: Any) -> Events:
        if not isinstance(value, str) or value not in {key for key, _ in self.PERIODS}:
            return None
        self.period = value
        if value == CUSTOM:  # the dates of the period shown stay in the fields until the viewer changes them
            return None
        return self._reload()

    @event
    def apply_dates(self, form: dict[str, Any]) -> Events:
        if not isinstance(form, dict):
            return None
        for name in ("start", "end"):
            raw = form.get(name)
            setattr(self, name, raw.strip()[:20] if isinstance(raw, str) else "")
        self.period = CUSTOM
        return self._reload()


# -- staff page ------------------------------------------------------------------------------------------------


class StatementsState(StaffPage, FormMixin, StatementMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.STATEMENTS_READ
    DEFAULT_PERIOD: ClassVar[str] = "this_month"

    account_id: str = ""  # the select's value: one of ``account_choices`` or ""
    account_name: str = ""
    account_choices: list[AccountOption] = []
    can_share: bool = False
    snapshots: list[SnapshotRow] = []
    snapshots_total: int = 0

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        page = accounts.list_accounts(session, actor, limit=ACCOUNTS_SHOWN)
        choices = [AccountOption(str(a.id), a.name) for a in page.items]
        wanted = parse_id(self.router.url.query_parameters.get("account"))
        if wanted is not None and all(c.id != str(wanted) for c in choices):
            try:  # an account past the first hundred, if it is this workspace's
                extra = accounts.get_account(session, actor, wanted)
                choices.append(AccountOption(str(extra.id), extra.name))
            except NotFound:  # another workspace's id, or none: ignored (the failure is logged)
                log_authorization_failure("staff", actor.user_id, "statement-account", wanted)
                wanted = None
        self.account_choices = choices
        if wanted is not None:
            self.account_id = str(wanted)
        elif not any(c.id == self.account_id for c in choices):
            self.account_id = choices[0].id if len(choices) == 1 else ""
        self.can_share = role_has(actor.role, Permission.INVOICES_MANAGE)
        return self._fill(session, actor)

    def _fill(self, session: Session, actor: StaffActor) -> Events:
        chosen = next((c for c in self.account_choices if c.id == self.account_id), None)
        self.account_name = chosen.label if chosen else ""
        if chosen is None:
            self._period()
            self._clear_statement()
            self.snapshots, self.snapshots_total = [], 0
            return None
        self._compute(session, actor, int(chosen.id))
        shared = snapshots.list_snapshots(session, actor, account_id=int(chosen.id), limit=SNAPSHOTS_SHOWN)
        self.snapshots, self.snapshots_total = snapshot_rows(shared.items), shared.total
        return None

    @event
    def choose_account(self, value: Any) -> Events:
        if not isinstance(value, str) or all(c.id != value for c in self.account_choices):
            return None  # not one of the accounts this page listed: ignored

        def work(session: Session, actor: StaffActor) -> Events:
            self.account_id = value
            return self._fill(session, actor)

        return self._act(work)

    @rx.var
    def share_label(self) -> str:
        return f"Share with {self.account_name}" if self.account_name else "Share"

    @event
    def share(self) -> Events:
        """Share the statement this tab shows (its account and period, as loaded) with the account's contacts."""

        def work(session: Session, actor: StaffActor) -> Events:
            if not self._shown_account:
                return rx.toast.error("Choose an account and a period first.")
            start, end = date.fromisoformat(self._shown_start), date.fromisoformat(self._shown_end)
            snapshots.share_statement(session, actor, self._shown_account, period_start=start, period_end=end)
            name = self.account_name
            self._fill(session, actor)
            return rx.toast.success(
                f"Statement for {period_text(start, end)} shared with {name}. Their contacts with billing access "
                "can download it from the portal."
            )

        return self._act(work)


__all__ = [
    "PORTAL_PRESETS",
    "PRESETS",
    "AccountOption",
    "AgingRow",
    "SnapshotRow",
    "StatementMixin",
    "StatementRow",
    "StatementsState",
    "add_years",
    "preset_period",
    "snapshot_rows",
]

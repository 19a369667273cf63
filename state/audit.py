"""The audit log page (``/app/audit``): filters, keyset pages ("Newer" / "Older"), the chain check and the CSV link.

Not ``ListMixin``: the log pages by keyset, never by offset, so page 1,000 costs what page 1 does. The state keeps
the cursor of the page on screen (``_before``: show entries older than this seq, ``None`` for the newest) and a
stack of the cursors of the pages before it, so "Newer" returns to exactly the page seen before.

Filters come from the page's URL on load (``/app/audit?record=estimate:7&since=2027-03-01``) and from the filter
controls; both are client input, read by ``audit_log.parse_filters`` (an unreadable value is dropped) and scoped
again by the service, which also keeps a finance reviewer to payment entries whatever the filters say.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models.workspace import Role
from portal_app import routes
from portal_app.formatting import day, exact, relative
from portal_app.services import audit_log, audit_words
from portal_app.services.access import StaffActor
from portal_app.services.audit_log import AuditEntry, AuditFilters
from portal_app.services.permissions import Permission, role_has
from state.base import Events, event
from state.pages import StaffArea, StaffPage, SwitchOption
from state.record_links import record_href
from state.tasks import account_choices

PAGE_SIZE = 50
FILTER_NAMES = ("actor", "action", "record", "account", "since", "until")
ALL = "all"  # a select's "no filter" value (Radix reserves "")
STACK_MAX = 1_000  # pages of "Newer" remembered; deeper than that, "Newer" starts from the newest again

# The "What" select, compiled into the page: each group (all of it, then its actions one by one). A finance
# reviewer's select offers the payment groups only (the service keeps them to those entries anyway).
MenuGroup = tuple[str, list[tuple[str, str]]]


def _menu(keys: tuple[str, ...]) -> list[MenuGroup]:
    return [
        (
            audit_words.GROUPS[key],
            [
                (f"group:{key}", f"{audit_words.GROUPS[key]} (all)"),
                *((a, audit_words.action_label(a)) for a in audit_words.actions_in(key)),
            ],
        )
        for key in keys
    ]


ACTION_MENU: list[MenuGroup] = _menu(tuple(audit_words.GROUPS))
PAYMENT_MENU: list[MenuGroup] = _menu(audit_log.PAYMENT_GROUPS)
_KIND_WORDS = {"staff": "Member", "contact": "Customer", "operator": "Platform", "system": "System"}


def history_url(record_type: str, record_id: int) -> str:
    """The audit log filtered to one record: a record page's "History" link (``/app/audit?record=invoice:7``)."""
    return routes.url_for(routes.STAFF_AUDIT, record=f"{record_type}:{record_id}")


def history_href(actor: StaffActor, record_type: str, record_id: int | None) -> str:
    """A record page's "History" link for this member, "" when the log would show them nothing of the record: it
    needs ``audit:read``, and a finance reviewer's log holds payment entries only (invoices, not estimates)."""
    if not record_id or not role_has(actor.role, Permission.AUDIT_READ):
        return ""
    if not audit_log.sees_everything(actor) and record_type not in audit_log.PAYMENT_TARGETS:
        return ""
    return history_url(record_type, record_id)


def entry_anchor(seq: int) -> str:
    return f"audit-entry-{seq}"


@dataclasses.dataclass
class AuditRow:
    seq: int
    anchor: str  # the row's element id, for the chain check's "show me" link
    when: str  # "2 hours ago" / "12 Mar 2027" (the day in the workspace's time zone)
    when_exact: str  # "13 Mar 2027, 03:05 NZDT": the time in the workspace's time zone
    who: str
    who_kind: str  # "Member", "Customer", "System"
    sentence: str
    action_label: str
    record: str
    record_href: str
    account: str
    account_href: str
    broken: bool = False  # the chain check found this entry altered or out of place


def audit_row(e: AuditEntry, *, role: Role, broken_seq: int | None = None, tz: str = "UTC") -> AuditRow:
    """One entry as the table shows it, its time in ``tz`` (the workspace's time zone, as the date filter)."""
    return AuditRow(
        seq=e.seq,
        anchor=entry_anchor(e.seq),
        when=relative(e.created_at, tz=tz),
        when_exact=exact(e.created_at, tz=tz),
        who=e.actor_name,
        who_kind=_KIND_WORDS.get(e.actor_kind, ""),
        sentence=e.sentence,
        action_label=e.action_label,
        record=e.record_label,
        record_href=record_href(role, e.target_type, e.target_id, account_id=e.account_id),
        account=e.account_name,
        account_href=record_href(role, "account", e.account_id),
        broken=broken_seq == e.seq,
    )


class AuditLogState(StaffPage, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.AUDIT_READ

    rows: list[AuditRow] = []
    filters: dict[str, str] = {}  # the active filters as URL values (checked by audit_log.parse_filters)
    actor_choices: list[SwitchOption] = []
    account_choices: list[SwitchOption] = []
    record_label: str = ""  # the record filter's chip: "Invoice INV-0042"
    account_label: str = ""  # the account filter's chip: "Contoso Retail"
    time_zone: str = "UTC"
    payments_only: bool = False  # a finance reviewer: the page says what they see
    has_older: bool = False
    has_newer: bool = False
    page_label: str = ""
    csv_href: str = ""
    date_error: str = ""
    verify_state: str = ""  # "", "ok", "broken"
    verify_message: str = ""
    verify_anchor: str = ""  # "audit-entry-57": the broken entry's element, when it is on this page
    _before: int | None = None
    _older: int | None = None
    _stack: list[int | None] = []
    _broken_seq: int | None = None

    # -- the filters as the page shows them ---------------------------------------------------------------------

    @rx.var
    def actor_value(self) -> str:
        return self.filters.get("actor") or ALL

    @rx.var
    def action_value(self) -> str:
        return self.filters.get("action") or ALL

    @rx.var
    def account_value(self) -> str:
        return self.filters.get("account") or ALL

    @rx.var
    def since_value(self) -> str:
        return self.filters.get("since", "")

    @rx.var
    def until_value(self) -> str:
        return self.filters.get("until", "")

    @rx.var
    def filtered(self) -> bool:
        return bool(self.filters)

    @rx.var
    def dates_label(self) -> str:
        """The dates chip: "12 Mar 2027 – 31 Mar 2027", "From 12 Mar 2027", "Until 31 Mar 2027" ("" for none)."""
        f = audit_log.parse_filters(self.filters)
        if f.since and f.until:
            return f"{day(f.since)} – {day(f.until)}"
        if f.since:
            return f"From {day(f.since)}"
        return f"Until {day(f.until)}" if f.until else ""

    def _parsed(self) -> AuditFilters:
        return audit_log.parse_filters(self.filters)

    def _set_filters(self, raw: dict[str, Any]) -> None:
        """Keep only what ``parse_filters`` reads, in its URL form; back to the newest page."""
        self.filters = self._parsed_from(raw).query()
        self._before, self._stack = None, []

    @staticmethod
    def _parsed_from(raw: dict[str, Any]) -> AuditFilters:
        return audit_log.parse_filters({k: v for k, v in raw.items() if k in FILTER_NAMES})

    # -- loading ------------------------------------------------------------------------------------------------

    def _fill_shell(self, session: Session, principal: Any, actor: StaffActor) -> None:
        super()._fill_shell(session, principal, actor)
        # Only on load (a link from a record page, a bookmark): filters named in the URL replace the chosen ones.
        params = self.router.page.params
        if any(name in params for name in FILTER_NAMES):
            self._set_filters({k: params[k] for k in FILTER_NAMES if isinstance(params.get(k), str)})
        self._before, self._stack = None, []  # coming to the page shows the newest entries
        self.verify_state, self.verify_message, self.verify_anchor, self._broken_seq = "", "", "", None

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        f = self._parsed()
        page = audit_log.list_audit(session, actor, f, before_seq=self._before, limit=PAGE_SIZE)
        if not page.entries and self._before is not None:  # a stale or forged cursor past the end: start over
            self._before, self._stack = None, []
            page = audit_log.list_audit(session, actor, f, limit=PAGE_SIZE)
        self.rows = [
            audit_row(e, role=actor.role, broken_seq=self._broken_seq, tz=page.time_zone)
            for e in page.entries
        ]
        self._older, self.has_older = page.older_cursor, page.has_older
        self.has_newer = self._before is not None
        self.page_label = self._label(page.entries)
        choices = audit_log.filter_choices(session, actor, f)
        self.actor_choices = [SwitchOption(id=v, label=label) for v, label in choices.actors]
        self.record_label = choices.record_label or ("A record" if f.record_type else "")
        self.account_label = choices.account_name or ("An account" if f.account_id else "")
        accounts = account_choices(session, actor)
        if f.account_id and all(a.id != str(f.account_id) for a in accounts):
            accounts.append(SwitchOption(id=str(f.account_id), label=self.account_label))
        self.account_choices = accounts
        self.time_zone = choices.time_zone
        self.payments_only = not audit_log.sees_everything(actor)
        self.csv_href = routes.backend_url(routes.FILES_AUDIT_CSV, **f.query())
        self.verify_anchor = (
            entry_anchor(self._broken_seq)
            if self._broken_seq and any(r.seq == self._broken_seq for r in self.rows)
            else ""
        )
        return None

    def _label(self, entries: list[AuditEntry]) -> str:
        if not entries:
            return "No entries"
        span = f"#{entries[0].seq:,}" if len(entries) == 1 else f"#{entries[0].seq:,} to #{entries[-1].seq:,}"
        where = "Newest entries" if self._before is None else f"Page {len(self._stack) + 1}"
        return f"{where} · {span}"

    # -- filters ------------------------------------------------------------------------------------------------

    @event
    def set_filter(self, name: Any, value: Any) -> Events:
        if name not in ("actor", "action", "record", "account") or not isinstance(value, str):
            return None
        raw = {**self.filters, name: "" if value == ALL else value}
        self._set_filters(raw)
        return self._reload()

    @event
    def clear_filter(self, name: Any) -> Events:
        """Drop one active filter (its chip's "clear" button); ``"dates"`` drops both dates."""
        if name not in ("actor", "action", "record", "account", "dates"):
            return None
        drop = ("since", "until") if name == "dates" else (name,)
        if name == "dates":
            self.date_error = ""
        self._set_filters({k: v for k, v in self.filters.items() if k not in drop})
        return self._reload()

    @event
    def apply_dates(self, form: dict[str, Any]) -> Events:
        """The "From" and "To" dates (days in the workspace's time zone); either may be empty."""
        if not isinstance(form, dict):
            return None
        since, until = (str(form.get(k) or "").strip()[:10] for k in ("since", "until"))
        start = audit_log.parse_filters({"since": since}).since
        end = audit_log.parse_filters({"until": until}).until
        if (since and start is None) or (until and end is None):
            self.date_error = "Enter dates like 2027-03-31."
            return None
        if start and end and end < start:
            self.date_error = "The “To” date is before the “From” date: pick a later “To” date."
            return None
        self.date_error = ""
        self._set_filters({**self.filters, "since": since, "until": until})
        return self._reload()

    @event
    def clear_filters(self) -> Events:
        self.date_error = ""
        self._set_filters({})
        return self._reload()

    # -- keyset pages -------------------------------------------------------------------------------------------

    @event
    def older_page(self) -> Events:
        if self.has_older and self._older is not None:
            self._stack = [*self._stack, self._before][-STACK_MAX:]
            self._before = self._older
        return self._reload()

    @event
    def newer_page(self) -> Events:
        if self._stack:
            *rest, self._before = self._stack
            self._stack = rest
        else:
            self._before = None
        return self._reload()

    @event
    def newest_page(self) -> Events:
        self._before, self._stack = None, []
        return self._reload()

    # -- the chain check ----------------------------------------------------------------------------------------

    @event
    def verify(self) -> Events:
        def work(session: Session, actor: StaffActor) -> Events:
            check = audit_log.verify_log(session, actor)
            self.verify_state = "ok" if check.ok else "broken"
            self.verify_message = check.message
            self._broken_seq = check.first_broken_seq
            self._fetch(session, actor)
            if self.verify_anchor:
                return rx.scroll_to(self.verify_anchor)
            return None

        return self._act(work)


__all__ = ["AuditLogState", "AuditRow", "audit_row", "entry_anchor", "history_href", "history_url"]

"""Reminder pages without a browser: the schedule on /app/settings (owners change it, bad values change nothing, a
team lead's forged calls change nothing), an account's pause (a reason is required; its contacts drop out of today's
reminders and come back on resume), a record's "Reminders" card (sent, next, paused) and forged route ids on every
pause handler."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

from models import Contact, ReminderPause, ReminderSent, utcnow  # noqa: E402
from portal_app import routes  # noqa: E402
from portal_app.formatting import day  # noqa: E402
from portal_app.services import document_requests as docs  # noqa: E402
from portal_app.services import invoices, reminders  # noqa: E402
from portal_app.services.lines import LineInput  # noqa: E402
from state.accounts import AccountDetailState  # noqa: E402
from state.documents import DocumentDetailState  # noqa: E402
from state.invoices import InvoiceDetailState  # noqa: E402
from state.settings import SettingsState  # noqa: E402
from tests.factories import make_tenant  # noqa: E402
from tests.state.test_page_states import call, page_state, staff_token  # noqa: E402

GOOD = {
    "documents_before_days": "5",
    "documents_on_due": "on",
    "documents_every_days": "",
    "estimates_before_days": " 2 ",
    "invoices_every_days": "14",
    "max_per_record": "3",
}  # invoices_on_due left unticked: a browser leaves an unticked checkbox out of the form


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def tenant(db: Session) -> Any:
    """``make_tenant``, its rows detached: reading ``t.account.id`` later never opens a read transaction (on
    SQLite a held read keeps the page's writes waiting)."""
    t = make_tenant(db)
    db.expunge_all()
    return t


def policy(db: Session, actor: Any) -> reminders.ReminderPolicy:
    db.rollback()
    db.expire_all()  # the workspace row as the page's own session left it, not this session's copy
    found = reminders.get_policy(db, actor)
    db.rollback()  # no read transaction left open: SQLite would hold the page's next write
    return found


def pauses(db: Session) -> list[ReminderPause]:
    db.rollback()
    rows = list(db.exec(select(ReminderPause).where(col(ReminderPause.resumed_at).is_(None))).all())
    for row in rows:  # read them later without a lazy load: it would open a read that holds SQLite's writers
        db.expunge(row)
    db.rollback()
    return rows


def invoice_due(db: Session, t: Any, account: Any, due: date) -> int:
    inv = invoices.create_invoice(db, t.finance, account.id, lines=[LineInput("Fit-out", 1, 50_000)])
    invoices.issue_invoice(db, t.finance, inv.id, issue_date=due - timedelta(days=30), due_date=due)
    db.commit()
    return inv.id


def settings_tab(db: Session, actor: Any, t: Any) -> SettingsState:
    state = page_state(SettingsState, staff_token(db, actor.user_id, t.ws.id), path=routes.STAFF_SETTINGS)
    call(state, "load")
    assert state.gate == "ready"
    return state


def emails(state: SettingsState) -> set[str]:
    return {d.email for d in state.digests}


def email_of(db: Session, contact: Any) -> str:
    found = db.get(Contact, contact.contact_id)
    assert found is not None
    db.rollback()
    return found.email


# -- the schedule ------------------------------------------------------------------------------------------------


def test_owner_changes_the_schedule_and_bad_values_save_nothing(db: Session) -> None:
    t = tenant(db)
    state = settings_tab(db, t.owner, t)
    assert state.can_manage_reminders and state.reminders_on
    assert state.reminder_summary[0] == (
        "Document requests: 3 days before the due date, on the due date, then every 7 days while overdue"
    )
    assert (
        state.reminder_values["documents_before_days"] == "3"
        and state.reminder_values["invoices_on_due"] == "on"
    )
    assert "Europe/Berlin" in state.time_zones and state.time_zone == "UTC"

    bad = {**GOOD, "documents_before_days": "0", "estimates_before_days": "two", "max_per_record": "99"}
    call(state, "save_reminder_schedule", bad)
    assert set(state.reminder_errors) == {"documents_before_days", "estimates_before_days", "max_per_record"}
    assert "from 1 to 60" in state.reminder_errors["documents_before_days"]
    assert "from 1 to 20" in state.reminder_errors["max_per_record"]
    assert state.reminder_values["estimates_before_days"] == "two"  # what was typed stays in the form
    assert policy(db, t.owner) == reminders.ReminderPolicy()  # nothing saved
    for forged in ("not a form", None, {"max_per_record": ["5"]}, {**GOOD, "documents_every_days": "7.5"}):
        call(state, "save_reminder_schedule", forged)
        assert state.reminder_errors and policy(db, t.owner) == reminders.ReminderPolicy()

    call(state, "save_reminder_schedule", GOOD)
    assert state.reminder_errors == {}
    saved = policy(db, t.owner)
    assert (saved.documents_before_days, saved.documents_on_due, saved.documents_every_days) == (
        5,
        True,
        None,
    )
    assert (saved.estimates_before_days, saved.invoices_on_due, saved.invoices_every_days) == (2, False, 14)
    assert saved.max_per_record == 3 and saved.enabled
    assert state.reminder_summary == [
        "Document requests: 5 days before the due date, on the due date",
        "Estimates: 2 days before they expire",
        "Invoices: every 14 days while overdue",
        "At most 3 reminders about any one record.",
    ]
    assert (
        state.reminder_values["invoices_on_due"] == "" and state.reminder_values["documents_every_days"] == ""
    )

    call(state, "set_reminders_on", "false")  # a forged value: not a boolean
    assert policy(db, t.owner).enabled
    call(state, "set_reminders_on", False)
    assert not policy(db, t.owner).enabled and policy(db, t.owner).max_per_record == 3  # the schedule is kept
    assert not state.reminders_on and state.digest_count_text == "Reminders are off: nothing goes out today."

    call(state, "set_time_zone", "Mars/Olympus_Mons")
    call(state, "set_time_zone", ["Europe/Berlin"])
    db.expire_all()
    assert reminders.get_time_zone(db, t.owner) == "UTC"
    db.rollback()
    call(state, "set_time_zone", "Europe/Berlin")
    db.expire_all()
    assert reminders.get_time_zone(db, t.owner) == "Europe/Berlin" and state.time_zone == "Europe/Berlin"
    db.rollback()


def test_team_lead_reads_reminders_but_forged_calls_change_nothing(db: Session) -> None:
    t = tenant(db)
    other = tenant(db)
    state = settings_tab(db, t.team_lead, t)
    assert not state.can_manage_reminders
    assert state.reminder_summary and state.time_zones == ["UTC"]  # the select shows the zone, read-only

    call(state, "save_reminder_schedule", GOOD)
    call(state, "set_reminders_on", False)
    call(state, "set_time_zone", "Europe/Berlin")
    assert policy(db, t.owner) == reminders.ReminderPolicy()
    db.expire_all()
    assert reminders.get_time_zone(db, t.owner) == "UTC"
    db.rollback()
    # The owner's page of one workspace never changes another's schedule.
    owner_state = settings_tab(db, t.owner, t)
    call(owner_state, "save_reminder_schedule", GOOD)
    assert policy(db, other.owner) == reminders.ReminderPolicy()


# -- an account's pause and today's reminders -------------------------------------------------------------------


def test_pausing_an_account_needs_a_reason_and_drops_its_contacts_from_today(db: Session) -> None:
    t = tenant(db)
    today = invoices.today()
    invoice_due(db, t, t.account, today)
    invoice_due(db, t, t.other_account, today)
    contact, billing, other = (email_of(db, c) for c in (t.contact, t.billing_contact, t.other_contact))

    settings = settings_tab(db, t.owner, t)
    assert emails(settings) == {contact, billing, other}
    digest = next(d for d in settings.digests if d.email == billing)
    assert digest.account == t.account.name and digest.lines and digest.subject
    assert "3 reminder mails" in settings.digest_count_text

    account = page_state(
        AccountDetailState,
        staff_token(db, t.team_lead.user_id, t.ws.id),
        path=routes.record_url(routes.STAFF_ACCOUNTS, t.account.id),
    )
    call(account, "load")
    assert account.gate == "ready" and account.can_pause_reminders and not account.reminders_paused
    for no_reason in ({"reason": "   "}, {}, "not a form", {"reason": ["On a plan"]}):
        call(account, "pause_account_reminders", no_reason)
    call(account, "pause_account_reminders", {"reason": "x" * 501})
    assert pauses(db) == [] and not account.reminders_paused

    call(account, "pause_account_reminders", {"reason": "  On a payment plan\nuntil June "})
    assert account.reminders_paused and account.reminders_pause_reason == "On a payment plan until June"
    assert account.reminders_paused_by and account.reminders_paused_when
    assert [(p.account_id, p.record_type) for p in pauses(db)] == [(t.account.id, "")]
    call(account, "pause_account_reminders", {"reason": "Again"})  # already paused: refused, still one
    assert len(pauses(db)) == 1

    call(settings, "refresh_reminders")
    assert emails(settings) == {other}  # the paused account's contacts drop out of today's reminders

    call(account, "resume_account_reminders")
    assert not account.reminders_paused and pauses(db) == []
    call(settings, "load")  # the settings page loads today's reminders again
    assert emails(settings) == {contact, billing, other}


def test_contacts_who_turned_reminders_off_show_on_the_account(db: Session) -> None:
    t = tenant(db)
    row = db.get(Contact, t.billing_contact.contact_id)
    assert row is not None
    row.reminders_off_at = utcnow()
    db.add(row)
    db.commit()
    account = page_state(
        AccountDetailState,
        staff_token(db, t.owner.user_id, t.ws.id),
        path=routes.record_url(routes.STAFF_ACCOUNTS, t.account.id),
    )
    call(account, "load")
    off = {c.id: c.reminders_off for c in account.contacts}
    assert off == {t.contact.contact_id: False, t.billing_contact.contact_id: True}


# -- a record's card ---------------------------------------------------------------------------------------------


def test_invoice_card_shows_sent_next_and_pauses(db: Session) -> None:
    t = tenant(db)
    today = invoices.today()
    inv_id = invoice_due(db, t, t.account, today - timedelta(days=7))
    db.add(
        ReminderSent(
            workspace_id=t.ws.id,
            account_id=t.account.id,
            contact_id=t.billing_contact.contact_id,
            day=today - timedelta(days=7),
            record_type="invoice",
            record_id=inv_id,
            kind="on_due",
        )
    )
    db.commit()
    path = routes.record_url(routes.STAFF_INVOICES, inv_id)
    page = page_state(InvoiceDetailState, staff_token(db, t.finance.user_id, t.ws.id), path=path)
    call(page, "load")
    assert page.gate == "ready" and page.can_pause_reminders
    billing = email_of(db, t.billing_contact)
    assert [(r.day, billing in r.recipient) for r in page.reminders_sent] == [
        (day(today - timedelta(days=7)), True)
    ]
    assert page.reminders_next != "" and not page.reminders_paused  # overdue by 7 days: due again today

    call(page, "pause_record_reminders", {"reason": ""})
    assert pauses(db) == []
    call(page, "pause_record_reminders", {"reason": "Customer disputes line 2"})
    assert page.reminders_paused and not page.reminders_paused_account
    assert page.reminders_pause_reason == "Customer disputes line 2" and page.reminders_next == ""
    assert [(p.record_type, p.record_id) for p in pauses(db)] == [("invoice", inv_id)]
    call(page, "resume_record_reminders")
    assert not page.reminders_paused and pauses(db) == []

    # The account's pause shows on the record, and the record's Resume does not lift it.
    reminders.pause(db, t.owner, reason="On a payment plan", account_id=t.account.id)
    db.rollback()  # the service's answer was read after its commit: end that read
    call(page, "load")
    assert page.reminders_paused and page.reminders_paused_account
    assert page.reminders_pause_reason == "On a payment plan"
    assert page.reminders_account_href == routes.record_url(routes.STAFF_ACCOUNTS, t.account.id)
    call(page, "resume_record_reminders")
    assert [p.account_id for p in pauses(db)] == [t.account.id]


def test_record_pause_needs_the_areas_permission(db: Session) -> None:
    t = tenant(db)
    req = docs.create_document_request(db, t.team_lead, t.account.id, title="W-9", items=["W-9"])
    db.commit()
    path = routes.record_url(routes.STAFF_DOCUMENTS, req.id)
    finance = page_state(DocumentDetailState, staff_token(db, t.finance.user_id, t.ws.id), path=path)
    call(finance, "load")
    assert finance.gate == "ready" and not finance.can_pause_reminders
    call(finance, "pause_record_reminders", {"reason": "Forged"})  # finance may read requests, not pause them
    assert pauses(db) == []
    lead = page_state(DocumentDetailState, staff_token(db, t.team_lead.user_id, t.ws.id), path=path)
    call(lead, "load")
    call(lead, "pause_record_reminders", {"reason": "Waiting for their accountant"})
    assert lead.reminders_paused and [(p.record_type, p.record_id) for p in pauses(db)] == [
        ("document_request", req.id)
    ]
    call(finance, "resume_record_reminders")
    assert len(pauses(db)) == 1


# -- forged ids ----------------------------------------------------------------------------------------------


def test_forged_ids_on_the_pause_handlers_act_on_nothing(db: Session) -> None:
    mine, theirs = tenant(db), tenant(db)
    their_invoice = invoice_due(db, theirs, theirs.account, invoices.today())
    their_pause = reminders.pause(db, theirs.owner, reason="Theirs", account_id=theirs.account.id)
    db.rollback()
    token = staff_token(db, mine.owner.user_id, mine.ws.id)

    account = page_state(
        AccountDetailState, token, path=routes.record_url(routes.STAFF_ACCOUNTS, theirs.account.id)
    )
    call(account, "load")
    assert (
        account.gate == "not_found" and not account.reminders_paused and account.reminders_pause_reason == ""
    )
    call(account, "pause_account_reminders", {"reason": "Forged"})
    call(account, "resume_account_reminders")
    invoice = page_state(
        InvoiceDetailState, token, path=routes.record_url(routes.STAFF_INVOICES, their_invoice)
    )
    call(invoice, "load")
    assert invoice.gate == "not_found" and invoice.reminders_sent == []
    call(invoice, "pause_record_reminders", {"reason": "Forged"})
    call(invoice, "resume_record_reminders")
    for forged in ("abc", "0", "-1", None):
        record_tab = page_state(InvoiceDetailState, token, path="/app/invoices/x", params={"id": forged})
        call(record_tab, "pause_record_reminders", {"reason": "Forged"})
        call(record_tab, "resume_record_reminders")
        account_tab = page_state(AccountDetailState, token, path="/app/accounts/x", params={"id": forged})
        call(account_tab, "pause_account_reminders", {"reason": "Forged"})
        call(account_tab, "resume_account_reminders")
    left = pauses(db)
    assert [(p.id, p.workspace_id, p.resumed_at) for p in left] == [(their_pause.id, theirs.ws.id, None)]

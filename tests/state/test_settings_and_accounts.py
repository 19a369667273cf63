"""Settings, accounts and the staff home without a browser: forged paging, search and route ids, other workspaces'
records, read-only settings for a team lead, the workspace switch and a member removed while a page is open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import AuthSession, Contact, ContactStatus, MemberInvitation, Membership, Workspace
from portal_app import routes
from portal_app.services import approvals, estimates, workspaces
from portal_app.services.lines import LineInput
from state.accounts import AccountDetailState, AccountsListState
from state.operator import OperatorState
from state.settings import SettingsState
from state.staff import StaffHomeState
from tests.factories import make_account, make_tenant
from tests.state.test_page_states import call, page_state, staff_token


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def test_accounts_list_pages_and_survives_forged_offsets(db: Session) -> None:
    t = make_tenant(db)
    for _ in range(21):
        make_account(db, t.ws)
    db.commit()  # 23 accounts: two pages of 20
    state = page_state(
        AccountsListState, staff_token(db, t.team_lead.user_id, t.ws.id), path=routes.STAFF_ACCOUNTS
    )
    call(state, "load")
    assert state.gate == "ready" and len(state.rows) == 20 and state.page_label == "1-20 of 23"
    assert state.has_next and not state.has_prev
    call(state, "next_page")
    assert state.page_label == "21-23 of 23" and len(state.rows) == 3
    call(state, "next_page")  # past the end: stays
    assert state.offset == 20
    state.offset = 10**9  # a forged var: the next fetch moves to the last page
    call(state, "prev_page")
    assert state.offset == 20 and len(state.rows) == 3
    assert all(r.href == routes.record_url(routes.STAFF_ACCOUNTS, r.id) for r in state.rows)


def test_accounts_search_by_name_or_code_bounds_forged_input(db: Session) -> None:
    mine, theirs = make_tenant(db), make_tenant(db)
    state = page_state(
        AccountsListState, staff_token(db, mine.owner.user_id, mine.ws.id), path=routes.STAFF_ACCOUNTS
    )
    call(state, "load")
    call(state, "apply_search", {"search": f"  {mine.account.code}  "})
    assert [r.id for r in state.rows] == [mine.account.id] and state.filtered
    call(state, "apply_search", {"search": mine.other_account.name.upper()})
    assert [r.id for r in state.rows] == [mine.other_account.id]
    call(state, "apply_search", {"search": theirs.account.name})  # another workspace's account: nothing
    assert state.rows == [] and state.total == 0 and state.page_label == "0 of 0"
    call(state, "apply_search", {"search": "x" * 5000})
    assert len(state.search) == 100 and state.rows == []
    for forged in ("not a form", {"search": ["a", "list"]}, {"search": None}, None):
        call(state, "apply_search", forged)
        assert state.search == "" and {r.id for r in state.rows} == {mine.account.id, mine.other_account.id}
    call(state, "apply_search", {"search": "%"})  # a LIKE wildcard is just a character
    assert state.rows == []


@pytest.mark.parametrize("forged", ["abc", "-1", "0", "1e3", "", "99999999999999999999", None])
def test_account_page_with_a_malformed_id_is_not_found(db: Session, forged: object) -> None:
    t = make_tenant(db)
    token = staff_token(db, t.owner.user_id, t.ws.id)
    state = page_state(AccountDetailState, token, path="/app/accounts/x", params={"id": forged})
    call(state, "load")
    assert state.gate == "not_found" and state.name == "" and state.contacts == []


def test_account_of_another_workspace_is_not_found_and_shows_nothing(db: Session) -> None:
    mine, theirs = make_tenant(db), make_tenant(db)
    token = staff_token(db, mine.owner.user_id, mine.ws.id)
    state = page_state(
        AccountDetailState, token, path=routes.record_url(routes.STAFF_ACCOUNTS, theirs.account.id)
    )
    call(state, "load")
    assert state.gate == "not_found"
    assert state.name == "" and state.contacts == [] and state.estimates == []
    assert all(theirs.account.name not in str(v) for v in state.dict().values())
    # A handler on the page with the forged route acts on nothing either.
    call(state, "invite_contact", theirs.contact.contact_id)
    call(state, "deactivate_contact", theirs.contact.contact_id)
    db.rollback()
    assert db.get(Contact, theirs.contact.contact_id).status is ContactStatus.ACTIVE  # type: ignore[union-attr]


def test_account_page_lists_contacts_and_links_estimates_and_approvals(db: Session) -> None:
    t = make_tenant(db)
    est = estimates.create_estimate(
        db, t.team_lead, t.account.id, title="Spring fit-out", lines=[LineInput("Shelving", 2, 12_500)]
    )
    appr = approvals.create_approval_request(db, t.team_lead, t.account.id, title="Proof for the banner")
    estimates.create_estimate(
        db, t.team_lead, t.other_account.id, title="Other account's estimate", lines=[LineInput("Crates")]
    )
    db.commit()
    state = page_state(
        AccountDetailState,
        staff_token(db, t.team_lead.user_id, t.ws.id),
        path=routes.record_url(routes.STAFF_ACCOUNTS, t.account.id),
    )
    call(state, "load")
    assert state.gate == "ready" and state.name == t.account.name and state.can_manage_contacts
    assert state.statement_href == f"{routes.STAFF_STATEMENTS}?account={t.account.id}"
    assert {c.id for c in state.contacts} == {t.contact.contact_id, t.billing_contact.contact_id}
    billing = next(c for c in state.contacts if c.id == t.billing_contact.contact_id)
    assert billing.billing and not billing.operations and billing.status_label == "Active"
    assert [(e.href, e.title, e.status_label) for e in state.estimates] == [
        (routes.record_url(routes.STAFF_ESTIMATES, est.id), "Spring fit-out", "Draft")
    ]
    assert state.estimates[0].detail == "$250.00"
    assert [(a.href, a.status_label) for a in state.approvals] == [
        (routes.record_url(routes.STAFF_APPROVALS, appr.id), "Awaiting decision")
    ]

    call(state, "deactivate_contact", t.contact.contact_id)
    db.rollback()
    assert db.get(Contact, t.contact.contact_id).status is ContactStatus.DEACTIVATED  # type: ignore[union-attr]
    assert next(c for c in state.contacts if c.id == t.contact.contact_id).status == "deactivated"


def test_team_lead_reads_settings_but_cannot_change_them(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(
        SettingsState, staff_token(db, t.team_lead.user_id, t.ws.id), path=routes.STAFF_SETTINGS
    )
    call(state, "load")
    assert state.gate == "ready" and state.acting_as == "Team lead"
    assert not state.can_manage_members and not state.can_manage_workspace
    assert len(state.members) == 4 and not any(m.manageable for m in state.members)
    state.invite_role = "team_lead"
    call(state, "invite_member", {"email": "lead.invites@example.test"})
    call(state, "set_portal_enabled", False)
    call(state, "remove_member", t.finance.membership_id)
    db.rollback()
    assert db.exec(select(MemberInvitation)).all() == []
    assert db.get(Workspace, t.ws.id).portal_enabled is True  # type: ignore[union-attr]
    assert db.get(Membership, t.finance.membership_id) is not None


def test_owner_invites_with_a_form_and_gets_field_errors(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(SettingsState, staff_token(db, t.owner.user_id, t.ws.id), path=routes.STAFF_SETTINGS)
    call(state, "load")
    call(state, "invite_member", {"email": "   "})
    assert state.errors == {"email": "Enter an email address."}
    state.invite_role = "finance_reviewer"
    call(state, "invite_member", {"email": "new.hire@example.test"})
    assert state.errors == {}
    assert [(i.email, i.role_label) for i in state.invitations] == [
        ("new.hire@example.test", "Finance/admin reviewer")
    ]
    assert state.seats_used == 5


def test_staff_home_lists_the_areas_of_the_nav(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(StaffHomeState, staff_token(db, t.owner.user_id, t.ws.id))
    call(state, "load")
    assert state.gate == "ready" and state.workspace_name == t.ws.name
    assert [d.href for d in state.destinations] == [
        routes.STAFF_TASKS,
        routes.STAFF_REVIEW,
        routes.STAFF_MESSAGES,
        routes.STAFF_ACCOUNTS,
        routes.STAFF_ESTIMATES,
        routes.STAFF_APPROVALS,
        routes.STAFF_INVOICES,
        routes.STAFF_STATEMENTS,
        routes.STAFF_DOCUMENTS,
        routes.STAFF_DELIVERIES,
        routes.STAFF_AUDIT,
        routes.STAFF_SETTINGS,
    ]
    assert all(d.blurb for d in state.destinations)


def test_workspace_switch_takes_only_the_users_own_workspaces(
    db: Session, committed_engine: sa.Engine
) -> None:
    mine, theirs = make_tenant(db), make_tenant(db)
    second = workspaces.create_workspace(db, mine.owner.user_id, name="Second Co", slug="second-co")
    token = staff_token(db, mine.owner.user_id, mine.ws.id)
    state = page_state(StaffHomeState, token)
    call(state, "load")
    assert {o.label for o in state.workspace_options} == {mine.ws.name, "Second Co"}

    def current() -> int | None:
        with Session(committed_engine) as fresh:
            return fresh.exec(
                select(AuthSession.workspace_id).where(AuthSession.user_id == mine.owner.user_id)
            ).one()

    for forged in (str(theirs.ws.id), "abc", "-3", None, str(mine.ws.id)):
        call(state, "switch_workspace", forged)
        assert current() == mine.ws.id
    call(state, "switch_workspace", str(second.id))
    assert current() == second.id


def test_removed_member_is_refused_on_the_next_event(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(
        AccountsListState, staff_token(db, t.team_lead.user_id, t.ws.id), path=routes.STAFF_ACCOUNTS
    )
    call(state, "load")
    assert state.gate == "ready" and state.rows
    db.delete(db.get(Membership, t.team_lead.membership_id))
    db.commit()
    result = call(state, "apply_search", {"search": "Account"})
    assert state.gate == "no_workspace" and state.rows == [] and state.total == 0
    assert "Your access to this workspace has ended." in str(result)
    home = page_state(StaffHomeState, staff_token(db, t.team_lead.user_id, t.ws.id))
    call(home, "load")
    assert home.gate == "no_workspace" and home.destinations == []


def test_gates_sign_in_links_come_back_to_their_page(db: Session) -> None:
    make_tenant(db)
    operator = page_state(OperatorState, None, path=routes.OPERATOR)
    call(operator, "load")
    assert operator.gate == "signed_out" and operator.rows == []
    assert "as=operator" in operator.sign_in_href and "next=%2Foperator" in operator.sign_in_href
    account = page_state(AccountDetailState, None, path="/app/accounts/7")
    call(account, "load")
    assert account.gate == "signed_out"
    assert "as=staff" in account.sign_in_href and "next=%2Fapp%2Faccounts%2F7" in account.sign_in_href


def test_finance_sets_payment_instructions_that_the_pdfs_print(db: Session) -> None:
    from models import AuditEvent
    from portal_app.services import documents, invoices

    t = make_tenant(db)
    db.commit()  # keep the test's own transaction out of the page's writes
    state = page_state(SettingsState, staff_token(db, t.finance.user_id, t.ws.id), path=routes.STAFF_SETTINGS)
    call(state, "load")
    assert state.can_manage_billing is True and state.payment_instructions == ""
    call(
        state,
        "save_payment_instructions",
        {"payment_instructions": "  IBAN DE12 3456\r\n\r\n\r\nQuote   the number "},
    )
    assert state.errors == {} and state.payment_instructions == "IBAN DE12 3456\n\nQuote the number"
    db.expire_all()
    assert db.get(Workspace, t.ws.id).payment_instructions == "IBAN DE12 3456\n\nQuote the number"
    assert db.exec(
        select(AuditEvent).where(AuditEvent.action == "workspace.payment_instructions_changed")
    ).one()
    db.commit()

    # Too long: a field error, what was typed kept, nothing stored.
    call(state, "save_payment_instructions", {"payment_instructions": "x" * 2001})
    assert "2,000 characters" in state.errors["payment_instructions"]
    db.expire_all()
    assert db.get(Workspace, t.ws.id).payment_instructions == "IBAN DE12 3456\n\nQuote the number"
    db.commit()

    inv = invoices.create_invoice(
        db, t.finance, t.account.id, lines=[{"description": "Work", "quantity": 1, "unit_price_minor": 500}]
    )
    _, pdf = documents.invoice_document(db, t.finance, inv.id)
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "IBAN DE12 3456" in text


def test_team_lead_cannot_change_payment_instructions(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(
        SettingsState, staff_token(db, t.team_lead.user_id, t.ws.id), path=routes.STAFF_SETTINGS
    )
    call(state, "load")
    assert state.can_manage_billing is False
    call(state, "save_payment_instructions", {"payment_instructions": "Pay me instead"})
    db.expire_all()
    assert db.get(Workspace, t.ws.id).payment_instructions == ""
    db.commit()
    for junk in (None, 42, ["x"], {"payment_instructions": 7}):
        call(state, "save_payment_instructions", junk)
    db.expire_all()
    assert db.get(Workspace, t.ws.id).payment_instructions == ""


def test_a_manager_names_the_account_owner_from_the_members_only(db: Session) -> None:
    from models import CustomerAccount

    t = make_tenant(db)
    other = make_tenant(db)
    db.commit()
    path = routes.record_url(routes.STAFF_ACCOUNTS, t.account.id)
    state = page_state(AccountDetailState, staff_token(db, t.manager.user_id, t.ws.id), path=path)
    call(state, "load")
    assert state.can_manage_account and state.owner == "none" and state.owner_name == "Nobody yet"
    assert {o.value for o in state.owner_options} >= {"none", str(t.team_lead.user_id)}
    call(state, "choose_owner", str(other.owner.user_id))  # not one of the options: ignored
    call(state, "choose_owner", str(t.team_lead.user_id))
    assert state.owner == str(t.team_lead.user_id)
    db.expire_all()
    assert db.get(CustomerAccount, t.account.id).owner_user_id == t.team_lead.user_id
    db.commit()

    lead = page_state(AccountDetailState, staff_token(db, t.finance.user_id, t.ws.id), path=path)
    call(lead, "load")
    assert lead.can_manage_account is False and lead.owner_name  # sees who, cannot change it
    lead.owner_options = [*lead.owner_options]
    call(lead, "choose_owner", "none")
    db.expire_all()
    assert db.get(CustomerAccount, t.account.id).owner_user_id == t.team_lead.user_id
    db.commit()


def test_the_owner_service_refuses_a_user_of_another_workspace(db: Session) -> None:
    from portal_app.services import accounts
    from portal_app.services.errors import ValidationFailed

    t = make_tenant(db)
    other = make_tenant(db)
    db.commit()
    with pytest.raises(ValidationFailed):
        accounts.set_account_owner(db, t.manager, t.account.id, other.owner.user_id)


def test_the_staff_navigation_counts_what_waits_for_the_member(db: Session) -> None:
    import uuid

    from portal_app.services import messages

    t = make_tenant(db)
    thread = messages.portal_start_thread(
        db, t.contact, subject="Delivery", body="When?", idempotency_key=uuid.uuid4().hex
    )
    db.commit()
    state = page_state(StaffHomeState, staff_token(db, t.finance.user_id, t.ws.id))
    call(state, "load")
    counts = {n.href: (n.count, n.count_word) for n in state.nav}
    assert counts[routes.STAFF_MESSAGES] == (1, "unanswered")
    assert counts[routes.STAFF_REVIEW] == (0, "waiting")
    db.commit()

    messages.post_staff_message(db, t.team_lead, thread.id, body="Tomorrow.")
    messages.post_staff_message(db, t.team_lead, thread.id, body="(courier booked)", internal=True)
    db.commit()
    call(state, "load")
    assert {n.href: n.count for n in state.nav}[
        routes.STAFF_MESSAGES
    ] == 0  # answered; the note does not count

    lead = page_state(StaffHomeState, staff_token(db, t.team_lead.user_id, t.ws.id))
    call(lead, "load")
    assert routes.STAFF_REVIEW not in {n.href for n in lead.nav}  # team leads do not review
    db.commit()


def test_the_owner_home_says_what_the_reminders_did_this_week(db: Session) -> None:
    t = make_tenant(db)
    db.commit()
    state = page_state(StaffHomeState, staff_token(db, t.owner.user_id, t.ws.id))
    call(state, "load")
    assert state.reminders_sent.startswith("0 reminders sent in the last 7 days")
    assert state.reminders_followed.startswith("0 followed within 3 days")
    lead = page_state(StaffHomeState, staff_token(db, t.team_lead.user_id, t.ws.id))
    call(lead, "load")
    assert lead.reminders_sent == "" and lead.reminders_followed == ""
    db.commit()

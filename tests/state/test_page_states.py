"""Page states without a browser: forged events, cross-tenant ids and what reaches the browser.

Handlers are called directly with a router whose Cookie header is whatever the test sets, exactly as Reflex would
pass the websocket handshake's headers. Data is committed (handlers open their own sessions) and wiped afterwards;
the test's own session rolls back after reading, so it never holds SQLite's write lock while a handler runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402
from reflex.istate.data import RouterData  # noqa: E402

from models import Contact, MemberInvitation, Membership, Role, SessionKind, Workspace, WorkspaceStatus  # noqa: E402
from portal_app.services import identity, sessions  # noqa: E402
from portal_app.services.sessions import COOKIE_NAME  # noqa: E402
from state.accounts import AccountDetailState  # noqa: E402
from state.onboarding import OnboardingState, suggest_slug  # noqa: E402
from state.operator import OperatorState  # noqa: E402
from state.portal import PortalHomeState  # noqa: E402
from state.settings import SettingsState  # noqa: E402
from state.staff import StaffHomeState  # noqa: E402
from tests.factories import make_tenant  # noqa: E402

S = TypeVar("S", bound=rx.State)


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def page_state(
    cls: type[S],
    token: str | None,
    *,
    other_cookies: str = "",
    path: str = "/app",
    params: dict[str, Any] | None = None,
) -> S:
    """A fresh state tree for one browser tab on ``path`` whose websocket handshake carried ``token`` (or no
    cookie), after whatever ``other_cookies`` the site also set. A number in ``path`` is the route's ``[id]``;
    ``params`` replaces the route parameters the client sends (a forged client sends anything)."""
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    cookie = "; ".join(part for part in (other_cookies, f"{COOKIE_NAME}={token}" if token else "") if part)
    last = path.rstrip("/").rsplit("/", 1)[-1]
    pattern, query = (path.rsplit("/", 1)[0] + "/[id]", {"id": last}) if last.isdigit() else (path, {})
    query = query if params is None else params
    router = RouterData.from_router_data(
        {"headers": {"cookie": cookie}, "pathname": pattern, "asPath": path, "query": query, "token": "t"}
    )
    object.__setattr__(root, "router", router)
    for sub in (root, *_ancestors(state)):
        sub.router = router
    return state  # type: ignore[return-value]


def _ancestors(state: rx.State) -> list[rx.State]:
    out = []
    current: Any = state
    while current is not None:
        out.append(current)
        current = current.parent_state
    return out


def call(state: rx.State, handler: str, *args: Any) -> Any:
    return getattr(type(state), handler).fn(state, *args)


def staff_token(db: Session, user_id: int, workspace_id: int) -> str:
    issued = sessions.create_session(db, kind=SessionKind.STAFF, user_id=user_id, workspace_id=workspace_id)
    db.commit()
    return issued.token


def test_signed_out_tab_gets_the_gate_and_no_data(db: Session) -> None:
    make_tenant(db)
    for cls in (StaffHomeState, SettingsState):
        state = page_state(cls, None)
        call(state, "load")
        assert state.gate == "signed_out"
        assert state.workspace_name == "" and state.nav == []
    assert state.members == [] and state.invitations == []  # type: ignore[attr-defined]


def test_anonymous_forged_events_change_nothing(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(SettingsState, None)
    state.invite_role = Role.OWNER.value
    call(state, "invite_member", {"email": "x@evil.test"})
    call(state, "remove_member", t.manager.membership_id)
    call(state, "change_role", t.owner.membership_id, Role.FINANCE_REVIEWER.value)
    call(state, "set_portal_enabled", False)
    db.rollback()
    assert db.exec(select(MemberInvitation)).all() == []
    assert db.get(Membership, t.manager.membership_id) is not None
    assert db.get(Membership, t.owner.membership_id).role is Role.OWNER  # type: ignore[union-attr]
    assert db.get(Workspace, t.ws.id).portal_enabled is True  # type: ignore[union-attr]
    assert state.gate == "signed_out"


def test_ids_of_another_workspace_are_refused(db: Session) -> None:
    mine, theirs = make_tenant(db), make_tenant(db)
    token = staff_token(db, mine.owner.user_id, mine.ws.id)
    state = page_state(SettingsState, token)
    call(state, "load")
    assert state.workspace_name == mine.ws.name
    call(state, "remove_member", theirs.manager.membership_id)
    call(state, "revoke_invitation", 10**6)
    detail = page_state(AccountDetailState, token, path=f"/app/accounts/{mine.account.id}")
    call(detail, "load")
    assert detail.gate == "ready" and detail.name == mine.account.name
    call(detail, "deactivate_contact", theirs.contact.contact_id)
    db.rollback()
    assert db.get(Membership, theirs.manager.membership_id) is not None
    assert db.get(Contact, theirs.contact.contact_id).status.value != "deactivated"  # type: ignore[union-attr]
    for page in (state, detail):
        assert all(theirs.ws.name not in str(v) for v in page.dict().values())


def test_role_change_takes_effect_on_the_next_event(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(SettingsState, staff_token(db, t.manager.user_id, t.ws.id))
    call(state, "load")
    assert state.can_manage_members is True
    membership = db.get(Membership, t.manager.membership_id)
    assert membership is not None
    membership.role = Role.TEAM_LEAD
    db.commit()
    state.invite_role = Role.TEAM_LEAD.value
    call(state, "invite_member", {"email": "new@example.test"})
    db.rollback()
    assert db.exec(select(MemberInvitation)).all() == []
    db.rollback()
    call(state, "load")
    assert state.acting_as == "Team lead" and state.can_manage_members is False


def test_browser_bound_vars_hold_no_token(db: Session) -> None:
    t = make_tenant(db)
    token = staff_token(db, t.owner.user_id, t.ws.id)
    for cls in (StaffHomeState, SettingsState):
        state = page_state(cls, token)
        call(state, "load")
        assert state.gate == "ready"
        assert token not in repr(state.dict())


def test_operator_page_gives_non_operators_nothing(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(OperatorState, staff_token(db, t.owner.user_id, t.ws.id))
    call(state, "load")
    assert state.gate == "no_access" and state.rows == []
    state.dialog_workspace_id, state.dialog_suspend, state.reason = t.ws.id, True, "forged suspension"  # type: ignore[assignment]
    call(state, "confirm_status")
    db.rollback()
    assert db.get(Workspace, t.ws.id).status is WorkspaceStatus.ACTIVE  # type: ignore[union-attr]


def contact_token(db: Session, actor: Any) -> str:
    issued = identity.start_contact_session(
        db, db.get(Contact, actor.contact_id), actor.account_id, via="test"
    )
    db.commit()
    return issued.token


# Cookies that real sites carry next to ours (consent banners, analytics): values with spaces, JSON, quotes,
# commas and characters outside the RFC's cookie-octets. The session must still be found on the socket.
UNUSUAL_COOKIES = [
    "pref=a b",
    'consent={"x":1}',
    'consent={"necessary":true,"analytics":false}; _ga=GA1.1.123.456',
    "weird=a,b;c",
    'quoted="with space"',
    "=no-name; flag",
    "bad\\escape=\\x; utm=%7B%22a%22%3A1%7D",
]


@pytest.mark.parametrize("other", UNUSUAL_COOKIES)
def test_portal_page_finds_the_session_next_to_unusual_cookies(db: Session, other: str) -> None:
    t = make_tenant(db)
    token = contact_token(db, t.contact)
    state = page_state(PortalHomeState, token, other_cookies=other)
    call(state, "load")
    assert state.gate == "ready" and state.account_name != ""


def test_portal_page_sends_staff_and_anonymous_to_sign_in(db: Session) -> None:
    t = make_tenant(db)
    for token in (None, staff_token(db, t.owner.user_id, t.ws.id)):
        state = page_state(PortalHomeState, token)
        call(state, "load")
        assert state.gate in ("signed_out", "no_access") and state.account_name == ""
        assert call(state, "send_to_sign_in") is not None


def test_onboarding_refuses_without_a_session(db: Session) -> None:
    state = page_state(OnboardingState, None)
    call(state, "set_company_name", "Forged Co")
    call(state, "create_workspace")
    db.rollback()
    assert db.exec(select(Workspace).where(Workspace.slug == "forged-co")).first() is None


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Northwind Studio", "northwind-studio"), ("  Café  Ünïcode & Co. ", "cafe-unicode-co"), ("!!!", "")],
)
def test_slug_suggestion(name: str, slug: str) -> None:
    assert suggest_slug(name) == slug

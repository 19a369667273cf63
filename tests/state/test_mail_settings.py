"""The two mail switches on /app/settings without a browser: customer mails (owners and managers only) and each
member's own daily digest; forged values change nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import AuditEvent, Membership, Workspace
from portal_app import routes
from state.settings import SettingsState
from tests.factories import make_tenant
from tests.state.test_page_states import call, page_state, staff_token


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def _flag(db: Session, ws_id: int) -> bool:
    db.expire_all()
    value = db.get(Workspace, ws_id).customer_mails_enabled  # type: ignore[union-attr]
    db.commit()  # end the read: SQLite's writer lock
    return value


def _digest(db: Session, membership_id: int) -> bool:
    db.expire_all()
    value = db.get(Membership, membership_id).daily_digest  # type: ignore[union-attr]
    db.commit()
    return value


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_turn_customer_mails_off_and_on(db: Session, role: str) -> None:
    t = make_tenant(db)
    state = page_state(
        SettingsState, staff_token(db, getattr(t, role).user_id, t.ws.id), path=routes.STAFF_SETTINGS
    )
    call(state, "load")
    assert state.gate == "ready" and state.customer_mails_enabled is True and state.can_manage_workspace
    call(state, "set_customer_mails", False)
    assert state.customer_mails_enabled is False and _flag(db, t.ws.id) is False
    call(state, "set_customer_mails", True)
    assert state.customer_mails_enabled is True and _flag(db, t.ws.id) is True
    actions = db.exec(
        select(AuditEvent.action).where(
            AuditEvent.workspace_id == t.ws.id, AuditEvent.target_type == "workspace"
        )
    ).all()
    db.commit()
    assert actions == ["workspace.customer_mails_off", "workspace.customer_mails_on"]


@pytest.mark.parametrize("role", ["team_lead", "finance"])
def test_team_lead_and_reviewer_cannot_turn_customer_mails_off(db: Session, role: str) -> None:
    t = make_tenant(db)
    state = page_state(
        SettingsState, staff_token(db, getattr(t, role).user_id, t.ws.id), path=routes.STAFF_SETTINGS
    )
    call(state, "load")
    assert state.can_manage_workspace is False
    call(state, "set_customer_mails", False)
    assert _flag(db, t.ws.id) is True


def test_anonymous_and_forged_values_change_nothing(db: Session) -> None:
    t = make_tenant(db)
    anonymous = page_state(SettingsState, None, path=routes.STAFF_SETTINGS)
    call(anonymous, "set_customer_mails", False)
    call(anonymous, "set_daily_digest", False)
    assert _flag(db, t.ws.id) is True and _digest(db, t.owner.membership_id) is True
    state = page_state(SettingsState, staff_token(db, t.owner.user_id, t.ws.id), path=routes.STAFF_SETTINGS)
    call(state, "load")
    for forged in ("false", 0, None, [], {"enabled": False}, "off"):
        call(state, "set_customer_mails", forged)
        call(state, "set_daily_digest", forged)
    assert _flag(db, t.ws.id) is True and _digest(db, t.owner.membership_id) is True


@pytest.mark.parametrize("role", ["owner", "manager", "team_lead", "finance"])
def test_every_member_turns_their_own_digest_off_and_only_theirs(db: Session, role: str) -> None:
    t, other = make_tenant(db), make_tenant(db)
    me = getattr(t, role)
    state = page_state(SettingsState, staff_token(db, me.user_id, t.ws.id), path=routes.STAFF_SETTINGS)
    call(state, "load")
    assert state.daily_digest is True
    call(state, "set_daily_digest", False)
    assert state.daily_digest is False and _digest(db, me.membership_id) is False
    others = [getattr(t, r).membership_id for r in ("owner", "manager", "team_lead", "finance") if r != role]
    others += [other.owner.membership_id, getattr(other, role).membership_id]
    assert all(_digest(db, m) is True for m in others)
    call(state, "load")  # reloading shows the stored setting
    assert state.daily_digest is False
    call(state, "set_daily_digest", True)
    assert _digest(db, me.membership_id) is True

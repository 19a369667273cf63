"""Reads remembered for one unit of work (``access.get_scoped``, ``access.remembered``, ``access.account_names``):
asked twice, one query; anything the session writes, commits or rolls back forgets them; scoping is never skipped."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import CustomerAccount
from portal_app.services import access
from portal_app.services.errors import NotFound
from tests.factories import make_tenant
from tests.services.test_deliveries import count_queries


def test_a_read_is_remembered_until_the_session_writes(session: Session) -> None:
    t = make_tenant(session)
    assert t.account.id is not None
    with count_queries(session) as seen:
        first = access.get_scoped(session, t.owner, CustomerAccount, t.account.id)
        again = access.get_scoped(session, t.owner, CustomerAccount, t.account.id)
    assert again is first and len(seen) == 1
    # Another actor, a change or a lock: asked afresh.
    with count_queries(session) as seen:
        access.get_scoped(session, t.team_lead, CustomerAccount, t.account.id)
        access.get_scoped(session, t.owner, CustomerAccount, t.account.id, change=True)
        access.get_scoped(session, t.owner, CustomerAccount, t.account.id, lock=True)
    assert len(seen) == 3
    # A bulk UPDATE in the same session: the next read sees it.
    session.execute(  # type: ignore[deprecated]
        sa.update(CustomerAccount).where(sa.column("id") == t.account.id).values(name="Renamed Ltd")
    )
    with count_queries(session) as seen:
        fresh = access.get_scoped(session, t.owner, CustomerAccount, t.account.id)
    assert len(seen) == 1 and fresh.name == "Renamed Ltd"
    # A flush, a commit, a rollback: forgotten each time.
    for end in (session.flush, session.commit, session.rollback):
        access.get_scoped(session, t.owner, CustomerAccount, t.account.id)
        fresh.name = "Changed again"
        session.add(fresh)
        end()
        with count_queries(session) as seen:
            access.get_scoped(session, t.owner, CustomerAccount, t.account.id)
        assert seen, end  # asked again (after a rollback the expired row is refreshed too)


def test_scoping_is_never_skipped(session: Session) -> None:
    t, other = make_tenant(session), make_tenant(session)
    assert t.account.id is not None and t.other_account.id is not None
    access.get_scoped(session, t.owner, CustomerAccount, t.account.id)  # remembered for t's owner only
    with pytest.raises(NotFound):
        access.get_scoped(session, other.owner, CustomerAccount, t.account.id)
    # The contact reads their own account, never the one next to it, remembered or not.
    access.get_scoped(session, t.contact, CustomerAccount, t.account.id)
    with pytest.raises(NotFound):
        access.get_scoped(session, t.contact, CustomerAccount, t.other_account.id)
    # A refusal is not remembered as an answer either.
    with pytest.raises(NotFound):
        access.get_scoped(session, t.contact, CustomerAccount, t.other_account.id)


def test_account_names_use_what_was_read_and_stay_in_the_workspace(session: Session) -> None:
    t, other = make_tenant(session), make_tenant(session)
    ids = [t.account.id, t.other_account.id, other.account.id]
    assert all(ids) and t.ws.id is not None
    access.get_scoped(session, t.owner, CustomerAccount, t.account.id)  # type: ignore[arg-type]
    access.get_scoped(session, other.owner, CustomerAccount, other.account.id)  # type: ignore[arg-type]
    with count_queries(session) as seen:
        names = access.account_names(session, t.ws.id, ids)  # type: ignore[arg-type]
    assert names == {t.account.id: t.account.name, t.other_account.id: t.other_account.name}
    assert len(seen) == 1  # the one not read yet; the other workspace's is left out
    with count_queries(session) as seen:
        assert access.account_names(session, t.ws.id, [t.account.id]) == {t.account.id: t.account.name}  # type: ignore[list-item]
    assert seen == []


def test_remembered_computes_once_per_unit_of_work(session: Session) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert access.remembered(session, ("figure", 1), compute) == 1
    assert access.remembered(session, ("figure", 1), compute) == 1
    assert access.remembered(session, ("figure", 2), compute) == 2
    session.commit()
    assert access.remembered(session, ("figure", 1), compute) == 3


def test_the_shell_names_the_member_from_the_row_their_role_was_read_with(session: Session) -> None:
    from models import User
    from portal_app.services import members

    t = make_tenant(session)
    user = session.get(User, t.owner.user_id)
    assert user is not None
    session.commit()
    session.expunge_all()  # a fresh unit of work, as a page load starts
    with count_queries(session) as seen:
        owner = access.resolve_staff(session, user_id=t.owner.user_id, workspace_id=t.ws.id)  # type: ignore[arg-type]
        name = members.member_name(session, owner)
    assert name == (user.name or user.email)
    assert len(seen) == 1, "the role, the workspace and the user in one statement"
    # No name: the e-mail. Another workspace's member is refused, not named.
    user = session.get(User, t.owner.user_id)
    assert user is not None
    user.name = ""
    session.add(user)
    session.commit()
    assert members.member_name(session, owner) == user.email
    other = make_tenant(session)
    with pytest.raises(NotFound):
        access.resolve_staff(session, user_id=other.owner.user_id, workspace_id=t.ws.id)  # type: ignore[arg-type]


def test_a_row_read_elsewhere_is_remembered_only_when_the_actor_may_read_it(session: Session) -> None:
    from portal_app.services import portal_access

    t, other = make_tenant(session), make_tenant(session)
    assert t.account.id is not None and t.other_account.id is not None
    # The portal shell lists the contact's linked accounts: the current one is the page's, not read again.
    portal_access.list_contact_accounts(session, t.contact)
    with count_queries(session) as seen:
        mine = access.get_scoped(session, t.contact, CustomerAccount, t.account.id)
    assert seen == [] and mine.id == t.account.id
    session.rollback()
    # Rows the actor may not read are never remembered: another account, another workspace, a role without it.
    theirs = session.get(CustomerAccount, t.other_account.id)
    elsewhere = session.get(CustomerAccount, other.account.id)
    assert theirs is not None and elsewhere is not None
    access.remember_scoped(session, t.contact, CustomerAccount, theirs)
    access.remember_scoped(session, t.owner, CustomerAccount, elsewhere)
    with pytest.raises(NotFound):
        access.get_scoped(session, t.contact, CustomerAccount, t.other_account.id)
    with pytest.raises(NotFound):
        access.get_scoped(session, t.owner, CustomerAccount, other.account.id)
    # Staff of the workspace: remembered, and the same answer as a read.
    access.remember_scoped(session, t.owner, CustomerAccount, theirs)
    with count_queries(session) as seen:
        assert access.get_scoped(session, t.owner, CustomerAccount, t.other_account.id) is theirs
    assert seen == []

"""accounts.list_accounts: search by name or code, literal text, scoped to the workspace, paginated."""

from __future__ import annotations

from sqlmodel import Session

from portal_app.services import accounts
from tests.factories import make_account, make_tenant


def test_search_matches_name_or_code_literally_and_stays_in_the_workspace(session: Session) -> None:
    mine, theirs = make_tenant(session), make_tenant(session)
    pct = make_account(session, mine.ws, name="100% Cotton Ltd")
    under = make_account(session, mine.ws, name="Under_score Inc")
    make_account(session, theirs.ws, name="100% Cotton Ltd")
    session.commit()

    def ids(search: str) -> list[int]:
        return [a.id for a in accounts.list_accounts(session, mine.owner, search=search).items]

    assert ids("%") == [pct.id]
    assert ids("_") == [under.id]
    assert ids("cotton") == [pct.id]
    assert ids(mine.account.code.lower()) == [mine.account.id]
    assert ids("\\") == []
    page = accounts.list_accounts(session, mine.owner, offset=1, limit=2)
    assert page.total == 4 and len(page.items) == 2

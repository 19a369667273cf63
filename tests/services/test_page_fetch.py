"""``Page.fetch``: the page, and a total that is right whether it was counted or told by the page itself."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from models import CustomerAccount
from models.schemas import AccountRead, Page
from tests.factories import make_account, make_workspace
from tests.services.test_deliveries import count_queries


@pytest.fixture()
def seven(session: Session) -> int:
    ws = make_workspace(session)
    for i in range(7):
        make_account(session, ws, name=f"Account {i}")
    session.flush()
    assert ws.id is not None
    return ws.id


def _page(session: Session, ws_id: int, **kw: int | bool) -> tuple[Page[AccountRead], list[str]]:
    query = (
        select(CustomerAccount)
        .where(CustomerAccount.workspace_id == ws_id)
        .order_by(col(CustomerAccount.name))
    )
    with count_queries(session) as seen:
        page = Page.fetch(session, query, AccountRead, **kw)  # type: ignore[arg-type]
    return page, seen


@pytest.mark.parametrize("small", [False, True])
@pytest.mark.parametrize(
    ("offset", "limit", "names", "statements_big", "statements_small"),
    [
        (0, 25, [f"Account {i}" for i in range(7)], 1, 1),  # a short first page tells its own total
        (0, 3, ["Account 0", "Account 1", "Account 2"], 2, 1),  # a full page: counted (windowed when small)
        (3, 3, ["Account 3", "Account 4", "Account 5"], 2, 1),
        (6, 3, ["Account 6"], 1, 1),  # the short last page: offset + its rows
        (7, 3, [], 2, 2),  # past the end: nothing to tell the total by, so it is counted
        (40, 3, [], 2, 2),
    ],
)
def test_the_total_is_right_and_counted_only_when_the_page_cannot_tell_it(
    session: Session,
    seven: int,
    small: bool,
    offset: int,
    limit: int,
    names: list[str],
    statements_big: int,
    statements_small: int,
) -> None:
    page, seen = _page(session, seven, offset=offset, limit=limit, small=small)
    assert [a.name for a in page.items] == names
    assert page.total == 7 and page.offset == offset and page.limit == limit
    assert page.has_more is (offset + len(names) < 7)
    assert len(seen) == (statements_small if small else statements_big), seen


def test_an_empty_list_costs_one_statement(session: Session) -> None:
    ws = make_workspace(session)
    session.flush()
    assert ws.id is not None
    for small in (False, True):
        page, seen = _page(session, ws.id, small=small)
        assert page.items == [] and page.total == 0 and not page.has_more
        assert len(seen) == 1


def test_limits_and_offsets_from_outside_are_clamped(session: Session, seven: int) -> None:
    page, _ = _page(session, seven, offset=-5, limit=0)
    assert page.offset == 0 and page.limit == 1 and len(page.items) == 1 and page.total == 7
    page, _ = _page(session, seven, limit=10_000, small=True)
    assert page.limit == 100 and len(page.items) == 7 and page.total == 7

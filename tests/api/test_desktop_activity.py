"""The desktop window's notification feed over HTTP (``GET /api/desktop/activity``): cursor semantics, what a
member sees (their own tasks and their role's unheld pool, open, in their workspace) and what nobody else gets.

The routes with the app's middleware (``build_api()``), real sessions in the committed test database, the session
cookie sent as the window sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import FollowUpTask, Role, SessionKind, TaskStatus
from portal_app import routes
from portal_app.api import build_api
from portal_app.services import desktop_signin, sessions
from portal_app.services.sessions import COOKIE_NAME
from tests.aio import run_async
from tests.factories import Tenant, make_task, make_tenant, make_user

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def asgi() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.syspath_prepend(str(ROOT))
        return build_api()


@dataclass
class World:
    engine: sa.Engine
    t: Tenant
    other: Tenant
    tokens: dict[str, str]


@pytest.fixture()
def world(committed_engine: sa.Engine) -> World:
    with Session(committed_engine, expire_on_commit=False) as s:
        t, other = make_tenant(s), make_tenant(s)
        newcomer = make_user(s)
        assert newcomer.id is not None

        def staff(user_id: int, workspace_id: int | None) -> str:
            return sessions.create_session(
                s, kind=SessionKind.STAFF, user_id=user_id, workspace_id=workspace_id
            ).token

        tokens = {
            "lead": staff(t.team_lead.user_id, t.ws.id),
            "finance": staff(t.finance.user_id, t.ws.id),
            "manager": staff(t.manager.user_id, t.ws.id),
            "other_lead": staff(other.team_lead.user_id, other.ws.id),
            "no_workspace": staff(newcomer.id, None),
            "contact": sessions.create_session(
                s, kind=SessionKind.CONTACT, contact_id=t.contact.contact_id, account_id=t.account.id
            ).token,
        }
        s.commit()
    return World(committed_engine, t, other, tokens)


def feed(asgi: Any, token: str | None, *params: tuple[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        headers = {"cookie": f"{COOKIE_NAME}={token}"} if token else {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url=routes.backend_origin()
        ) as client:
            return await client.get(routes.DESKTOP_ACTIVITY, params=list(params), headers=headers)

    return run_async(go())


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"cursor", "items"} and isinstance(body["cursor"], str)
    return body


def task(w: World, tenant: Tenant | None = None, *, contact: bool = False, **kwargs: Any) -> FollowUpTask:
    tenant = tenant or w.t
    with Session(w.engine, expire_on_commit=False) as s:
        made = make_task(s, tenant.ws, account=tenant.account, **kwargs)
        if contact:
            made.created_by_contact_id = tenant.contact.contact_id
            s.add(made)
        s.commit()
        return made


def test_the_first_call_gives_only_a_cursor(asgi: Any, world: World) -> None:
    w = world
    older = task(w, assignee_role=Role.TEAM_LEAD)
    newest = task(w, assignee_role=Role.FINANCE_REVIEWER)
    task(w, w.other, assignee_role=Role.TEAM_LEAD)  # another workspace's newer task moves nothing here
    first = ok(feed(asgi, w.tokens["lead"]))
    assert first == {"cursor": str(newest.id), "items": []}
    assert older.id is not None and older.id < newest.id  # type: ignore[operator]
    # Nothing new since: nothing comes, the cursor stays.
    assert ok(feed(asgi, w.tokens["lead"], ("after", first["cursor"]))) == first


def test_new_tasks_waiting_for_the_member_come_once_oldest_first(asgi: Any, world: World) -> None:
    w = world
    task(w, assignee_role=Role.TEAM_LEAD, title="Before the window opened")
    cursor = ok(feed(asgi, w.tokens["lead"]))["cursor"]

    pool = task(w, contact=True, assignee_role=Role.TEAM_LEAD, title="Estimate EST-0007 approved")
    mine = task(w, assignee_role=None, assignee_user_id=w.t.team_lead.user_id, title="Call back")
    task(w, assignee_role=Role.TEAM_LEAD, assignee_user_id=w.t.manager.user_id, title="Held by the manager")
    finance_pool = task(w, contact=True, assignee_role=Role.FINANCE_REVIEWER, title="Payment proof")
    task(w, assignee_role=Role.TEAM_LEAD, status=TaskStatus.DONE, title="Done already")
    task(w, assignee_role=Role.TEAM_LEAD, status=TaskStatus.CANCELLED, title="Cancelled")
    task(w, w.other, contact=True, assignee_role=Role.TEAM_LEAD, title="Another workspace's")
    in_progress = task(
        w, assignee_user_id=w.t.team_lead.user_id, status=TaskStatus.IN_PROGRESS, title="Going"
    )
    newest_here = in_progress

    body = ok(feed(asgi, w.tokens["lead"], ("after", cursor)))
    account = w.t.account.name
    assert body["items"] == [
        {
            "id": pool.id,
            "kind": "customer_action",
            "title": "New follow-up task",
            "body": f"Estimate EST-0007 approved · {account}",
            "url": f"/app/tasks/{pool.id}",
        },
        {
            "id": mine.id,
            "kind": "task_assigned",
            "title": "Task assigned to you",
            "body": f"Call back · {account}",
            "url": f"/app/tasks/{mine.id}",
        },
        {
            "id": in_progress.id,
            "kind": "task_assigned",
            "title": "Task assigned to you",
            "body": f"Going · {account}",
            "url": f"/app/tasks/{in_progress.id}",
        },
    ]
    assert body["cursor"] == str(newest_here.id)
    # Seen once: the next poll from the returned cursor is empty.
    assert ok(feed(asgi, w.tokens["lead"], ("after", body["cursor"])))["items"] == []

    # The finance reviewer gets their role's pool, the manager the task they hold; the other workspace's lead
    # gets only their own workspace's task.
    finance = ok(feed(asgi, w.tokens["finance"], ("after", cursor)))
    assert [i["id"] for i in finance["items"]] == [finance_pool.id]
    manager = ok(feed(asgi, w.tokens["manager"], ("after", cursor)))
    assert [i["title"] for i in manager["items"]] == ["Task assigned to you"]
    other = ok(feed(asgi, w.tokens["other_lead"], ("after", cursor)))
    assert [i["body"].split(" · ")[0] for i in other["items"]] == ["Another workspace's"]


def test_at_most_twenty_per_call_and_the_rest_on_the_next(asgi: Any, world: World) -> None:
    w = world
    cursor = ok(feed(asgi, w.tokens["lead"]))["cursor"]
    assert cursor == "0"  # no task yet
    made = [
        task(w, contact=True, assignee_role=Role.TEAM_LEAD) for _ in range(desktop_signin.ACTIVITY_LIMIT + 5)
    ]
    first = ok(feed(asgi, w.tokens["lead"], ("after", cursor)))
    assert [i["id"] for i in first["items"]] == [t.id for t in made[: desktop_signin.ACTIVITY_LIMIT]]
    assert first["cursor"] == str(made[desktop_signin.ACTIVITY_LIMIT - 1].id)
    second = ok(feed(asgi, w.tokens["lead"], ("after", first["cursor"])))
    assert [i["id"] for i in second["items"]] == [t.id for t in made[desktop_signin.ACTIVITY_LIMIT :]]
    assert second["cursor"] == str(made[-1].id)


def test_titles_are_one_line_of_plain_text(asgi: Any, world: World) -> None:
    w = world
    cursor = ok(feed(asgi, w.tokens["lead"]))["cursor"]
    task(w, contact=True, assignee_role=Role.TEAM_LEAD, title="<b>Line one</b>\nline\ttwo\x07")
    [item] = ok(feed(asgi, w.tokens["lead"], ("after", cursor)))["items"]
    assert item["body"] == f"<b>Line one</b> line two · {w.t.account.name}"


def test_a_cursor_ahead_of_the_workspace_comes_back_to_its_newest_task(asgi: Any, world: World) -> None:
    w = world
    newest = task(w, assignee_role=Role.TEAM_LEAD)
    body = ok(feed(asgi, w.tokens["lead"], ("after", "999999999")))
    assert body == {"cursor": str(newest.id), "items": []}


@pytest.mark.parametrize("who", [None, "contact", "no_workspace", "garbage"])
def test_only_staff_in_a_workspace_get_a_feed(asgi: Any, world: World, who: str | None) -> None:
    w = world
    task(w, contact=True, assignee_role=Role.TEAM_LEAD)
    token = "x" * 43 if who == "garbage" else (w.tokens[who] if who else None)
    for params in ([], [("after", "0")], [("after", "not-a-cursor")]):
        r = feed(asgi, token, *params)
        assert r.status_code == 401, r.text
        assert r.headers["cache-control"] == "no-store"
        assert set(r.json()) == {"error"}


def test_a_member_removed_from_the_workspace_gets_401(asgi: Any, world: World) -> None:
    w = world
    from models import Membership

    with Session(w.engine) as s:
        s.execute(sa.delete(Membership).where(Membership.id == w.t.team_lead.membership_id))  # type: ignore[arg-type]
        s.commit()
    assert feed(asgi, w.tokens["lead"], ("after", "0")).status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        [("after", "")],
        [("after", "abc")],
        [("after", "-1")],
        [("after", "1.5")],
        [("after", "01")],
        [("after", " 1")],
        [("after", "1\n")],
        [("after", "9" * 19)],
        [("after", "1"), ("after", "2")],
    ],
)
def test_a_malformed_cursor_is_a_400(asgi: Any, world: World, params: list[tuple[str, str]]) -> None:
    r = feed(asgi, world.tokens["lead"], *params)
    assert r.status_code == 400, r.text
    assert r.headers["cache-control"] == "no-store"
    assert set(r.json()) == {"error"}

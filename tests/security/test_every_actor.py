"""Every non-public handler, called by every actor who may not use it, with forged ids and wrong types.

Each handler is one test (so a failure names it). One victim workspace (A, with a record of every kind on one
account) and one attacker workspace (B) are committed once for the module. Per handler, each attacker gets a fresh
tab whose route ``id`` points at A's record of the page's kind; the handler runs once before and once after the
page's ``load`` with: forged ids of A's records (as arguments and inside forms), a dict, a huge int, a negative
and a string. Afterwards: no table changed (row counts, max id, max updated_at), no session row changed, no
exception escaped a handler, and no browser-bound var of the tab holds a name or number of A's records.

Each attacker also runs the same calls on a twin tab naming ids that exist nowhere: the events answered and the
browser-bound vars must be the same (the ids the client itself sent masked out), so a refusal never tells "exists,
not yours" from "does not exist". Members of A who may read the page but not act are exempt from that twin check
(they see the record by right). Every refusal that consulted the database leaves a line on ``portal.security``.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402

from models import (  # noqa: E402
    ApprovalRequest,
    Delivery,
    DocumentRequest,
    DocumentRequestItem,
    Estimate,
    EstimateStatus,
    EstimateVersion,
    Invoice,
    InvoiceStatus,
    MessageThread,
    SessionKind,
)
from portal_app.services import sessions  # noqa: E402
from portal_app.services.permissions import ROLE_PERMISSIONS, Permission  # noqa: E402
from portal_app.settings import get_settings  # noqa: E402
from state.base import BaseState  # noqa: E402
from state.pages import GATE_LOADING, GATE_READY  # noqa: E402
from tests.aio import run_async  # noqa: E402
from tests.conftest import _wipe  # noqa: E402
from tests.factories import Tenant, make_contact, make_task, make_tenant, make_user  # noqa: E402
from tests.security.handlers import HANDLERS  # noqa: E402
from tests.security.inventory import handler_names  # noqa: E402
from tests.state.test_page_states import contact_token, page_state, staff_token  # noqa: E402

OPERATOR_EMAIL = "ops@platform.test"
MARK = "Zq7"  # every record of the victim account carries it in its name, so any leak is one substring search
WS_MARK = "Wk9"  # the victim workspace's name: contacts of its other account see it in the portal's top bar


@dataclass
class World:
    a: Tenant
    b: Tenant
    records: dict[str, int]  # record kind -> A's record id
    markers: dict[str, str]  # record kind -> the record's visible name
    tokens: dict[str, str | None]  # actor -> session cookie value


# The record kind each page's route ``[id]`` names (list pages get the account id: a forged, ignored param).
ROUTE_KIND = {
    "InvoiceDetailState": "invoice",
    "InvoiceFormState": "invoice",
    "PortalInvoiceState": "invoice",
    "EstimateDetailState": "estimate",
    "EstimateFormState": "estimate",
    "PortalEstimateState": "estimate",
    "DeliveryDetailState": "delivery",
    "PortalDeliveryState": "delivery",
    "DocumentDetailState": "document",
    "PortalDocumentState": "document",
    "ApprovalDetailState": "approval",
    "PortalApprovalState": "approval",
    "TaskDetailState": "task",
    "MessageThreadState": "thread",
    "PortalThreadState": "thread",
}
# What a contact permission shows: a contact lacking it must see none of these records.
CONTACT_KINDS = {
    "billing": ("invoice",),
    "operations": ("estimate", "approval", "delivery"),
    "documents": ("document",),
    "messages": ("thread",),
}


# Pages whose actions act on the actor's own workspace (settings): staff of B legitimately change B there, and the
# forged small ids hit B's own rows. Their cross-workspace ids are refused in tests/state/test_page_states.py.
OWN_WORKSPACE_STATES = {"SettingsState", "AuditLogState.verify"}


@pytest.fixture(scope="module")
def world(engine: sa.Engine) -> Iterator[World]:
    _wipe(engine)
    with pytest.MonkeyPatch.context() as mp, Session(engine, expire_on_commit=False) as db:
        mp.setattr(get_settings(), "operator_emails", [OPERATOR_EMAIL])
        a = make_tenant(db, name=f"Victim Works {WS_MARK}")
        b = make_tenant(db, name="Attacker Works")
        a.account.name = f"Victim Account {MARK}"
        db.add(a.account)
        ws, acct, today = a.ws.id, a.account.id, date.today()
        assert ws is not None and acct is not None
        rows: dict[str, Any] = {
            "invoice": Invoice(
                workspace_id=ws,
                account_id=acct,
                number=f"INV-{MARK}",
                status=InvoiceStatus.OPEN,
                total_minor=77_131,
                subtotal_minor=77_131,
                issue_date=today - timedelta(days=3),
                due_date=today + timedelta(days=20),
            ),
            "estimate": Estimate(
                workspace_id=ws,
                account_id=acct,
                number=f"EST-{MARK}",
                title=f"Estimate {MARK}",
                status=EstimateStatus.SHARED,
            ),
            "delivery": Delivery(
                workspace_id=ws,
                account_id=acct,
                reference=f"DEL-{MARK}",
                shared=True,
                description=f"DEL-{MARK}",
            ),
            "document": DocumentRequest(workspace_id=ws, account_id=acct, title=f"Documents {MARK}"),
            "approval": ApprovalRequest(workspace_id=ws, account_id=acct, title=f"Approval {MARK}"),
            "thread": MessageThread(workspace_id=ws, account_id=acct, subject=f"Thread {MARK}"),
        }
        for row in rows.values():
            db.add(row)
        db.flush()
        db.add(EstimateVersion(workspace_id=ws, estimate_id=rows["estimate"].id, version=1, total_minor=5))
        db.add(
            DocumentRequestItem(
                workspace_id=ws, request_id=rows["document"].id, position=1, label=f"Documents {MARK} item"
            )
        )
        rows["task"] = make_task(db, a.ws, account=a.account, title=f"Task {MARK}")
        no_billing = make_contact(db, a.account, billing=False)
        operator_user = make_user(db, email=OPERATOR_EMAIL)
        db.commit()
        operator = sessions.create_session(db, kind=SessionKind.OPERATOR, user_id=operator_user.id)
        db.commit()
        tokens: dict[str, str | None] = {
            "anonymous": None,
            "operator": operator.token,
            "staff of another workspace": staff_token(db, b.owner.user_id, b.ws.id),
            "contact of another workspace": contact_token(db, b.contact),
            "contact of another account": contact_token(db, a.other_contact),
            "contact without billing": contact_token(db, no_billing),
            "contact with billing only": contact_token(db, a.billing_contact),
            **{f"staff {role.value}": staff_token(db, m.user_id, ws) for role, m in a.staff.items()},
        }
        records = {kind: row.id for kind, row in rows.items()} | {"account": acct}
        markers = {
            "invoice": f"INV-{MARK}",
            "estimate": f"EST-{MARK}",
            "delivery": f"DEL-{MARK}",
            "document": f"Documents {MARK}",
            "approval": f"Approval {MARK}",
            "thread": f"Thread {MARK}",
        }
        yield World(a=a, b=b, records=records, markers=markers, tokens=tokens)
    _wipe(engine)


def attackers(kind: str) -> list[str]:
    """The actors who may not call a handler of ``kind``."""
    outsiders = ["anonymous", "contact of another workspace", "contact of another account"]
    if kind == "operator":
        return [*outsiders, "staff of another workspace", "staff owner"]
    if kind == "staff":
        return [*outsiders, "operator", "staff of another workspace"]
    if kind.startswith("staff:"):
        needs = [Permission(p) for p in kind.removeprefix("staff:").split("|")]
        lacking = [
            f"staff {role.value}"
            for role, perms in ROLE_PERMISSIONS.items()
            if not any(need in perms for need in needs)
        ]
        return [*outsiders, "operator", "staff of another workspace", *lacking]
    # contacts
    need = kind.partition(":")[2]
    lacking = {"billing": ["contact without billing"], "operations": ["contact with billing only"]}
    lacking["documents"] = lacking["operations"]
    return [*outsiders, "operator", "staff of another workspace", *lacking.get(need, [])]


def forbidden_markers(world: World, actor: str, kind: str) -> list[str]:
    """What must not reach ``actor``'s tab: anything of A for outsiders; for a contact of A's account lacking the
    page's permission, that permission's records. Members of A lacking an action's permission may read the page."""
    if actor.startswith("staff ") and actor != "staff of another workspace":
        return []
    if actor in ("contact without billing", "contact with billing only"):
        need = kind.partition(":")[2]
        return [world.markers[k] for k in CONTACT_KINDS.get(need, ())]
    return [MARK] if actor == "contact of another account" else [MARK, WS_MARK]


MISSING = 987_654  # no row of any table has this id: the twin call that every refusal must answer the same


def forged_values(world: World, route_id: int, *, missing: bool = False) -> list[Any]:
    """What a forged client sends as each argument: the victim's ids (or, for the twin, ids of nothing), then wrong
    types."""
    a = world.a

    def rid(value: int | None) -> int | None:
        return MISSING if missing else value

    form = {
        "id": rid(route_id),
        "account_id": rid(world.records["account"]),
        "workspace_id": rid(a.ws.id),
        "invoice_id": rid(world.records["invoice"]),
        "estimate_id": rid(world.records["estimate"]),
        "item_id": rid(route_id),
        "thread_id": rid(world.records["thread"]),
        "membership_id": rid(a.owner.membership_id),
        "contact_id": rid(a.contact.contact_id),
        "assignee": rid(a.owner.membership_id),
        "role": "owner",
        "status": "accepted",
        "decision": "approve",
        "amount": "1000000",
        "paid_on": str(date.today()),
        "reason": "forged",
        "body": "forged",
        "email": "forged@evil.test",
        "name": "Forged",
        "signature": "Forged",
        "title": "Forged",
    }
    first = rid(route_id)
    return [first, str(first), form, {"$ne": None}, 10**30, -1, "abc", None, True]


def call_handler(state: rx.State, name: str, args: tuple[Any, ...]) -> Any:
    result = getattr(type(state), name).fn(state, *args)
    if inspect.iscoroutine(result):
        return run_async(result)
    if inspect.isgenerator(result):
        return list(result)
    return result


def answer(result: Any) -> str:
    """What a handler's answer tells the browser: the events it sends back (toasts with their words, redirects,
    handlers to run next), independent of object identity."""
    items = result if isinstance(result, (list, tuple)) else [result]
    out = []
    for item in items:
        if item is None:
            continue
        handler = getattr(item, "handler", None)
        if handler is not None:  # an EventSpec: which handler, with which arguments
            args = ", ".join(str(value) for _, value in item.args)
            out.append(f"{getattr(handler.fn, '__qualname__', handler.fn)}({args})")
        elif hasattr(item, "fn"):  # an EventHandler to run next
            out.append(str(getattr(item.fn, "__qualname__", item.fn)))
        else:
            out.append(repr(item))
    return " ; ".join(out)


def arities(state_cls: type[rx.State], name: str) -> int:
    fn = state_cls.event_handlers[name].fn
    params = list(inspect.signature(fn).parameters.values())[1:]
    return len([p for p in params if p.default is inspect.Parameter.empty])


def snapshot(engine: sa.Engine) -> dict[str, tuple[Any, ...]]:
    """Per table: row count, and the highest id and updated_at where the table has them."""
    out: dict[str, tuple[Any, ...]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            cols = [sa.func.count()]
            cols += [sa.func.max(table.c[c]) for c in ("id", "updated_at") if c in table.c]
            out[table.name] = tuple(conn.execute(sa.select(*cols).select_from(table)).one())
        session_cols = ("id", "token_hash", "kind", "user_id", "contact_id", "workspace_id", "account_id")
        table = SQLModel.metadata.tables["auth_session"]
        rows = conn.execute(
            sa.select(*(table.c[c] for c in (*session_cols, "expires_at"))).order_by(table.c.id)
        )
        out["auth_session rows"] = tuple(tuple(r) for r in rows)
    return out


def browser_vars(state: rx.State) -> dict[str, Any]:
    """Everything the tab would send to the browser (every state of its branch, computed vars included)."""
    root: Any = state
    while root.parent_state is not None:
        root = root.parent_state
    return root.dict()  # type: ignore[no-any-return]


def echoed(tree: Any, ids: set[int]) -> str:
    """The browser-bound vars with the ids the forged client itself sent masked out: its router data, the links a
    page builds from the route ``id`` (a form's "Cancel" back to ``/app/invoices/<id>``) and a select's value."""
    text = repr(tree)
    for value in ids:
        for spelled in (
            f"'id': '{value}'",
            f"'id_rx_state_': '{value}'",  # the root state's route-argument var, once the app has added its pages
            f"/{value}'",
            f"/{value}?",
            f"_value': '{value}'",
            f"_value_rx_state_': '{value}'",
        ):
            text = text.replace(spelled, spelled.replace(str(value), "<sent id>"))
    return text


def refused(tab: rx.State, answers: list[str]) -> bool:
    """Whether the tab was turned away: its page shows a gate (sign in, no access, not found) or an answer said no.
    (Staff of another workspace on a list page are not refused: they see their own workspace's list.)"""
    gate = getattr(tab, "gate", GATE_READY)
    words = ("Not found", "not available", "permission", "sign in", "Sign in")
    return gate not in (GATE_READY, GATE_LOADING) or any(w in a for a in answers for w in words)


def may_read(actor: str, state_name: str, kind: str) -> bool:
    """Whether ``actor`` is a member of the victim's workspace who may read the page (only not act on it): they
    see the record, so their answer differs from a missing record's by design."""
    page_kind = HANDLERS.get(f"{state_name}.load", kind)
    member = actor.startswith("staff ") and actor != "staff of another workspace"
    return member and actor not in attackers(page_kind)


class SecurityLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def security_log() -> Iterator[SecurityLog]:
    handler = SecurityLog()
    logger = logging.getLogger("portal.security")
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@pytest.fixture
def db_opens(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a handler opened a database session (a handler that never does has nothing to refuse)."""
    opened = [0]
    original = BaseState._db

    @contextmanager
    def counting(self: BaseState) -> Iterator[Session]:
        opened[0] += 1
        with original(self) as session:
            yield session

    monkeypatch.setattr(BaseState, "_db", counting)
    return opened


def run_as(
    world: World, cls: type[rx.State], name: str, actor: str, route_id: int, values: list[Any]
) -> tuple[list[str], list[str], rx.State]:
    """One forged tab of ``actor`` on ``cls``: the handler before and after the page's load, with each value.
    Returns (answers, exceptions that escaped, the tab)."""
    n_args = arities(cls, name)
    tab = page_state(cls, world.tokens[actor], path="/x", params={"id": str(route_id)})
    calls = [tuple([v] * n_args) for v in values] if n_args else [()]
    answers: list[str] = []
    escaped: list[str] = []
    for when in ("before load", "after load"):
        if when == "after load" and name != "load" and "load" in cls.event_handlers:
            try:
                answers.append(answer(call_handler(tab, "load", ())))
            except Exception as exc:  # noqa: BLE001
                escaped.append(f"{actor} load: {exc!r}")
        for args in calls:
            try:
                answers.append(answer(call_handler(tab, name, args)))
            except Exception as exc:  # noqa: BLE001
                escaped.append(f"{actor} {when} {args!r:.60}: {exc!r}")
    return answers, escaped, tab


ATTACKED = sorted(
    name for name, kind in HANDLERS.items() if kind != "public" and not name.endswith((".watch", ".setvar"))
)


@pytest.mark.parametrize("handler", ATTACKED)
def test_handler_refuses_every_actor_without_access(
    world: World, engine: sa.Engine, handler: str, security_log: SecurityLog, db_opens: list[int]
) -> None:
    """Per actor who may not call ``handler``: nothing written, nothing leaked, nothing raised; the same answer
    (events and browser-bound vars) as the same calls naming records that do not exist; and every refusal that
    consulted the database left a line on the security log."""
    state_name, name = handler.split(".")
    cls = handler_names()[handler]
    kind = HANDLERS[handler]
    route_kind = ROUTE_KIND.get(state_name, "account")
    route_id = world.records[route_kind]
    before = snapshot(engine)
    escaped: list[str] = []
    leaked: list[str] = []
    differs: list[str] = []
    unlogged: list[str] = []
    for actor in attackers(kind):
        if actor == "staff of another workspace" and OWN_WORKSPACE_STATES & {state_name, handler}:
            continue
        logged, opened = len(security_log.records), db_opens[0]
        answers, raised, tab = run_as(world, cls, name, actor, route_id, forged_values(world, route_id))
        escaped += raised
        seen = browser_vars(tab)
        if any(m in repr(seen) for m in forbidden_markers(world, actor, kind)):
            leaked.append(actor)
        if refused(tab, answers) and db_opens[0] > opened and len(security_log.records) == logged:
            unlogged.append(actor)
        twin_answers, raised, twin = run_as(
            world, cls, name, actor, MISSING, forged_values(world, route_id, missing=True)
        )
        escaped += raised
        sent = {route_id, *world.records.values(), world.a.ws.id or 0, world.a.owner.membership_id}
        victim = (answers, echoed(seen, sent))
        if not may_read(actor, state_name, kind) and victim != (
            twin_answers,
            echoed(browser_vars(twin), {MISSING}),
        ):
            differs.append(f"{actor}: {answers[:3]} vs {twin_answers[:3]}")
    after = snapshot(engine)
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not changed, f"{handler} changed the database: {changed}"
    assert not escaped, f"{handler} raised: {escaped[:5]}"
    assert not leaked, f"{handler} put the victim's data in the state of: {leaked}"
    assert not differs, f"{handler} answered the victim's ids unlike missing ones: {differs[:3]}"
    assert not unlogged, f"{handler} refused without a line on the security log: {unlogged}"

"""Staff estimate pages without a browser: list paging, search and forged filters; the draft form's errors and
what it keeps; another workspace's estimate; share; re-issue; the contact preview holds no internal fields.

Handlers are called directly, with a router carrying the session cookie and the page's route (``[id]`` is a route
parameter the client sends with every event, so tests forge it the same way). Data is committed and wiped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402
from reflex.istate.data import RouterData  # noqa: E402

from models import Estimate, EstimateStatus, EstimateVersion, SessionKind  # noqa: E402
from portal_app.services import estimates, sessions  # noqa: E402
from portal_app.services.lines import LineInput  # noqa: E402
from portal_app.services.sessions import COOKIE_NAME  # noqa: E402
from state.estimate_form import EstimateFormState  # noqa: E402
from state.estimates import EstimateDetailState, EstimatesListState  # noqa: E402
from tests.factories import make_tenant  # noqa: E402

S = TypeVar("S", bound=rx.State)

LINES = [
    LineInput("Design work", quantity=10, unit_price_minor=12_500, tax_rate_bp=2000, unit_cost_minor=6_000),
    LineInput("Hosting", quantity=1, unit_price_minor=4_999),
]


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def page_state(cls: type[S], token: str | None, *, path: str = "/app/estimates", record_id: Any = None) -> S:
    """A fresh state tree for one tab on ``path`` (a route pattern), with ``[id]`` = ``record_id`` if given."""
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    query = {"id": str(record_id)} if record_id is not None else {}
    router = RouterData.from_router_data(
        {
            "headers": {"cookie": f"{COOKIE_NAME}={token}" if token else ""},
            "pathname": path,
            "asPath": path.replace("[id]", str(record_id)),
            "query": query,
            "token": "t",
        }
    )
    object.__setattr__(root, "router", router)
    current: Any = state
    while current is not None:
        current.router = router
        current = current.parent_state
    return state  # type: ignore[return-value]


def call(state: rx.State, handler: str, *args: Any) -> Any:
    return getattr(type(state), handler).fn(state, *args)


def staff_token(db: Session, actor: Any) -> str:
    issued = sessions.create_session(
        db, kind=SessionKind.STAFF, user_id=actor.user_id, workspace_id=actor.workspace_id
    )
    db.commit()
    return issued.token


def _estimate(db: Session, t: Any, title: str = "Website rebuild", *, share: bool = False, **kw: Any) -> int:
    est = estimates.create_estimate(db, t.team_lead, t.account.id, title=title, lines=LINES, **kw)
    if share:
        estimates.share_estimate(db, t.team_lead, est.id)
    return est.id


def _count(db: Session) -> int:
    db.rollback()
    return len(db.exec(select(Estimate)).all())


# -- list -------------------------------------------------------------------------------------------------------


def test_list_pages_searches_and_ignores_forged_filters(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    t.account.name = "Contoso Retail"
    db.add(t.account)
    db.commit()
    for i in range(23):
        _estimate(db, t, f"Job {i}")
    shared = _estimate(db, t, "Signage", share=True)
    _estimate(db, other, "Other workspace job")

    state = page_state(EstimatesListState, staff_token(db, t.finance))
    call(state, "load")
    assert state.gate == "ready" and state.total == 24 and len(state.rows) == 20
    assert state.page_label == "1-20 of 24" and state.can_manage is False
    assert all("Other workspace" not in r.title for r in state.rows)
    assert state.rows[0].href.startswith("/app/estimates/") and state.rows[0].total == "$1,549.99"

    call(state, "next_page")
    assert state.page_label == "21-24 of 24" and len(state.rows) == 4
    state.offset = 10**6  # a forged offset lands on the last page
    call(state, "prev_page")
    assert state.offset == 20 and len(state.rows) == 4

    call(state, "set_filter", "status", "not-a-status")
    assert state.filters == {"status": ""} and state.total == 24
    call(state, "set_filter", "workspace_id", "1")
    assert "workspace_id" not in state.filters
    call(state, "choose_status", "shared")
    assert [r.id for r in state.rows] == [shared] and state.status_filter == "shared"
    assert state.rows[0].status_label == "Shared"

    call(state, "clear_filters")
    call(state, "apply_search", {"search": "  contoso  "})
    assert state.search == "contoso" and state.total == 24
    call(state, "apply_search", {"search": "job 1"})
    assert state.total == 11  # "Job 1" and "Job 10".."Job 19"
    call(state, "apply_search", {"search": ["not", "text"]})
    assert state.search == "" and state.total == 24
    call(state, "apply_search", {"search": "Other workspace"})
    assert state.total == 0 and state.rows == [] and state.filtered is True


def test_list_signed_out_shows_nothing(db: Session) -> None:
    t = make_tenant(db)
    _estimate(db, t)
    state = page_state(EstimatesListState, None)
    call(state, "load")
    assert state.gate == "signed_out" and state.rows == []


# -- form -------------------------------------------------------------------------------------------------------


def _line_form(state: EstimateFormState, **values: str) -> dict[str, str]:
    key = state.lines[0].key
    return {f"line-{key}-{name}": value for name, value in values.items()}


def test_create_with_bad_input_keeps_what_was_typed_and_says_how_to_fix(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    state = page_state(EstimateFormState, staff_token(db, t.team_lead), path="/app/estimates/new")
    call(state, "load")
    assert state.gate == "ready" and state.mode == "new" and state.submit_label == "Create draft"
    assert {a.label for a in state.account_choices} == {t.account.name, t.other_account.name}
    form = {
        "account_id": str(other.account.id),  # another workspace's account, forged into the select
        "title": "   ",
        "valid_until": "2001-01-01",
        "customer_notes": "Net 30",
        **_line_form(state, description="Design", quantity="1.5", unit_price="12,34.5", tax_rate="250"),
    }
    call(state, "submit", form)
    assert _count(db) == 0
    assert set(state.errors) >= {"account_id", "title", "valid_until", "lines"}
    assert "Choose" in state.errors["account_id"] and "today" in state.errors["valid_until"]
    line = state.lines[0]
    assert (line.description, line.quantity, line.unit_price, line.tax_rate) == (
        "Design",
        "1.5",
        "12,34.5",
        "250",
    )
    assert "whole quantity" in line.quantity_error
    assert "1,234.50" in line.unit_price_error
    assert "tax rate" in line.tax_rate_error
    assert state.customer_notes == "Net 30" and state.valid_until == "2001-01-01"


def test_create_computes_totals_on_the_server_and_saves_once(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(EstimateFormState, staff_token(db, t.team_lead), path="/app/estimates/new")
    call(state, "load")
    call(state, "choose_account", str(t.account.id))
    first = state.lines[0].key
    for name, value in (("description", "Design work"), ("quantity", "10"), ("unit_price", "1,250.00")):
        call(state, "set_line", first, name, value)
    call(state, "set_line", first, "tax_rate", "20")
    call(state, "set_line", first, "secret_field", "x")  # not a line field: ignored
    assert state.subtotal == "$12,500.00" and state.tax == "$2,500.00" and state.total == "$15,000.00"
    call(state, "add_line")
    second = state.lines[1].key
    call(state, "set_line", second, "description", "Hosting")
    call(state, "set_line", second, "unit_price", "49.99")
    call(state, "set_line", second, "unit_cost", "20")
    assert state.total == "$15,049.99" and state.cost == "$20.00" and state.totals_note == ""
    call(state, "add_line")
    call(state, "remove_line", state.lines[2].key)
    assert len(state.lines) == 2

    form = {
        "account_id": str(t.account.id),
        "title": "Website rebuild",
        "valid_until": "",
        "internal_notes": "Margin ok",
    }
    for ln in state.lines:
        form.update(
            {
                f"line-{ln.key}-{n}": getattr(ln, n)
                for n in ("description", "quantity", "unit_price", "tax_rate", "unit_cost")
            }
        )
    call(state, "submit", form)
    call(state, "submit", form)  # a double click: the first save stands
    assert _count(db) == 1 and state.errors == {}
    est = db.exec(select(Estimate)).one()
    saved = estimates.get_estimate(db, t.owner, est.id)
    assert (
        saved.total_minor == 1_504_999 and saved.cost_minor == 2_000 and saved.internal_notes == "Margin ok"
    )
    assert saved.status is EstimateStatus.DRAFT


def test_finance_reviewer_and_forged_events_cannot_create(db: Session) -> None:
    t = make_tenant(db)
    state = page_state(EstimateFormState, staff_token(db, t.finance), path="/app/estimates/new")
    call(state, "load")
    assert state.gate == "no_access" and state.account_choices == []
    state.mode = "new"
    state.account_choices = []
    call(state, "submit", {"account_id": str(t.account.id), "title": "x", "line-l1-description": "x"})
    anonymous = page_state(EstimateFormState, None, path="/app/estimates/new")
    call(anonymous, "submit", {"account_id": str(t.account.id), "title": "x"})
    assert _count(db) == 0 and anonymous.gate == "signed_out"


# -- detail, share, re-issue ----------------------------------------------------------------------------------------


def test_another_workspace_gets_not_found_on_detail_and_edit(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    est_id = _estimate(db, t)
    token = staff_token(db, other.manager)
    for cls, path in (
        (EstimateDetailState, "/app/estimates/[id]"),
        (EstimateFormState, "/app/estimates/[id]/edit"),
    ):
        for record_id in (est_id, "abc", -1, 10**9):
            state = page_state(cls, token, path=path, record_id=record_id)
            call(state, "load")
            assert state.gate == "not_found"
            assert t.account.name not in repr(state.dict())
    detail = page_state(EstimateDetailState, token, path="/app/estimates/[id]", record_id=est_id)
    call(detail, "share")
    db.rollback()
    assert db.get(Estimate, est_id).status is EstimateStatus.DRAFT  # type: ignore[union-attr]


def test_share_from_the_detail(db: Session) -> None:
    t = make_tenant(db)
    est_id = _estimate(db, t, internal_notes="Keep margin above 30%")
    reader = page_state(
        EstimateDetailState, staff_token(db, t.finance), path="/app/estimates/[id]", record_id=est_id
    )
    call(reader, "load")
    assert reader.gate == "ready" and reader.can_share is False and reader.can_edit is False
    call(reader, "share")  # refused by the service: a toast, nothing shared
    db.rollback()
    assert db.get(Estimate, est_id).status is EstimateStatus.DRAFT  # type: ignore[union-attr]

    state = page_state(
        EstimateDetailState, staff_token(db, t.team_lead), path="/app/estimates/[id]", record_id=est_id
    )
    call(state, "load")
    assert state.can_share and state.can_edit and not state.can_reissue
    assert state.share_label == f"Share with {t.account.name}" and state.preview_visible is False
    call(state, "share")
    db.rollback()
    assert db.get(Estimate, est_id).status is EstimateStatus.SHARED  # type: ignore[union-attr]
    assert state.status_label == "Shared" and state.can_share is False and state.can_reissue is True
    assert state.preview_visible is True
    preview = repr((state.preview_lines, state.preview_facts, state.preview_notes))
    assert "margin" not in preview.lower() and "$60.00" not in preview  # no internal note, no unit cost
    assert [ln.unit_cost for ln in state.preview_lines] == ["", ""]
    assert state.lines[0].unit_cost == "$60.00" and state.internal_notes == "Keep margin above 30%"


def test_reissue_from_the_form_makes_a_new_shared_version(db: Session) -> None:
    t = make_tenant(db)
    est_id = _estimate(db, t, share=True)
    token = staff_token(db, t.manager)
    form_state = page_state(EstimateFormState, token, path="/app/estimates/[id]/edit", record_id=est_id)
    call(form_state, "load")
    assert form_state.mode == "reissue" and form_state.submit_label == "Re-issue as version 2"
    assert [ln.unit_price for ln in form_state.lines] == ["125.00", "49.99"]
    form = {"valid_until": "", "customer_notes": "Now with support"}
    for ln in form_state.lines:
        form.update(
            {
                f"line-{ln.key}-{n}": getattr(ln, n)
                for n in ("description", "quantity", "unit_price", "tax_rate", "unit_cost")
            }
        )
    form[f"line-{form_state.lines[0].key}-quantity"] = "12"
    form[f"line-{form_state.lines[1].key}-description"] = "Support"
    call(form_state, "submit", form)
    assert form_state.errors == {}
    db.rollback()
    est = db.get(Estimate, est_id)
    assert est is not None and est.current_version == 2 and est.status is EstimateStatus.SHARED
    assert len(db.exec(select(EstimateVersion).where(EstimateVersion.estimate_id == est_id)).all()) == 2

    detail = page_state(EstimateDetailState, token, path="/app/estimates/[id]", record_id=est_id)
    db.rollback()  # never hold SQLite's lock while a handler runs
    call(detail, "load")
    assert [v.label for v in detail.versions] == ["Version 2", "Version 1"] and detail.previous_version == 1
    assert {(c.kind, c.description) for c in detail.changes} == {
        ("Changed", "Design work"),
        ("Added", "Support"),
        ("Removed", "Hosting"),
    }


def test_an_approved_estimate_is_locked_in_the_form(db: Session) -> None:
    t = make_tenant(db)
    est_id = _estimate(db, t, share=True)
    estimates.decide_estimate(
        db,
        t.contact,
        est_id,
        decision="approve",
        version=1,
        signature="Alice Example",
        idempotency_key=uuid.uuid4().hex,
    )
    token = staff_token(db, t.owner)
    state = page_state(EstimateFormState, token, path="/app/estimates/[id]/edit", record_id=est_id)
    call(state, "load")
    assert state.mode == "locked"
    call(state, "submit", {"title": "changed"})
    db.rollback()
    assert db.get(Estimate, est_id).title == "Website rebuild"  # type: ignore[union-attr]
    db.rollback()
    detail = page_state(EstimateDetailState, token, path="/app/estimates/[id]", record_id=est_id)
    call(detail, "load")
    assert detail.decision_label == "Approved" and detail.signature == "Alice Example"
    assert detail.decided_by != "" and not (detail.can_edit or detail.can_share or detail.can_reissue)
    assert [t.href for t in detail.tasks] == [f"/app/tasks/{detail.tasks[0].id}"]  # the approval's follow-up

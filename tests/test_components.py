"""Every page-kit component builds and renders with literal values and with Vars, and carries its labels.

No app, no browser: a component that cannot be created (a bad prop, a wrong Var type) fails here at once. The
visual check happens where pages use them (browser tests with axe).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
import reflex as rx
from reflex.vars.base import Var

from components import badges, detail, dialog, form, shell, table, ui
from portal_app.statuses import STATUS_TABLE


@dataclasses.dataclass
class Row:
    number: str
    title: str
    total: str
    status_label: str
    status_color: str


def var(name: str, type_: Any) -> Any:
    """A Var as a state would provide it (a name in the page's JavaScript), typed like the state's field."""
    return Var(_js_expr=name, _var_type=type_).guess_type()


ROWS = var("rows", list[Row])
NAV = var("nav", list[shell.NavItem])
OPTIONS = var("options", list[shell.SwitchOption])
TEXT = var("text", str)
FLAG = var("flag", bool)
ERRORS = var("errors", dict[str, str])
CLICK = rx.console_log("clicked")


def rendered(component: rx.Component) -> str:
    """The component's render tree as text, to look for props and words in."""
    assert isinstance(component, rx.Component)
    # Unescaped, so the tests can look for ``color:"green"`` as the JavaScript reads.
    return json.dumps(component.render(), default=str).replace('\\"', '"')


def _cells(row: Any) -> list[Any]:
    return [row.number, row.title, row.total, badges.status_badge(row.status_label, row.status_color)]


# -- badges --------------------------------------------------------------------------------------------------


def test_status_badge() -> None:
    out = rendered(badges.status_badge("Approved", "green"))
    assert "RadixThemesBadge" in out and '"Approved"' in out and 'color:"green"' in out
    assert 'variant:"soft"' in out
    assert "RadixThemesBadge" in rendered(badges.status_badge(TEXT, var("color", str)))


@pytest.mark.parametrize("kind", sorted(STATUS_TABLE))
def test_status_badge_for_every_kind(kind: str) -> None:
    value, (label, color) = next(iter(STATUS_TABLE[kind].items()))
    out = rendered(badges.status_badge_for(kind, value))
    assert f'"{label}"' in out and f'color:"{color}"' in out
    # From a Var: the table is compiled into the page, every value with its word.
    out = rendered(badges.status_badge_for(kind, TEXT))
    assert all(f'"{text}"' in out for text, _ in STATUS_TABLE[kind].values())


# -- table ---------------------------------------------------------------------------------------------------


def test_data_table_with_cells() -> None:
    out = rendered(
        table.data_table(
            ["Number", "Title", ("Total", "right"), table.Column("Status", hide_label=False)],
            ROWS,
            _cells,
            empty=table.empty_state("No estimates yet.", "Create one for an account."),
            caption="Estimates",
            id="estimates-table",
        )
    )
    for word in ("Number", "Title", "Total", "Status", "Estimates", "No estimates yet."):
        assert word in out
    assert "data-label" in out and table.STACK_CLASS in out and "tabular-nums" in out


def test_data_table_with_whole_rows_and_hidden_header() -> None:
    out = rendered(
        table.data_table(
            ["Title", table.Column("Actions", align="right", hide_label=True)],
            ROWS,
            lambda r: rx.table.row(rx.table.cell(r.title), rx.table.cell(rx.button("Open"))),
            empty=rx.text("Nothing"),
            caption="Records",
            stack_on_phone=False,
        )
    )
    assert "Actions" in out and table.STACK_CLASS not in out


def test_data_table_checks_the_cell_count() -> None:
    with pytest.raises(ValueError, match="cells"):
        table.data_table(["A", "B"], ROWS, lambda r: [r.title], empty=rx.text("-"), caption="x")


def test_pager() -> None:
    out = rendered(table.pager(TEXT, FLAG, FLAG, CLICK, CLICK))
    assert "Previous page" in out and "Next page" in out and "aria-live" in out and "polite" in out
    assert "Pagination" in out
    rendered(table.pager("21-40 of 312", True, False, CLICK, CLICK))


def test_empty_states() -> None:
    out = rendered(table.empty_state("No estimates yet.", "Create one.", rx.button("New estimate")))
    assert "No estimates yet." in out and "New estimate" in out
    rendered(table.empty_state(TEXT))
    out = rendered(table.filtered_empty(CLICK))
    assert "No matches." in out and "Clear filters" in out


def test_search_box() -> None:
    out = rendered(table.search_box(TEXT, CLICK, "Search estimates", control_id="estimate-search"))
    assert "Search estimates" in out and 'htmlFor:"estimate-search"' in out and "search" in out
    assert 'role:"search"' in out


def test_filter_select() -> None:
    options = [("all", "All statuses"), ("draft", "Draft")]
    out = rendered(table.filter_select("Status", TEXT, options, CLICK, "status-filter"))
    assert 'htmlFor:"status-filter"' in out and "All statuses" in out
    with pytest.raises(ValueError):
        table.filter_select("Status", TEXT, [("", "All")], CLICK, "status-filter")


# -- form ----------------------------------------------------------------------------------------------------


def test_field_is_backwards_compatible() -> None:
    out = rendered(form.field("Name", rx.input(id="name"), control_id="name", hint="Shown to contacts"))
    assert 'htmlFor:"name"' in out and "name-hint" in out and "alert" not in out


def test_field_with_error() -> None:
    error = ERRORS["quantity"]
    control = rx.input(name="quantity", **form.control_props("quantity", error, has_hint=True))
    out = rendered(
        form.field("Quantity", control, control_id="quantity", hint="Up to 1,000,000", error=error)
    )
    assert 'role:"alert"' in out and "quantity-error" in out and "aria-invalid" in out
    assert "quantity-hint quantity-error" in out
    out = rendered(form.field("Quantity", rx.input(id="q"), control_id="q", error="Enter a quantity"))
    assert "Enter a quantity" in out and "q-error" in out


def test_control_props() -> None:
    assert form.control_props("q") == {"id": "q", "aria_invalid": "false"}
    assert form.control_props("q", "", has_hint=True)["aria_describedby"] == "q-hint"
    assert form.control_props("q", "Wrong", has_hint=True)["aria_describedby"] == "q-hint q-error"
    assert form.control_props("q", "Wrong")["aria_invalid"] == "true"
    props = form.control_props("q", TEXT)
    assert isinstance(props["aria_invalid"], Var) and isinstance(props["aria_describedby"], Var)


def test_submit_button() -> None:
    out = rendered(form.submit_button("Share with Contoso Retail", loading=FLAG))
    assert "Share with Contoso Retail" in out and 'type:"submit"' in out and "disabled:flag" in out
    out = rendered(form.submit_button("Save", disabled=FLAG))
    assert "disabled" in out
    rendered(form.submit_button("Save"))


# -- detail --------------------------------------------------------------------------------------------------


def test_page_header() -> None:
    out = rendered(
        detail.page_header("Estimates", "Estimates shared with customers.", rx.button("New estimate"))
    )
    assert 'as:"h1"' in out and "New estimate" in out
    rendered(detail.page_header(TEXT))


def test_detail_layout() -> None:
    out = rendered(
        detail.detail_layout(
            title=TEXT,
            number="EST-0007",
            status=badges.status_badge_for("estimate", "shared"),
            facts=[("Account", "Contoso Retail"), ("Total", TEXT), ("Owner", rx.text("Dana"))],
            main=rx.text("Lines"),
            aside=rx.button("Share"),
            back=rx.link("All estimates", href="/app/estimates"),
        )
    )
    for word in ("EST-0007", "Account", "Contoso Retail", "Lines", "Share", "grid", "All estimates"):
        assert word in out
    # Only a main body: no side column.
    rendered(detail.detail_layout(title="Task", main=rx.text("Body")))


def test_history_link() -> None:
    """A record page's "History": the audit log filtered to the record, only when the state gives a link."""
    out = rendered(ui.history_link(TEXT))
    assert "History" in out and "text" in out and 'id:"record-history"' in out
    out = rendered(detail.detail_layout(title="Invoice", main=rx.text("Body"), history=TEXT))
    assert "History" in out
    assert "History" not in rendered(detail.detail_layout(title="Invoice", main=rx.text("Body")))


# -- dialog --------------------------------------------------------------------------------------------------


def test_confirm_dialog() -> None:
    out = rendered(
        dialog.confirm_dialog(
            "Void",
            title="Void INV-0042?",
            description="The contact will see it as void.",
            confirm_label="Void invoice",
            on_confirm=CLICK,
            aria_label="Void INV-0042",
        )
    )
    assert "Void INV-0042?" in out and "Cancel" in out and "Void invoice" in out and "AlertDialog" in out


def test_confirm_dialog_with_reason() -> None:
    out = rendered(
        dialog.confirm_dialog(
            "Reject",
            title="Reject this payment proof?",
            description="The contact sees your reason.",
            confirm_label="Reject",
            on_confirm=CLICK,
            reason=True,
            reason_label="Why is it rejected?",
        )
    )
    assert 'name:"reason"' in out and "required:true" in out and "Why is it rejected?" in out
    assert f'htmlFor:"{dialog.REASON_ID}"' in out and 'type:"submit"' in out


def test_confirm_button_alias() -> None:
    out = rendered(
        ui.confirm_button(
            "Remove",
            title="Remove this member?",
            description="They lose access at once.",
            confirm_label="Remove member",
            on_confirm=CLICK,
            icon="user-minus",
            aria_label="Remove Dana",
        )
    )
    assert "Remove member" in out and "Remove Dana" in out


# -- shells --------------------------------------------------------------------------------------------------


def test_staff_shell() -> None:
    switch = shell.switcher("Workspace", TEXT, OPTIONS, CLICK, "workspace-switch")
    out = rendered(
        shell.staff_shell(
            rx.heading("Tasks", as_="h1"),
            nav=NAV,
            acting_as=TEXT,
            workspace_name="Northwind",
            switcher=switch,
        )
    )
    for word in ("Acting as ", "Northwind", "Workspace navigation", "Menu", "Skip to content", "main"):
        assert word in out
    for group in shell.STAFF_GROUPS:
        assert f'"{group}"' in out
    assert "aria-current" in out and 'htmlFor:"workspace-switch"' in out


def test_staff_shell_with_literal_nav() -> None:
    items = [
        shell.NavItem("Home", "/app", "Work", "house", True),
        shell.NavItem("Estimates", "/app/estimates", "Records", "file-text"),
    ]
    rendered(shell.staff_shell(rx.text("x"), nav=Var.create(items), acting_as="Owner", workspace_name="Acme"))


def test_portal_shell() -> None:
    out = rendered(
        shell.portal_shell(
            rx.heading("Estimates", as_="h1"),
            nav=NAV,
            account_name=TEXT,
            switcher=shell.switcher("Account", TEXT, OPTIONS, CLICK, "account-switch"),
            workspace_name="Northwind",
        )
    )
    assert "Portal navigation" in out and "Portal navigation (bottom)" in out and "Northwind" in out
    assert "Sign out" in out and "/app" not in out.replace("/app/", "")  # no link into staff pages


def test_nav_icon() -> None:
    assert "LucideHouse" in rendered(shell.nav_icon("house"))
    assert "LucideDot" in rendered(shell.nav_icon("not-an-icon"))
    assert "LucideTruck" in rendered(shell.nav_icon(TEXT))


def test_every_navigation_icon_is_compiled_into_the_shell() -> None:
    """A navigation row whose icon is missing from ``NAV_ICONS`` shows a dot instead of its icon."""
    from state.pages import PORTAL_NAV, STAFF_NAV

    used = {row[3] for row in STAFF_NAV} | {row[2] for row in PORTAL_NAV}
    assert used <= set(shell.NAV_ICONS), sorted(used - set(shell.NAV_ICONS))

"""``setvar`` (on every state) lets a client set a var only through an existing ``set_<var>`` handler; no identity,
scope or gate var has one, and every ``set_`` handler that exists is listed here (and attacked in
test_every_actor.py with forged values)."""

from __future__ import annotations

import re

import pytest
import reflex as rx

from tests.security.inventory import project_states

# Vars a client must never set: who acts, where, which record, and what the gate shows.
TRUSTED = re.compile(r"(^|_)(id|ids|role|workspace|account|kind|gate|viewer|acting|token|session)(_|$)")

# Form choices that are client input by design: the action re-validates them on the server (invite_member parses
# the role and the members service refuses a role above the inviter's: tests/state/test_page_states.py).
INPUT_VARS = {"SettingsState.invite_role"}

SETTERS = {
    "AccountsListState.set_filter", "ApprovalsListState.set_filter", "AuditLogState.set_filter",
    "DeliveriesListState.set_filter", "DocumentsListState.set_filter", "EstimatesListState.set_filter",
    "InvoicesListState.set_filter", "MessagesInboxState.set_filter", "ReviewQueueState.set_filter",
    "TasksListState.set_filter", "OperatorState.set_filter", "PortalApprovalsState.set_filter",
    "PortalDeliveriesState.set_filter", "PortalDocumentsState.set_filter", "PortalEstimatesState.set_filter",
    "PortalInvoicesState.set_filter", "PortalMessagesState.set_filter", "MessagesInboxState.set_new_open",
    "PortalMessagesState.set_new_open", "ReviewQueueState.set_review_open", "InvoiceDetailState.set_payment_open",
    "OperatorState.set_dialog_open", "OperatorState.set_reason", "TaskDetailState.set_status",
    "MessageThreadState.set_mode", "EstimateFormState.set_line", "InvoiceFormState.set_line",
    "DocumentFormState.set_item", "OnboardingState.set_company_name", "OnboardingState.set_portal_enabled",
    "OnboardingState.set_slug", "PortalSignInState.set_email", "SettingsState.set_branding_accent",
    "SettingsState.set_customer_mails", "SettingsState.set_daily_digest", "SettingsState.set_invite_role",
    "SettingsState.set_portal_enabled", "SettingsState.set_reminders_on", "SettingsState.set_time_zone",
}  # fmt: skip


def _fresh(cls: type[rx.State]) -> rx.State:
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    return root.get_substate(cls.get_full_name().split(".")[1:])


def test_the_set_handlers_are_exactly_the_listed_ones() -> None:
    found = {
        f"{name}.{h}"
        for name, cls in project_states().items()
        for h in cls.event_handlers
        if h.startswith("set_")
    }
    assert found == SETTERS


@pytest.mark.parametrize("name", sorted(project_states()))
def test_setvar_cannot_set_a_trusted_var(name: str) -> None:
    cls = project_states()[name]
    state = _fresh(cls)
    setvar = cls.event_handlers["setvar"].fn
    settable = []
    for var in sorted(cls.vars):
        if var.startswith("_"):
            continue
        before = repr(getattr(state, var, None))
        try:
            setvar(state, var, {"forged": 10**30})
        except AttributeError:
            continue  # no set_<var>: Reflex refuses the event
        except Exception:  # noqa: BLE001,S112 - a setter refusing a forged value by raising is still a refusal
            continue
        settable.append(var)
        if TRUSTED.search(var) and f"{name}.{var}" not in INPUT_VARS:
            assert repr(getattr(state, var, None)) == before, f"{name}.{var} was set by setvar"
    assert not [v for v in settable if TRUSTED.search(v) and f"{name}.{v}" not in INPUT_VARS], settable

"""Staff home (``/app``): the owner's and managers' command center; other roles land on their own work.

Owners and managers (``workspace:manage``) see the workspace's signals (services/signals.py), each a number with
its trend and a link to the filtered list behind it, three charts with their numbers in words, the reminders'
week, and where each area is. Team leads are sent to their tasks, finance reviewers to the review queue (the
navigation has no Home for them). The shell (workspace, role, navigation, workspace switch) comes from
``StaffArea``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
from sqlmodel import Session

from portal_app import routes
from portal_app.services import reminders, signals
from portal_app.services.access import StaffActor
from portal_app.services.permissions import Permission, role_has
from state.account_view import BalanceRow
from state.base import Events
from state.command_center import (
    AssigneeRow,
    SignalCard,
    aging_chart,
    assignee_rows,
    decision_chart,
    review_age_chart,
    signal_cards,
)
from state.pages import StaffArea, StaffPage

# What each area of the navigation is for, as the home page explains it.
BLURBS = {
    routes.STAFF_TASKS: "Follow-up tasks raised by customers' answers and uploads, assigned to your team.",
    routes.STAFF_ACCOUNTS: "Customer accounts, their contacts and what each contact may see in the portal.",
    routes.STAFF_ESTIMATES: "Draft, share and re-issue estimates; see customers' decisions.",
    routes.STAFF_APPROVALS: "Ask a customer for a yes on a change order, a proof or terms, and see the answer.",
    routes.STAFF_INVOICES: "Bill accounts, record payments, void what was issued by mistake.",
    routes.STAFF_STATEMENTS: "An account's balance, activity and aging for any period; share it or download it.",
    routes.STAFF_REVIEW: "Payment proof and documents customers sent, waiting for your decision.",
    routes.STAFF_MESSAGES: "Conversations with your customers' contacts, unanswered first.",
    routes.STAFF_DOCUMENTS: "Ask an account for documents as a checklist; see what arrived and what is missing.",
    routes.STAFF_DELIVERIES: "Delivery status and timelines you share with customers; exceptions first.",
    routes.STAFF_AUDIT: "Who did what and when, in plain words; verify the chain and export what you filtered.",
    routes.STAFF_SETTINGS: "The workspace, its members and invitations, and the Customer Portal module.",
}


def landing(actor: StaffActor) -> str:
    """Where ``/app`` takes a member who has no command center: reviewers to the review queue, team leads to the
    tasks waiting for them (theirs and their role's). "" for owners and managers, who stay."""
    if role_has(actor.role, Permission.WORKSPACE_MANAGE):
        return ""
    if role_has(actor.role, Permission.INTAKE_REVIEW):
        return routes.STAFF_REVIEW
    return routes.url_for(routes.STAFF_TASKS, who="mine")


@dataclasses.dataclass
class Destination:
    label: str
    href: str
    icon: str
    blurb: str


class StaffHomeState(StaffPage, StaffArea):
    landing: str = ""  # set while a member who lands elsewhere is being sent there
    destinations: list[Destination] = []
    # Owners and managers: what the reminders did this week.
    reminders_sent: str = ""
    reminders_followed: str = ""
    # The command center (owners and managers; empty for other roles).
    cards: list[SignalCard] = []
    assignees: list[AssigneeRow] = []
    decisions: list[dict[str, Any]] = []
    decisions_summary: str = ""
    aging_currency: str = ""
    aging: list[dict[str, Any]] = []
    aging_table: list[BalanceRow] = []
    aging_summary: str = ""
    review_ages: list[dict[str, Any]] = []
    review_summary: str = ""

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        self.landing = landing(actor)
        if self.landing:
            return rx.redirect(self.landing, replace=True)
        # The navigation rows are already filtered by the member's permissions: the home lists the same areas.
        self.destinations = [
            Destination(label=item.label, href=item.href, icon=item.icon, blurb=BLURBS.get(item.href, ""))
            for item in self.nav
            if item.href != routes.STAFF
        ]
        stats = reminders.week_stats(session, actor)
        self.reminders_sent = (
            f"{stats.sent} reminder{'s' if stats.sent != 1 else ''} sent in the last 7 days "
            f"({stats.mails} mail{'s' if stats.mails != 1 else ''})"
        )
        share = f" ({round(100 * stats.followed / stats.sent)} %)" if stats.sent else ""
        self.reminders_followed = (
            f"{stats.followed} followed within 3 days by an upload, a decision or a payment{share}"
        )
        cc = signals.command_center(session, actor)
        self.cards = signal_cards(cc)
        self.assignees = assignee_rows(cc)
        self.decisions, self.decisions_summary = decision_chart(cc)
        self.aging_currency, self.aging, self.aging_table, self.aging_summary = aging_chart(cc)
        self.review_ages, self.review_summary = review_age_chart(cc)
        return None

"""Staff home (``/app``): where a member's work is, by the areas their role opens.

The shell (workspace, role, navigation, workspace switch) comes from ``StaffArea``; members and the module switch
live on ``/app/settings`` (state/settings.py), accounts and their contacts on ``/app/accounts`` (state/accounts.py).
"""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from portal_app import routes
from portal_app.services import reminders
from portal_app.services.access import StaffActor
from portal_app.services.permissions import Permission, role_has
from state.base import Events
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
    routes.STAFF_SETTINGS: "The workspace, its members and invitations, and the Customer Portal module.",
}


@dataclasses.dataclass
class Destination:
    label: str
    href: str
    icon: str
    blurb: str


class StaffHomeState(StaffPage, StaffArea):
    destinations: list[Destination] = []
    # Owners and managers: what the reminders did this week ("" for other roles).
    reminders_sent: str = ""
    reminders_followed: str = ""

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        # The navigation rows are already filtered by the member's permissions: the home lists the same areas.
        self.destinations = [
            Destination(label=item.label, href=item.href, icon=item.icon, blurb=BLURBS.get(item.href, ""))
            for item in self.nav
            if item.href != routes.STAFF
        ]
        self.reminders_sent = self.reminders_followed = ""
        if role_has(actor.role, Permission.WORKSPACE_MANAGE):
            stats = reminders.week_stats(session, actor)
            self.reminders_sent = (
                f"{stats.sent} reminder{'s' if stats.sent != 1 else ''} sent in the last 7 days "
                f"({stats.mails} mail{'s' if stats.mails != 1 else ''})"
            )
            share = f" ({round(100 * stats.followed / stats.sent)} %)" if stats.sent else ""
            self.reminders_followed = (
                f"{stats.followed} followed within 3 days by an upload, a decision or a payment{share}"
            )
        return None

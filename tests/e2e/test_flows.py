"""End-to-end flows in real Chromium against the running app (see conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import APP_URL, PHONE, PORTAL_URL, shot
from tests.e2e.server import OPERATOR_EMAIL

NewPage = Callable[..., Page]


def sign_in_demo(page: Page, person: str) -> None:
    """Staff sign-in through the real flow: /app → sign-in route → built-in provider page → pick a demo person."""
    page.goto("/app")
    page.locator("#staff-sign-in").click()
    page.wait_for_url(re.compile(r".*/dev-idp/.*"))
    page.get_by_role("button", name=re.compile(person)).click()
    page.wait_for_url(APP_URL)
    expect(page.locator("#workspace-name")).to_be_visible()


def sign_in_typed(page: Page, email: str, name: str) -> None:
    """On the built-in provider page: type an identity instead of picking a demo person."""
    page.wait_for_url(re.compile(r".*/dev-idp/.*"))
    page.locator("input#email").fill(email)
    page.locator("input#name").fill(name)
    page.get_by_role("button", name="Continue").click()


def test_staff_signs_in_with_the_builtin_provider_and_invites_a_member(new_page: NewPage) -> None:
    page = new_page()
    sign_in_demo(page, "Olivia Owner")

    expect(page.locator("#workspace-name")).to_have_text("Northwind Studio")
    expect(page.locator("#role-label")).to_have_text("Owner")
    members = page.locator("#members-table")
    for name in ("Olivia Owner", "Max Manager", "Tara Lead", "Frank Finance"):
        expect(members).to_contain_text(name)
    expect(page.locator("#viewer-area")).to_contain_text("Olivia Owner")

    page.locator("#invite-email").fill("new.hire@northwind.example")
    page.locator("#invite-role").click()
    page.get_by_role("option", name="Finance/admin reviewer").click()
    page.locator("#invite-submit").click()

    invitations = page.locator("#invitations-table")
    expect(invitations).to_contain_text("new.hire@northwind.example")
    expect(invitations).to_contain_text("Finance/admin reviewer")
    expect(page.locator("#invite-email")).to_have_value("")

    page.locator(".account-item", has_text="Contoso Retail").click()
    expect(page.locator("#contacts-table")).to_contain_text("alice@contoso.example")
    shot(page, "staff-dashboard-1280")

    # Sign-out is a real POST to the HTTP route: the session ends server-side and the header shows "Sign in".
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))
    expect(page.locator("#viewer-area")).to_have_count(0)
    page.goto("/app")
    expect(page.locator("#staff-sign-in")).to_be_visible()
    expect(page.locator("#members-table")).to_have_count(0)


def test_new_identity_goes_through_onboarding_to_its_dashboard(new_page: NewPage) -> None:
    page = new_page()
    page.goto("/app/onboarding")
    shot(page, "onboarding-signed-out-1280")
    page.locator("#staff-sign-in").click()
    sign_in_typed(page, "nia@newco.example", "Nia Founder")

    page.wait_for_url(re.compile(r".*/app/onboarding/?$"))
    page.locator("#company-name").fill("Newco Trading")
    expect(page.locator("#workspace-slug")).to_have_value("newco-trading")
    shot(page, "onboarding-1280")
    page.locator("#create-workspace").click()

    page.wait_for_url(APP_URL)
    expect(page.locator("#workspace-name")).to_have_text("Newco Trading")
    expect(page.locator("#role-label")).to_have_text("Owner")
    expect(page.locator("#members-table")).to_contain_text("Nia Founder")
    expect(page.locator("#portal-toggle")).to_have_attribute("data-state", "checked")


def test_contact_signs_in_by_magic_link_and_switches_account(new_page: NewPage) -> None:
    page = new_page()
    page.goto("/portal")
    page.wait_for_url(re.compile(r".*/portal/sign-in/?$"))
    page.locator("#magic-email").fill("alice@contoso.example")
    page.locator("#magic-submit").click()
    expect(page.locator("#magic-sent")).to_contain_text("If that address belongs to a customer contact")
    shot(page, "portal-sign-in-sent-1280")

    page.locator("#dev-mailbox-link").click()
    page.wait_for_url(re.compile(r".*/dev/mailbox/?$"))
    page.locator("a[href*='/auth/magic/']").first.click()
    page.get_by_role("button", name="Continue to the portal").click()

    page.wait_for_url(PORTAL_URL)
    expect(page.locator("#account-name")).to_have_text("Contoso Retail")
    expect(page.locator("#areas")).to_contain_text("Billing")
    shot(page, "portal-home-1280")

    page.locator("#account-switcher").click()
    page.get_by_role("option", name="Fabrikam Logistics").click()
    page.wait_for_url(PORTAL_URL)
    expect(page.locator("#account-name")).to_have_text("Fabrikam Logistics")
    # Alice may see documents for Contoso but not for Fabrikam (demo data).
    expect(page.locator(".portal-area", has_text="Documents")).to_contain_text("Not shared")


def test_portal_pages_on_a_phone(new_page: NewPage) -> None:
    page = new_page(PHONE)
    page.goto("/portal/sign-in")
    expect(page.locator("#magic-email")).to_be_visible()
    shot(page, "portal-sign-in-390")
    page.locator("#magic-email").fill("bob@contoso.example")
    page.locator("#magic-submit").click()
    expect(page.locator("#magic-sent")).to_be_visible()
    page.goto("/dev/mailbox")
    page.locator("a[href*='/auth/magic/']").first.click()
    page.get_by_role("button", name="Continue to the portal").click()
    page.wait_for_url(PORTAL_URL)
    expect(page.locator("#account-name")).to_have_text("Contoso Retail")
    shot(page, "portal-home-390")


def test_operator_suspends_and_reinstates_a_workspace(new_page: NewPage) -> None:
    # A staff member sees only the operator gate, no data.
    staff = new_page()
    sign_in_demo(staff, "Max Manager")
    staff.goto("/operator")
    expect(staff.locator("#operator-sign-in")).to_be_visible()
    expect(staff.locator("#workspaces-table")).to_have_count(0)

    page = new_page()
    page.goto("/operator")
    shot(page, "operator-gate-1280")
    page.locator("#operator-sign-in").click()
    sign_in_typed(page, OPERATOR_EMAIL, "Platform Operator")
    page.wait_for_url(re.compile(r".*/operator/?$"))

    row = page.locator(".workspace-row", has_text="northwind")
    expect(row).to_contain_text("Northwind Studio")
    expect(row).to_contain_text("Active")

    row.get_by_role("button", name="Suspend").click()
    page.locator("#confirm-status").click()  # no reason yet: refused
    expect(page.get_by_text("Give a reason of at least 5 characters.")).to_be_visible()
    page.locator("#status-reason").fill("Payment overdue for three months")
    page.locator("#confirm-status").click()
    expect(row).to_contain_text("Suspended")
    expect(row).to_contain_text("Payment overdue for three months")
    shot(page, "operator-suspended-1280")

    # Suspension blocks the workspace's staff on their next event.
    staff.goto("/app")
    expect(staff.get_by_text("No workspace yet")).to_be_visible()

    row.get_by_role("button", name="Reinstate").click()
    page.locator("#status-reason").fill("Paid in full")
    page.locator("#confirm-status").click()
    expect(row).to_contain_text("Active")
    staff.goto("/app")
    expect(staff.locator("#workspace-name")).to_have_text("Northwind Studio")


def test_removed_member_is_refused_on_their_next_action(new_page: NewPage) -> None:
    member = new_page()
    sign_in_demo(member, "Tara Lead")
    expect(member.locator("#role-label")).to_have_text("Team lead")

    owner = new_page()
    sign_in_demo(owner, "Olivia Owner")
    row = owner.locator(".member-row", has_text="Tara Lead")
    row.get_by_role("button", name="Remove").click()
    owner.get_by_role("button", name="Remove member").click()
    expect(owner.locator("#members-table")).not_to_contain_text("Tara Lead")

    # Tara's page is still open with her old websocket; her next event re-resolves the session and is refused.
    member.locator(".account-item", has_text="Contoso Retail").click()
    expect(member.get_by_text("Your access to this workspace has ended.")).to_be_visible()
    expect(member.get_by_text("No workspace yet")).to_be_visible()
    expect(member.locator("#members-table")).to_have_count(0)
    shot(member, "removed-member-1280")


def test_user_in_two_workspaces_switches_between_them(new_page: NewPage) -> None:
    page = new_page()
    page.goto("/app/onboarding")
    page.locator("#staff-sign-in").click()
    sign_in_typed(page, "sam@twoco.example", "Sam Two")
    for name in ("Alpha Works", "Beta Works"):
        page.wait_for_url(re.compile(r".*/app/onboarding/?$"))
        page.locator("#company-name").fill(name)
        page.locator("#create-workspace").click()
        page.wait_for_url(APP_URL)
        expect(page.locator("#workspace-name")).to_have_text(name)
        if name == "Alpha Works":
            page.locator("#new-workspace-link").click()

    page.locator("#workspace-switcher").click()
    page.get_by_role("option", name=re.compile("Alpha Works")).click()
    page.wait_for_url(APP_URL)
    expect(page.locator("#workspace-name")).to_have_text("Alpha Works")
    expect(page.locator("#workspace-switcher")).to_contain_text("Alpha Works")
    shot(page, "workspace-switcher-1280")

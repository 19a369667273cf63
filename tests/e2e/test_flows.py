"""End-to-end flows in real Chromium against the running app (see conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.a11y import expect_accessible
from tests.e2e.conftest import APP_URL, PHONE, PORTAL_URL, shot
from tests.e2e.server import OPERATOR_EMAIL

NewPage = Callable[..., Page]
# Playwright cannot take a "/" inside a name pattern: "." stands for it.
MAGIC_LINK = re.compile(r"auth.magic.")


def gate_sign_in(page: Page, name: str = "Sign in") -> None:
    """The sign-in button of a page's gate (the header has its own "Sign in" too)."""
    page.get_by_role("main").get_by_role("link", name=name).click()


def go_to(page: Page, area: str) -> None:
    """Follow the staff navigation to one area ("Settings", "Accounts") and wait for its heading."""
    page.get_by_role("navigation", name="Workspace navigation").get_by_role(
        "link", name=area, exact=True
    ).click()
    page.wait_for_url(re.compile(rf".*/app/{area.lower()}/?$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def open_account(page: Page, name: str) -> None:
    """From anywhere in the staff area: the accounts list, then the account's own page."""
    go_to(page, "Accounts")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(re.compile(r".*/app/accounts/\d+/?$"))
    expect(page.locator("#account-name")).to_have_text(name)


def sign_in_demo(page: Page, person: str) -> None:
    """Staff sign-in through the real flow: /app → sign-in route → built-in provider page → pick a demo person."""
    page.goto("/app")
    gate_sign_in(page)
    page.wait_for_url(re.compile(r".*/dev-idp/.*"))
    page.get_by_role("button", name=re.compile(person)).click()
    page.wait_for_url(APP_URL)
    expect(page.locator("#workspace-name")).to_be_visible()


def sign_in_typed(page: Page, email: str, name: str) -> None:
    """On the built-in provider page: type an identity instead of picking a demo person."""
    page.wait_for_url(re.compile(r".*/dev-idp/.*"))
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Continue").click()


def test_staff_signs_in_with_the_builtin_provider_and_invites_a_member(new_page: NewPage) -> None:
    page = new_page()
    sign_in_demo(page, "Olivia Owner")

    expect(page.locator("#workspace-name")).to_have_text("Northwind Studio")
    expect(page.locator("#role-label")).to_have_text("Owner")
    expect(page.locator("#shell-acting-as")).to_contain_text("Owner")
    for area in ("Tasks", "Accounts", "Estimates", "Approvals", "Settings"):
        expect(
            page.locator("#staff-destinations").get_by_role("link", name=re.compile(f"^{area}"))
        ).to_be_visible()
    shot(page, "staff-home-1280")
    expect_accessible(page, "staff-home-1280")

    go_to(page, "Settings")
    expect(page.locator("#workspace-name")).to_have_text("Northwind Studio")
    members = page.locator("#members-table")
    for name in ("Olivia Owner", "Max Manager", "Tara Lead", "Frank Finance"):
        expect(members).to_contain_text(name)
    expect(page.locator("#viewer-area")).to_contain_text("Olivia Owner")

    page.get_by_label("Email address").fill("new.hire@northwind.example")
    page.get_by_label("Role", exact=True).click()
    page.get_by_role("option", name="Finance/admin reviewer").click()
    page.get_by_role("button", name="Invite", exact=True).click()

    invitations = page.locator("#invitations-table")
    expect(invitations).to_contain_text("new.hire@northwind.example")
    expect(invitations).to_contain_text("Finance/admin reviewer")
    expect(page.get_by_label("Email address")).to_have_value("")

    shot(page, "staff-settings-1280")
    expect_accessible(page, "staff-settings-1280")

    go_to(page, "Accounts")
    page.get_by_label("Search accounts").fill("conto")
    page.get_by_label("Search accounts").press("Enter")  # the keyboard way; the pointer stays off the button
    expect(page.locator("#accounts-table")).to_contain_text("Contoso Retail")
    expect(page.locator("#accounts-table")).not_to_contain_text("Fabrikam Logistics")
    shot(page, "staff-accounts-1280")
    expect_accessible(page, "staff-accounts-1280")
    open_account(page, "Contoso Retail")
    expect(page.locator("#contacts-table")).to_contain_text("alice@contoso.example")
    shot(page, "staff-account-1280")
    expect_accessible(page, "staff-account-1280")

    # Sign-out is a real POST to the HTTP route: the session ends server-side and the header shows "Sign in".
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))
    expect(page.locator("#viewer-area")).to_have_count(0)
    page.goto("/app")
    expect(page.get_by_role("main").get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.locator("#members-table")).to_have_count(0)


def test_new_identity_goes_through_onboarding_to_its_dashboard(new_page: NewPage) -> None:
    page = new_page()
    page.goto("/app/onboarding")
    shot(page, "onboarding-signed-out-1280")
    expect_accessible(page, "onboarding-signed-out-1280")
    gate_sign_in(page)
    sign_in_typed(page, "nia@newco.example", "Nia Founder")

    page.wait_for_url(re.compile(r".*/app/onboarding/?$"))
    page.get_by_label("Company name").fill("Newco Trading")
    expect(page.get_by_label("Web address")).to_have_value("newco-trading")
    expect(page.get_by_role("switch", name="Customer Portal module")).to_be_checked()
    shot(page, "onboarding-1280")
    expect_accessible(page, "onboarding-1280")
    page.get_by_role("button", name="Create workspace").click()

    page.wait_for_url(APP_URL)
    expect(page.locator("#workspace-name")).to_have_text("Newco Trading")
    expect(page.locator("#role-label")).to_have_text("Owner")
    go_to(page, "Settings")
    expect(page.locator("#members-table")).to_contain_text("Nia Founder")
    expect(page.get_by_role("switch", name="Portal open to contacts")).to_be_checked()


def test_contact_signs_in_by_magic_link_and_switches_account(new_page: NewPage) -> None:
    page = new_page()
    page.goto("/portal")
    page.wait_for_url(re.compile(r".*/portal/sign-in/?$"))
    page.get_by_label("Email address").fill("alice@contoso.example")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("#magic-sent")).to_contain_text("If that address belongs to a customer contact")
    shot(page, "portal-sign-in-sent-1280")
    expect_accessible(page, "portal-sign-in-sent-1280")

    page.get_by_role("link", name="local mailbox").click()
    page.wait_for_url(re.compile(r".*/dev/mailbox/?$"))
    expect_accessible(page, "dev-mailbox-1280")
    page.get_by_role("link", name=MAGIC_LINK).first.click()
    expect_accessible(page, "magic-link-confirm-1280")
    page.get_by_role("button", name="Continue to the portal").click()

    page.wait_for_url(PORTAL_URL)
    expect(page.locator("#account-name")).to_have_text("Contoso Retail")
    expect(page.locator("#areas")).to_contain_text("Billing")
    shot(page, "portal-home-1280")
    expect_accessible(page, "portal-home-1280")

    page.get_by_label("Viewing account").click()
    page.get_by_role("option", name="Fabrikam Logistics").click()
    page.wait_for_url(PORTAL_URL)
    expect(page.locator("#account-name")).to_have_text("Fabrikam Logistics")
    # Alice may see documents for Contoso but not for Fabrikam (demo data).
    expect(page.locator(".portal-area", has_text="Documents")).to_contain_text("Not shared")
    expect(page.get_by_label("Viewing account")).to_contain_text("Fabrikam Logistics")
    expect_accessible(page, "portal-home-other-account-1280")


def test_portal_pages_on_a_phone(new_page: NewPage) -> None:
    page = new_page(PHONE)
    page.goto("/portal/sign-in")
    expect(page.get_by_label("Email address")).to_be_visible()
    shot(page, "portal-sign-in-390")
    expect_accessible(page, "portal-sign-in-390")
    page.get_by_label("Email address").fill("bob@contoso.example")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("#magic-sent")).to_be_visible()
    page.goto("/dev/mailbox")
    page.get_by_role("link", name=MAGIC_LINK).first.click()
    page.get_by_role("button", name="Continue to the portal").click()
    page.wait_for_url(PORTAL_URL)
    expect(page.locator("#account-name")).to_have_text("Contoso Retail")
    shot(page, "portal-home-390")
    expect_accessible(page, "portal-home-390")


def test_operator_suspends_and_reinstates_a_workspace(new_page: NewPage) -> None:
    # A staff member sees only the operator gate, no data.
    staff = new_page()
    sign_in_demo(staff, "Max Manager")
    staff.goto("/operator")
    expect(staff.get_by_role("link", name="Operator sign in")).to_be_visible()
    expect(staff.locator("#workspaces-table")).to_have_count(0)

    page = new_page()
    page.goto("/operator")
    shot(page, "operator-gate-1280")
    expect_accessible(page, "operator-gate-1280")
    page.get_by_role("link", name="Operator sign in").click()
    sign_in_typed(page, OPERATOR_EMAIL, "Platform Operator")
    page.wait_for_url(re.compile(r".*/operator/?$"))

    row = page.get_by_role("row").filter(has_text="northwind")
    expect(row).to_contain_text("Northwind Studio")
    expect(row).to_contain_text("Active")

    row.get_by_role("button", name="Suspend").click()
    confirm = page.get_by_role("button", name="Suspend workspace")
    confirm.click()  # no reason yet: refused
    expect(page.get_by_text("Give a reason of at least 5 characters.")).to_be_visible()
    page.get_by_label("Reason").fill("Payment overdue for three months")
    confirm.click()
    expect(row).to_contain_text("Suspended")
    expect(row).to_contain_text("Payment overdue for three months")
    shot(page, "operator-suspended-1280")
    expect_accessible(page, "operator-suspended-1280")

    # Suspension blocks the workspace's staff on their next event.
    staff.goto("/app")
    expect(staff.get_by_text("No workspace yet")).to_be_visible()

    row.get_by_role("button", name="Reinstate").click()
    page.get_by_label("Reason").fill("Paid in full")
    page.get_by_role("button", name="Reinstate workspace").click()
    expect(row).to_contain_text("Active")
    staff.goto("/app")
    expect(staff.locator("#workspace-name")).to_have_text("Northwind Studio")


def test_removed_member_is_refused_on_their_next_action(new_page: NewPage) -> None:
    # Frank, whom no later journey needs: the browser tests share one app per run, and the estimate and task
    # journeys sign in as Tara Lead.
    member = new_page()
    # A finance reviewer lands on the review queue, not on the owner's command center.
    member.goto("/app")
    gate_sign_in(member)
    member.wait_for_url(re.compile(r".*/dev-idp/.*"))
    member.get_by_role("button", name=re.compile("Frank Finance")).click()
    member.wait_for_url(re.compile(r".*/app/review/?$"))
    expect(member.get_by_role("heading", name="Review queue", level=1)).to_be_visible()
    expect(member.locator("#shell-acting-as")).to_contain_text("Finance/admin reviewer")
    go_to(member, "Accounts")
    expect(member.locator("#accounts-table")).to_contain_text("Contoso Retail")

    owner = new_page()
    sign_in_demo(owner, "Olivia Owner")
    go_to(owner, "Settings")
    row = owner.get_by_role("row").filter(has_text="Frank Finance")
    row.get_by_role("button", name="Remove").click()
    owner.get_by_role("button", name="Remove member").click()
    expect(owner.locator("#members-table")).not_to_contain_text("Frank Finance")

    # Frank's page is still open with his old websocket; his next event re-resolves the session and is refused.
    member.get_by_label("Search accounts").fill("Contoso")
    member.get_by_label("Search accounts").press("Enter")
    expect(member.get_by_text("Your access to this workspace has ended.")).to_be_visible()
    expect(member.get_by_text("No workspace yet")).to_be_visible()
    expect(member.locator("#accounts-table")).to_have_count(0)
    shot(member, "removed-member-1280")
    expect_accessible(member, "removed-member-1280")


def test_user_in_two_workspaces_switches_between_them(new_page: NewPage) -> None:
    page = new_page()
    page.goto("/app/onboarding")
    gate_sign_in(page)
    sign_in_typed(page, "sam@twoco.example", "Sam Two")
    for name in ("Alpha Works", "Beta Works"):
        page.wait_for_url(re.compile(r".*/app/onboarding/?$"))
        page.get_by_label("Company name").fill(name)
        page.get_by_role("button", name="Create workspace").click()
        page.wait_for_url(APP_URL)
        expect(page.locator("#workspace-name")).to_have_text(name)
        if name == "Alpha Works":
            page.get_by_role("link", name="Create another workspace").click()

    page.get_by_label("Switch workspace").click()
    page.get_by_role("option", name=re.compile("Alpha Works")).click()
    page.wait_for_url(APP_URL)
    expect(page.locator("#workspace-name")).to_have_text("Alpha Works")
    expect(page.get_by_label("Switch workspace")).to_contain_text("Alpha Works")
    shot(page, "workspace-switcher-1280")
    expect_accessible(page, "workspace-switcher-1280")

"""axe-core over every page at 1280 px and 390 px, for the pages and states the journeys do not already check.

The journeys in test_flows.py and test_public_preview.py call ``expect_accessible`` where they pass; this module
sweeps the rest: every public page, the signed-out gates, the HTML pages of the HTTP routes (the built-in identity
provider, sign-in link and invitation pages, the local mailbox, the refusal pages), the staff home, settings and
accounts pages with their dialogs and forms, onboarding, and the operator area with its dialog. Each page is
checked at both widths and screenshotted as ``a11y-<page>-<width>.png`` in test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from portal_app import routes
from tests.e2e.a11y import A11ySweep
from tests.e2e.conftest import APP_URL, DESKTOP, PHONE, shot
from tests.e2e.server import OPERATOR_EMAIL
from tests.e2e.test_flows import go_to, open_account, sign_in_demo, sign_in_typed

NewPage = Callable[..., Page]
WIDTHS = {"1280": DESKTOP, "390": PHONE}


def both_widths(page: Page, sweep: A11ySweep, name: str, *, screenshot: bool = True) -> None:
    """Check the page as it is at each width (the viewport changes in place: same page, same state)."""
    for width, size in WIDTHS.items():
        page.set_viewport_size({"width": size["width"], "height": size["height"]})
        sweep.check(page, f"{name}-{width}")
        if screenshot:
            shot(page, f"a11y-{name}-{width}")
    page.set_viewport_size({"width": DESKTOP["width"], "height": DESKTOP["height"]})


def visit(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", level=1).first).to_be_visible()


def mailbox_link(page: Page, pattern: str) -> str:
    """The newest link in the local mailbox whose address contains ``pattern``."""
    page.goto(routes.DEV_MAILBOX)
    href = page.locator(f"a[href*='{pattern}']").first.get_attribute("href")
    assert href, f"no {pattern} link in the mailbox"
    return href


def test_public_pages_and_signed_out_pages(new_page: NewPage) -> None:
    sweep = A11ySweep()
    page = new_page()
    pages = {
        "landing": routes.HOME,
        "module": routes.MODULE,
        **{f"record-{kind}": routes.record_route(kind) for kind in routes.RECORD_KINDS},
        "preview": routes.PREVIEW,
        "staff-gate": routes.STAFF,
        "onboarding-gate": routes.ONBOARDING,
        "operator-gate": routes.OPERATOR,
        "portal-sign-in": routes.PORTAL_SIGN_IN,
        # The HTML pages of the HTTP routes, including what they answer to a bad or missing link.
        "magic-link-request": routes.MAGIC_LINK_REQUEST,
        "magic-link-invalid": routes.MAGIC_LINK + "/not-a-valid-token",
        "invite-invalid": routes.INVITE,
        "sign-in-failed": routes.AUTH_CALLBACK,
        "dev-idp-refused": routes.DEV_IDP + "/authorize",
    }
    for name, path in pages.items():
        visit(page, path)
        both_widths(page, sweep, name)

    # The contact sign-in after a link was asked for, and the mailbox it lands in.
    visit(page, routes.PORTAL_SIGN_IN)
    page.get_by_label("Email address").fill("dan@tailspin.example")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("#magic-sent")).to_be_visible()
    both_widths(page, sweep, "portal-sign-in-sent")
    visit(page, routes.DEV_MAILBOX)
    both_widths(page, sweep, "dev-mailbox")
    page.goto(mailbox_link(page, routes.MAGIC_LINK))
    expect(page.get_by_role("button", name="Continue to the portal")).to_be_visible()
    both_widths(page, sweep, "magic-link-confirm")

    # The built-in identity provider's page.
    visit(page, routes.STAFF)
    page.get_by_role("link", name="Sign in").last.click()
    page.wait_for_url(re.compile(r".*/dev-idp/.*"))
    expect(page.get_by_label("Email", exact=True)).to_be_visible()
    both_widths(page, sweep, "dev-idp")
    sweep.assert_clean()


def test_staff_pages_dialogs_and_invitations(new_page: NewPage) -> None:
    sweep = A11ySweep()
    page = new_page()
    sign_in_demo(page, "Olivia Owner")
    both_widths(page, sweep, "staff-home")

    go_to(page, "Accounts")
    both_widths(page, sweep, "staff-accounts")
    open_account(page, "Contoso Retail")
    expect(page.locator("#contacts-table")).to_contain_text("alice@contoso.example")
    both_widths(page, sweep, "staff-account")
    # A record that is not there (or not this workspace's): the same "not found" page.
    visit(page, routes.record_url(routes.STAFF_ACCOUNTS, 999999))
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    both_widths(page, sweep, "staff-account-not-found")

    # The confirm dialog of a dangerous action.
    visit(page, routes.STAFF_SETTINGS)
    expect(page.locator("#members-table")).to_be_visible()
    both_widths(page, sweep, "staff-settings")
    # Any member the owner may remove (the journeys in test_flows.py may have removed Tara already: one app per run).
    removable = page.locator(".member-row").filter(has=page.get_by_role("button", name=re.compile("^Remove")))
    removable.first.get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.get_by_role("alertdialog")).to_be_visible()
    both_widths(page, sweep, "staff-confirm-dialog")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)

    # A member invitation and a contact invitation, each followed to its page in a signed-out browser.
    page.get_by_label("Email address").fill("a11y.hire@northwind.example")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator("#invitations-table")).to_contain_text("a11y.hire@northwind.example")
    open_account(page, "Contoso Retail")
    page.locator("#contacts-table").get_by_role("button", name=re.compile("Invite to portal")).first.click()
    expect(page.get_by_text(re.compile("nvitation sent|nvited", re.IGNORECASE)).first).to_be_visible()
    member_invite = mailbox_link(page, routes.INVITE + "/")
    contact_invite = mailbox_link(page, routes.CONTACT_INVITE)
    visitor = new_page()
    visitor.goto(member_invite)
    expect(visitor.get_by_role("heading", name="Invitation")).to_be_visible()
    both_widths(visitor, sweep, "member-invitation")
    visitor.goto(contact_invite)
    expect(visitor.get_by_role("button", name="Continue to the portal")).to_be_visible()
    both_widths(visitor, sweep, "contact-invitation-confirm")

    # Onboarding for a signed-in member (a second workspace), and the gate of someone without a workspace.
    visit(page, routes.ONBOARDING)
    expect(page.get_by_label("Company name")).to_be_visible()
    both_widths(page, sweep, "onboarding-form")
    newcomer = new_page()
    newcomer.goto(routes.STAFF)
    newcomer.get_by_role("link", name="Sign in").last.click()
    sign_in_typed(newcomer, "a11y.newcomer@example.com", "Noor Newcomer")
    newcomer.wait_for_url(re.compile(r".*/app(/onboarding)?/?$"))
    expect(newcomer.get_by_role("heading", level=1)).to_be_visible()
    both_widths(newcomer, sweep, "staff-newcomer")
    assert APP_URL.match(page.url) or "/app" in page.url
    sweep.assert_clean()


def test_operator_area_and_its_dialog(new_page: NewPage) -> None:
    sweep = A11ySweep()
    page = new_page()
    page.goto(routes.OPERATOR)
    page.get_by_role("link", name="Operator sign in").click()
    sign_in_typed(page, OPERATOR_EMAIL, "Platform Operator")
    page.wait_for_url(re.compile(r".*/operator/?$"))
    expect(page.get_by_role("table")).to_contain_text("Northwind Studio")
    both_widths(page, sweep, "operator-area")

    row = page.get_by_role("row").filter(has_text="northwind")
    row.get_by_role("button", name=re.compile("Suspend")).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.get_by_role("button", name="Suspend workspace").click()  # no reason: the refusal shows too
    expect(page.get_by_text("Give a reason of at least 5 characters.")).to_be_visible()
    both_widths(page, sweep, "operator-dialog")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    sweep.assert_clean()

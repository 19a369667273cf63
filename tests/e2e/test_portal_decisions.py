"""The customer portal's decisions in real Chromium: a contact answers an estimate and an approval request; a
billing-only contact never sees those areas. axe-core checks every page at 390 px and 1280 px.

Demo data (portal_app/demo.py): Contoso Retail's "Storefront rebuild" estimate is shared and waits for a decision,
and its "Homepage hero artwork" approval request is pending. alice@contoso.example has every permission on
Contoso; bob@contoso.example has billing only.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.a11y import expect_accessible
from tests.e2e.conftest import DESKTOP, PHONE, PORTAL_URL, shot
from tests.e2e.test_flows import MAGIC_LINK

NewPage = Callable[..., Page]
ESTIMATE_URL = re.compile(r".*/portal/estimates/\d+/?$")
APPROVAL_URL = re.compile(r".*/portal/approvals/\d+/?$")


def sign_in_contact(page: Page, email: str) -> None:
    """Magic link through the local mailbox (the newest link is the one just asked for)."""
    page.goto("/portal/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("#magic-sent")).to_be_visible()
    page.goto("/dev/mailbox")
    page.get_by_role("link", name=MAGIC_LINK).first.click()
    page.get_by_role("button", name="Continue to the portal").click()
    page.wait_for_url(PORTAL_URL)


def both_widths(page: Page, name: str) -> None:
    """axe and a screenshot at 390 px and at 1280 px, same page, same state.

    The journey runs on a phone (the portal is phone first); the desktop check widens the same page in place.
    The pointer moves off the page first: a link just clicked would be checked in its hover state.
    """
    page.mouse.move(0, 0)
    for width, size in (("390", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(size)
        shot(page, f"{name}-{width}")
        expect_accessible(page, f"{name}-{width}")
    page.set_viewport_size(PHONE)


def test_contact_requests_changes_and_approves_an_approval(new_page: NewPage) -> None:
    page = new_page(PHONE)
    sign_in_contact(page, "alice@contoso.example")

    # Home: what waits for Alice first, linking to each record.
    waiting = page.locator("#waiting")
    expect(waiting).to_contain_text("Storefront rebuild")
    expect(waiting).to_contain_text("Homepage hero artwork")
    expect(page.locator("#waiting-summary")).to_contain_text("need your answer")
    both_widths(page, "portal-decisions-home")

    # The estimates list, waiting first.
    page.get_by_role("link", name="All estimates").click()
    page.wait_for_url(re.compile(r".*/portal/estimates/?$"))
    expect(page.get_by_role("heading", name="Estimates", level=1)).to_be_visible()
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text("Storefront rebuild")
    expect(first_row).to_contain_text("Awaiting your decision")
    expect(page.get_by_role("table")).to_contain_text("Newsletter templates")
    expect(page.get_by_role("table")).not_to_contain_text("Loyalty app")  # a draft: never shown
    both_widths(page, "portal-estimates")

    # The estimate: lines, totals, terms, and the answer.
    page.get_by_role("link", name="Storefront rebuild").click()
    page.wait_for_url(ESTIMATE_URL)
    estimate_url = page.url
    expect(page.get_by_role("heading", name="Storefront rebuild", level=1)).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Discovery workshop")
    expect(page.locator("#terms")).to_contain_text("Prices include two rounds of revisions.")
    expect(page.get_by_role("button", name=re.compile(r"^Approve EST-"))).to_be_visible()
    both_widths(page, "portal-estimate")

    # Approving without a signature is refused under the field; nothing is decided.
    page.get_by_role("button", name=re.compile(r"^Approve EST-")).click()
    expect(page.get_by_text("Enter your full name.")).to_be_visible()

    page.get_by_role("tab", name="Request changes").click()
    page.get_by_label("What should change?").fill("Could the storefront launch with two languages?")
    page.get_by_role("button", name="Send change request").click()
    expect(page.get_by_text("Change request sent.")).to_be_visible()
    closed = page.locator("#decision-closed")
    expect(closed).to_contain_text("Changes were requested")
    expect(closed).to_contain_text("Could the storefront launch with two languages?")
    expect(page.get_by_role("button", name="Send change request")).to_have_count(0)
    both_widths(page, "portal-estimate-changes-requested")

    # The approval request, answered with a comment.
    # On a phone the bottom bar's "Decisions" tab holds estimates and approvals; the page links between them.
    page.get_by_role("navigation", name="In this section").get_by_role("link", name="Approvals").click()
    page.wait_for_url(re.compile(r".*/portal/approvals/?$"))
    expect(page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
    both_widths(page, "portal-approvals")
    page.get_by_role("link", name="Homepage hero artwork").click()
    page.wait_for_url(APPROVAL_URL)
    expect(page.locator("#request")).to_contain_text("Please approve the final artwork.")
    both_widths(page, "portal-approval")
    page.get_by_label("Comment").fill("Looks great, go ahead.")
    page.get_by_role("button", name="Approve request").click()
    expect(page.get_by_text("Approved. The Northwind Studio team has been notified")).to_be_visible()
    expect(page.locator("#decision-closed")).to_contain_text("Looks great, go ahead.")
    both_widths(page, "portal-approval-answered")

    # Home again: nothing waits any more.
    page.get_by_role("link", name="Home", exact=True).first.click()
    page.wait_for_url(PORTAL_URL)
    expect(page.locator("#waiting-summary")).to_have_text("Nothing needs your answer right now.")

    # Bob (billing only) sees no decisions area, and the estimate's URL is not found for him.
    bob = new_page(PHONE)
    sign_in_contact(bob, "bob@contoso.example")
    expect(bob.locator("#account-name")).to_have_text("Contoso Retail")
    expect(bob.get_by_role("link", name="Estimates", exact=True)).to_have_count(0)
    expect(bob.get_by_role("link", name="Approvals", exact=True)).to_have_count(0)
    expect(bob.locator("#waiting")).to_have_count(0)
    both_widths(bob, "portal-decisions-billing-home")
    bob.goto(estimate_url)
    expect(bob.get_by_role("heading", name="Not found", level=1)).to_be_visible()
    expect(bob.get_by_text("Storefront rebuild")).to_have_count(0)
    both_widths(bob, "portal-decisions-billing-not-found")

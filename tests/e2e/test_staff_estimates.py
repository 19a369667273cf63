"""Staff estimates in real Chromium: a team lead creates a two-line estimate for Contoso Retail, sees the totals the
server computed, saves the draft, shares it, and the detail shows it shared. Axe runs on every page at 1280 and
390 px; screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.a11y import expect_accessible
from tests.e2e.conftest import PHONE, shot

NewPage = Callable[..., Page]
DETAIL_URL = re.compile(r".*/app/estimates/\d+/?$")


def sign_in_to(page: Page, path: str, person: str) -> None:
    """Open ``path`` signed out, sign in from its gate with the built-in provider, and come back to it."""
    page.goto(path)
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/dev-idp/.*"))
    page.get_by_role("button", name=re.compile(person)).click()
    page.wait_for_url(re.compile(".*" + re.escape(path) + "/?$"))


def fill_line(
    page: Page, index: int, description: str, quantity: str, price: str, tax: str, cost: str
) -> None:
    line = page.get_by_role("group", name=f"Line {index}")
    line.get_by_label("Description").fill(description)
    line.get_by_label("Quantity").fill(quantity)
    line.get_by_label("Unit price").fill(price)
    line.get_by_label("Tax rate (%)").fill(tax)
    line.get_by_label("Unit cost (internal)").fill(cost)
    line.get_by_label("Unit cost (internal)").blur()


def test_team_lead_creates_and_shares_an_estimate(new_page: NewPage) -> None:
    page = new_page()
    sign_in_to(page, "/app/estimates", "Tara Lead")
    expect(page.get_by_role("heading", name="Estimates", level=1)).to_be_visible()
    expect(page.locator("#estimates-table")).to_contain_text("Contoso Retail")
    shot(page, "staff-estimates-list-1280")
    expect_accessible(page, "staff-estimates-list-1280")

    page.get_by_label("Search estimates").fill("no such estimate at all")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No estimate matches.")).to_be_visible()
    page.get_by_role("button", name="Clear filters").first.click()
    expect(page.locator("#estimates-table")).to_be_visible()

    page.get_by_role("link", name="New estimate").click()
    page.wait_for_url(re.compile(r".*/app/estimates/new/?$"))
    expect(page.get_by_role("heading", name="New estimate", level=1)).to_be_visible()
    page.get_by_label("Account").click()
    page.get_by_role("option", name="Contoso Retail").click()
    page.get_by_label("Title").fill("Spring window displays")
    fill_line(page, 1, "Display design", "2", "1,250.00", "20", "400")
    page.get_by_role("button", name="Add line").click()
    fill_line(page, 2, "Installation", "1", "300", "0", "")
    totals = page.locator("#estimate-totals")
    expect(totals).to_contain_text("$2,800.00")  # subtotal: 2 × 1,250.00 + 300.00
    expect(totals).to_contain_text("$500.00")  # tax: 20 % of 2,500.00
    expect(totals).to_contain_text("$3,300.00")
    expect(totals).to_contain_text("$800.00")  # internal cost
    page.get_by_label("Terms and notes for the customer").fill("Half on approval, half on installation.")
    page.get_by_label("Internal note").fill("Reuse last year's frames.")
    shot(page, "staff-estimate-new-1280")
    expect_accessible(page, "staff-estimate-new-1280")

    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url(DETAIL_URL)
    expect(page.get_by_role("heading", name="Spring window displays", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Draft")
    preview = page.locator("#estimate-preview")
    expect(preview).to_contain_text("Contacts do not see drafts")
    expect(preview).not_to_contain_text("Reuse last year")
    expect(preview).not_to_contain_text("$400.00")
    detail_url = page.url
    expect_accessible(page, "staff-estimate-draft-1280")

    page.get_by_role("button", name="Share with Contoso Retail").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Share")
    expect_accessible(page, "staff-estimate-share-dialog-1280")
    dialog.get_by_role("button", name="Share with Contoso Retail").click()
    expect(page.get_by_text(re.compile("shared. Contoso Retail's contacts can see it now"))).to_be_visible()
    expect(page.get_by_role("button", name="Share with Contoso Retail")).to_have_count(0)
    expect(page.get_by_role("link", name="Re-issue as a new version")).to_be_visible()
    expect(preview).to_contain_text("Contoso Retail's contacts see this")
    shot(page, "staff-estimate-shared-1280")
    expect_accessible(page, "staff-estimate-shared-1280")

    # After a reload the detail still says shared; the list has it on top.
    page.goto(detail_url)
    expect(page.get_by_role("main").get_by_text("Shared", exact=True).first).to_be_visible()
    page.goto("/app/estimates")
    first_row = page.locator("#estimates-table tbody tr").first
    expect(first_row).to_contain_text("Spring window displays")
    expect(first_row).to_contain_text("Shared")
    expect(first_row).to_contain_text("$3,300.00")

    # The same pages on a phone (same session, a 390 px window).
    page.set_viewport_size(PHONE)
    expect_accessible(page, "staff-estimates-list-390")
    shot(page, "staff-estimates-list-390")
    page.goto(detail_url)
    expect(page.get_by_role("heading", name="Spring window displays", level=1)).to_be_visible()
    shot(page, "staff-estimate-shared-390")
    expect_accessible(page, "staff-estimate-shared-390")
    page.goto("/app/estimates/new")
    expect(page.get_by_role("heading", name="New estimate", level=1)).to_be_visible()
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_text("Enter a title the customer will recognise")).to_be_visible()
    expect(page.get_by_text("Choose the customer account this estimate is for.")).to_be_visible()
    shot(page, "staff-estimate-new-errors-390")
    expect_accessible(page, "staff-estimate-new-errors-390")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the form scrolls sideways on a phone ({width}px)"

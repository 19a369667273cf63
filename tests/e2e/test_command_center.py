"""The owner's command center, role landing, the account view and the audit log in real Chromium.

Olivia Owner lands on the command center, follows the overdue-invoices signal to the filtered invoice list and comes
back. Tara Lead, signing in from /app, lands on her tasks. Max Manager asks Fabrikam for an approval; Carol (a
Fabrikam contact) approves it in the portal, and a moment later the Fabrikam account view shows her decision in its
timeline. The audit log filters by account and action, verifies the chain and downloads the filtered entries as CSV.

axe-core runs and a screenshot is saved for every page at 390 and 1280 px (test-artifacts/overview-*.png).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.a11y import A11ySweep
from tests.e2e.conftest import APP_URL, DESKTOP, PHONE, shot
from tests.e2e.test_flows import sign_in_demo
from tests.e2e.test_portal_decisions import sign_in_contact

NewPage = Callable[..., Page]

APPROVAL_TITLE = "Delivery window: mornings only"


# The elements that stick out past the viewport's right edge, innermost first: what to fix when a page scrolls sideways.
WIDE_ELEMENTS = """() => {
  const edge = window.innerWidth + 0.5;
  const out = (el) => el.getBoundingClientRect().right > edge;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + '.' + [...el.classList].slice(0, 3).join('.');
  return [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().width && out(el) && ![...el.children].some(out))
    .slice(0, 5)
    .map((el) => name(el) + ' (' + Math.round(el.getBoundingClientRect().right) + ' px): '
      + (el.textContent || '').trim().slice(0, 40));
}"""


def sideways(page: Page, limit: int) -> list[str]:
    """What makes the page wider than ``limit`` px (empty when nothing does)."""
    if page.evaluate("document.documentElement.scrollWidth") <= limit:
        return []
    return page.evaluate(WIDE_ELEMENTS) or ["the page, but no single element"]


def widths(page: Page, sweep: A11ySweep, name: str) -> None:
    """axe and a screenshot at both widths, same page, same state; the page is left at desktop width."""
    page.mouse.move(0, 0)
    for width, size in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        wide = sideways(page, size["width"])
        assert not wide, f"{name} scrolls sideways at {width} px: {wide}"
        shot(page, f"overview-{name}-{width}")
        sweep.check(page, f"overview-{name}-{width}")
    page.set_viewport_size(DESKTOP)


def test_owner_follows_a_signal_and_a_team_lead_lands_on_tasks(new_page: NewPage) -> None:
    sweep = A11ySweep()
    page = new_page()
    sign_in_demo(page, "Olivia Owner")
    center = page.locator("#command-center")
    expect(center).to_be_visible()
    expect(page.locator("#role-label")).to_have_text("Owner")
    for chart in ("chart-decisions", "chart-aging", "chart-review-age"):
        expect(page.locator(f"#{chart}")).to_be_visible()
    widths(page, sweep, "command-center")

    overdue = page.locator("#signal-invoices-overdue")
    expect(overdue).to_be_visible()
    number = overdue.locator(".signal-value").inner_text()
    assert int(number) >= 1, number
    overdue.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/app/invoices\?status=overdue$"))
    table = page.locator("#invoices-table")
    expect(table).to_contain_text("overdue by")
    expect(table.get_by_role("row")).to_have_count(int(number) + 1)  # the header row and one per invoice
    widths(page, sweep, "signal-overdue-invoices")
    page.go_back()
    page.wait_for_url(APP_URL)
    expect(page.locator("#command-center")).to_be_visible()

    lead = new_page()
    lead.goto("/app")
    lead.get_by_role("main").get_by_role("link", name="Sign in").click()
    lead.wait_for_url(re.compile(r".*/dev-idp/.*"))
    lead.get_by_role("button", name=re.compile("Tara Lead")).click()
    lead.wait_for_url(re.compile(r".*/app/tasks(\?.*)?$"))
    expect(lead.get_by_role("heading", name="Tasks", level=1)).to_be_visible()
    expect(lead.locator("#shell-acting-as")).to_contain_text("Team lead")
    sweep.assert_clean()


def test_account_view_shows_the_contacts_decision_and_the_audit_log_exports_it(new_page: NewPage) -> None:
    sweep = A11ySweep()
    staff = new_page()
    sign_in_demo(staff, "Max Manager")
    staff.goto("/app/approvals/new")
    staff.get_by_label("Account").click()
    staff.get_by_role("option", name="Fabrikam").click()
    staff.get_by_label("Title").fill(APPROVAL_TITLE)
    staff.get_by_role("button", name="Request approval").click()
    staff.wait_for_url(re.compile(r".*/app/approvals/\d+$"))

    carol = new_page(PHONE)
    sign_in_contact(carol, "carol@fabrikam.example")
    carol.goto("/portal/approvals")
    carol.get_by_role("link", name=APPROVAL_TITLE).click()
    carol.get_by_role("button", name="Approve request").click()
    expect(carol.get_by_text(re.compile("Approved. The .* team has been notified"))).to_be_visible()

    # The account view, a moment later.
    staff.goto("/app/accounts")
    staff.get_by_role("link", name=re.compile("^Fabrikam")).first.click()
    staff.wait_for_url(re.compile(r".*/app/accounts/\d+$"))
    account_url = staff.url
    account_id = int(account_url.rstrip("/").rsplit("/", 1)[1])
    timeline = staff.locator("#account-timeline")
    expect(timeline).to_contain_text(re.compile(rf"Carol Ops approved .*{re.escape(APPROVAL_TITLE)}"))
    expect(staff.locator("#account-approvals")).to_contain_text(APPROVAL_TITLE)
    expect(staff.locator("#account-balance")).to_be_visible()
    widths(staff, sweep, "account")

    # The audit log: filtered to the account, verified, exported.
    staff.goto(f"/app/audit?account={account_id}")
    expect(staff.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    entries = staff.locator("#audit-table")
    expect(entries).to_contain_text(re.compile(rf"Carol Ops approved .*{re.escape(APPROVAL_TITLE)}"))
    expect(entries).not_to_contain_text("Contoso Retail")
    staff.get_by_role("button", name=re.compile("Verify the audit chain")).click()
    expect(staff.locator("#audit-verify-result")).to_contain_text(re.compile(r"verified", re.I))
    widths(staff, sweep, "audit")

    with staff.expect_download() as download_info:
        staff.locator("#audit-csv").click()
    text = download_info.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, text
    assert any(APPROVAL_TITLE in " ".join(row.values()) for row in rows)
    assert all("Contoso" not in " ".join(row.values()) for row in rows)
    sweep.assert_clean()

"""Reminders end to end in real Chromium: Olivia Owner changes the schedule on /app/settings (a bad value is refused
under its field and nothing is saved), today's reminders follow it; she pauses Contoso Retail's reminders on its
account page with a reason; today's reminders leave Contoso out, its overdue invoice says why, and resuming brings
it back.

The demo data has Contoso's "Signed data processing agreement" due in 7 days and an invoice 45 days overdue: with
documents reminded 7 days before the due date and invoices every 15 days while overdue, both fall on today.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from tests.e2e.a11y import A11ySweep
from tests.e2e.conftest import DESKTOP, PHONE, shot
from tests.e2e.test_staff_estimates import sign_in_to

NewPage = Callable[..., Page]
ACCOUNT_URL = re.compile(r".*/app/accounts/\d+/?$")
INVOICE_URL = re.compile(r".*/app/invoices/\d+/?$")
REASON = "On a payment plan until June"


def widths(page: Page, sweep: A11ySweep, name: str) -> None:
    """axe and a screenshot at 1280 and 390 px, same page, same state; back to 1280 after."""
    page.mouse.move(0, 0)
    for width, size in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        shot(page, f"reminders-{name}-{width}")
        sweep.check(page, f"reminders-{name}-{width}")
    page.set_viewport_size(DESKTOP)


def toast(page: Page, text: str) -> None:
    expect(page.get_by_text(re.compile(re.escape(text))).first).to_be_visible()


def group(page: Page, legend: str) -> Locator:
    return page.locator("#reminder-schedule-form").get_by_role("group", name=legend)


def today_list(page: Page) -> Locator:
    return page.locator("#todays-reminders-panel")


def test_owner_changes_the_schedule_and_pauses_an_account(new_page: NewPage) -> None:
    sweep = A11ySweep()
    staff = new_page()
    sign_in_to(staff, "/app/settings", "Olivia Owner")
    panel = staff.locator("#reminders-panel")
    expect(panel.get_by_role("heading", name="Reminders")).to_be_visible()
    expect(panel).to_contain_text(
        "Document requests: 3 days before the due date, on the due date, then every 7 days while overdue"
    )
    expect(staff.get_by_label("Reminder mails to contacts")).to_be_checked()
    expect(today_list(staff)).to_contain_text("Today is")

    # 1. A bad value: the error shows under its field and nothing is saved.
    documents = group(staff, "Document requests")
    documents.get_by_label("Days before the due date").fill("7")
    group(staff, "Invoices").get_by_label("Days between reminders while overdue").fill("15")
    staff.get_by_label("Most reminders about any one record").fill("50")
    staff.get_by_role("button", name="Save reminder schedule").click()
    expect(panel.get_by_text("Enter a whole number from 1 to 20.")).to_be_visible()
    expect(staff.get_by_label("Most reminders about any one record")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(panel).to_contain_text("then every 7 days while overdue")  # the saved schedule is unchanged
    expect(documents.get_by_label("Days before the due date")).to_have_value("7")  # what was typed is kept
    widths(staff, sweep, "settings-error")

    # 2. Fixed and saved: the schedule in words and today's reminders follow it.
    staff.get_by_label("Most reminders about any one record").fill("4")
    staff.get_by_role("button", name="Save reminder schedule").click()
    toast(staff, "Reminder schedule saved.")
    expect(panel).to_contain_text(
        "Document requests: 7 days before the due date, on the due date, then every 7 days while overdue"
    )
    expect(panel).to_contain_text("Invoices: on the due date, then every 15 days while overdue")
    expect(panel).to_contain_text("At most 4 reminders about any one record.")
    today = today_list(staff)
    expect(today).to_contain_text("Contoso Retail")
    expect(today).to_contain_text("Bob Payables")
    expect(today).to_contain_text("Alice Buyer")
    expect(today).to_contain_text("Signed data processing agreement")
    widths(staff, sweep, "settings-saved")

    # 3. Pause Contoso Retail with a reason on its account page.
    staff.goto("/app/accounts")
    staff.get_by_role("main").get_by_role("link", name="Contoso Retail").click()
    staff.wait_for_url(ACCOUNT_URL)
    account_url = staff.url
    reminders = staff.locator("#account-reminders")
    expect(reminders).to_contain_text("On: this account's contacts get reminders")
    reminders.get_by_role("button", name="Pause reminders").click()
    dialog = staff.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Pause reminders for Contoso Retail?")
    widths(staff, sweep, "account-pause-dialog")
    dialog.get_by_label("Reason").fill(REASON)
    dialog.get_by_role("button", name="Pause reminders").click()
    toast(staff, "Reminders paused for this account.")
    expect(dialog).to_be_hidden()
    expect(reminders).to_contain_text("Reminders paused")
    expect(reminders).to_contain_text(REASON)
    expect(reminders).to_contain_text("Paused by Olivia Owner")
    expect(reminders.get_by_role("button", name="Resume reminders")).to_be_visible()
    widths(staff, sweep, "account-paused")

    # 4. Today's reminders leave Contoso out; its overdue invoice says why.
    staff.goto("/app/settings")
    expect(today_list(staff)).to_contain_text("Today is")
    expect(today_list(staff)).not_to_contain_text("Contoso Retail")
    expect(today_list(staff)).not_to_contain_text("Bob Payables")
    widths(staff, sweep, "settings-paused")

    staff.goto("/app/invoices")
    staff.locator("#invoices-table").get_by_role("row").filter(has_text="overdue by").first.get_by_role(
        "link"
    ).first.click()
    staff.wait_for_url(INVOICE_URL)
    card = staff.locator("#record-reminders")
    expect(card).to_contain_text(REASON)
    expect(card).to_contain_text("Paused for the whole account")
    expect(card).to_contain_text("none while paused")
    widths(staff, sweep, "invoice-card")

    # 5. Resume: Contoso's contacts are back in today's reminders.
    staff.goto(account_url)
    staff.locator("#account-reminders").get_by_role("button", name="Resume reminders").click()
    toast(staff, "Reminders resumed.")
    expect(staff.locator("#account-reminders")).to_contain_text("On: this account's contacts get reminders")
    staff.goto("/app/settings")
    expect(today_list(staff)).to_contain_text("Bob Payables")
    sweep.assert_clean()

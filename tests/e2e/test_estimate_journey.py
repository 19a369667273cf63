"""The first customer loop end to end, staff and contact in one run of real Chromium.

A team lead creates and shares an estimate; the contact signs in by magic link and asks for changes; the team
lead re-issues it; the contact sees what changed and approves with a typed signature; the follow-up task shows on
/app/tasks, is assigned and closed. A contact of another account gets "not found" on the estimate's URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.a11y import expect_accessible
from tests.e2e.conftest import PHONE, shot
from tests.e2e.test_portal_decisions import sign_in_contact
from tests.e2e.test_staff_estimates import DETAIL_URL, fill_line, sign_in_to

NewPage = Callable[..., Page]
TITLE = "Summer pop-up stand"


def test_estimate_from_draft_to_approval_and_closed_task(new_page: NewPage) -> None:
    # 1. Tara Lead drafts the estimate and shares it with Contoso Retail.
    staff = new_page()
    sign_in_to(staff, "/app/estimates/new", "Tara Lead")
    staff.get_by_label("Account").click()
    staff.get_by_role("option", name="Contoso Retail").click()
    staff.get_by_label("Title").fill(TITLE)
    fill_line(staff, 1, "Stand design and build", "1", "4,000.00", "10", "2500")
    staff.get_by_role("button", name="Create draft").click()
    staff.wait_for_url(DETAIL_URL)
    staff_url = staff.url
    staff.get_by_role("button", name="Share with Contoso Retail").click()
    staff.get_by_role("alertdialog").get_by_role("button", name="Share with Contoso Retail").click()
    expect(staff.get_by_text(re.compile("Contoso Retail's contacts can see it now"))).to_be_visible()

    # 2. Alice, on her phone, finds it and asks for a change.
    alice = new_page(PHONE)
    sign_in_contact(alice, "alice@contoso.example")
    expect(alice.locator("#waiting")).to_contain_text(TITLE)
    alice.locator("#waiting").get_by_role("link", name=TITLE).click()
    alice.wait_for_url(re.compile(r".*/portal/estimates/\d+/?$"))
    portal_url = alice.url
    expect(alice.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(alice.get_by_role("main")).not_to_contain_text("2,500")  # the internal cost never reaches her
    alice.get_by_role("tab", name="Request changes").click()
    alice.get_by_label("What should change?").fill("Please add delivery and set-up on site.")
    alice.get_by_role("button", name="Send change request").click()
    expect(alice.get_by_text("Change request sent.")).to_be_visible()

    # 3. Tara sees the request and re-issues the estimate with the extra line.
    staff.goto(staff_url)
    expect(staff.get_by_role("main")).to_contain_text("Please add delivery and set-up on site.")
    staff.get_by_role("link", name="Re-issue as a new version").click()
    staff.wait_for_url(re.compile(r".*/app/estimates/\d+/edit/?$"))
    staff.get_by_role("button", name="Add line").click()
    fill_line(staff, 2, "Delivery and set-up", "1", "350", "10", "")
    staff.get_by_role("button", name="Re-issue as version 2").click()
    staff.wait_for_url(DETAIL_URL)
    expect(staff.get_by_role("main")).to_contain_text("Delivery and set-up")
    shot(staff, "journey-staff-reissued-1280")
    expect_accessible(staff, "journey-staff-reissued-1280")

    # 4. Alice sees what changed and approves with her typed name.
    alice.goto(portal_url)
    expect(alice.locator("#changes")).to_contain_text("Delivery and set-up")
    alice.get_by_label("Your full name").fill("Alice Buyer")
    alice.get_by_label(re.compile("I accept")).check()
    alice.get_by_role("button", name=re.compile(r"^Approve EST-")).click()
    expect(
        alice.get_by_text(re.compile("Estimate approved. The Northwind Studio team has been notified"))
    ).to_be_visible()
    expect(alice.locator("#decision-closed")).to_contain_text("approved")
    shot(alice, "journey-portal-approved-390")
    expect_accessible(alice, "journey-portal-approved-390")

    # 5. The approval's follow-up task: on the estimate, then on /app/tasks, assigned to Tara and closed.
    staff.goto(staff_url)
    expect(staff.get_by_role("main")).to_contain_text("Alice Buyer")
    staff.goto("/app/tasks")
    task = staff.get_by_role("link", name=re.compile(f"approved: {TITLE}"))
    expect(task).to_be_visible()
    task.click()
    staff.wait_for_url(re.compile(r".*/app/tasks/\d+/?$"))
    staff.get_by_label("Assign to").click()
    staff.get_by_role("option", name=re.compile("Tara Lead")).click()
    staff.get_by_role("button", name="Assign", exact=True).click()
    expect(staff.get_by_text("Assigned to Tara Lead")).to_be_visible()
    staff.get_by_role("button", name="Mark done").click()
    expect(staff.get_by_text("Task marked done")).to_be_visible()
    shot(staff, "journey-task-done-1280")
    expect_accessible(staff, "journey-task-done-1280")

    # 6. Carol, a contact of Fabrikam Logistics, gets "not found" on Contoso's estimate.
    carol = new_page(PHONE)
    sign_in_contact(carol, "carol@fabrikam.example")
    carol.goto(portal_url)
    expect(carol.get_by_role("heading", name="Not found", level=1)).to_be_visible()
    expect(carol.get_by_text(TITLE)).to_have_count(0)
    shot(carol, "journey-other-account-not-found-390")

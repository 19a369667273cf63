"""Staff approvals and follow-up tasks in real Chromium: request an approval, work a task to done."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.a11y import expect_accessible
from tests.e2e.conftest import PHONE, shot
from tests.e2e.test_flows import sign_in_demo

NewPage = Callable[..., Page]


def check(page: Page, name: str) -> None:
    """Axe and a screenshot at 1280 px, then the same at 390 px, back to 1280 px."""
    expect_accessible(page, name)
    shot(page, name)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    expect_accessible(page, f"{name}-phone")
    shot(page, f"{name}-phone")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_manager_requests_an_approval_and_works_a_task(new_page: NewPage) -> None:
    page = new_page()
    sign_in_demo(page, "Max Manager")

    # Approvals: the list, then the request form.
    page.goto("/app/approvals")
    expect(page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Homepage hero artwork")).to_be_visible()
    check(page, "staff-approvals")
    page.get_by_role("link", name="Request approval").first.click()
    page.wait_for_url(re.compile(r".*/app/approvals/new$"))
    page.get_by_label("Account").click()
    page.get_by_role("option", name="Contoso Retail").click()
    page.get_by_label("Title").fill("Change order: extra landing page")
    page.get_by_label("Description").fill("One more landing page for the spring campaign.")
    check(page, "staff-approval-new")
    page.get_by_role("button", name="Request approval").click()
    page.wait_for_url(re.compile(r".*/app/approvals/\d+$"))
    expect(page.get_by_role("heading", name="Change order: extra landing page", level=1)).to_be_visible()
    expect(page.get_by_text("Approval requested from Contoso Retail")).to_be_visible()
    expect(page.get_by_text("Awaiting decision").first).to_be_visible()
    check(page, "staff-approval")

    # Tasks: the demo's follow-ups, one opened, assigned to Tara Lead and marked done.
    page.goto("/app/tasks")
    expect(page.get_by_role("heading", name="Tasks", level=1)).to_be_visible()
    links = page.locator("a.task-link")
    expect(links.first).to_be_visible()
    check(page, "staff-tasks")
    title = links.first.inner_text()
    links.first.click()
    page.wait_for_url(re.compile(r".*/app/tasks/\d+$"))
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    page.get_by_label("Assign to").click()
    page.get_by_role("option", name=re.compile("Tara Lead")).click()
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_text("Assigned to Tara Lead")).to_be_visible()
    page.get_by_label("Comment").fill("Called Contoso; they confirmed the date.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Called Contoso; they confirmed the date.")).to_be_visible()
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("Task marked done")).to_be_visible()
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    expect(page.get_by_text("marked it done")).to_be_visible()
    check(page, "staff-task")

    # Done tasks leave the open list and show under "Done".
    page.goto("/app/tasks")
    expect(page.get_by_role("link", name=title)).to_have_count(0)
    page.get_by_label("State").click()
    page.get_by_role("option", name="Done").click()
    expect(page.get_by_role("link", name=title)).to_be_visible()

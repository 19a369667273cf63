"""Document requests, messages and deliveries end to end, staff and contact in one run of real Chromium.

Tara Lead asks Tailspin Toys for two documents; Dan (Tailspin's only contact, every permission) opens the request
on his phone, sends a good PDF for the first item and a web page renamed .pdf for the second, and reads the
refusal; Max Manager rejects the first file with a reason; Dan reads it, sends a new file for the first item and a
good one for the second; Max accepts both and the request is complete on both sides.

Dan writes to the team; the message waits as unanswered in the staff inbox and raised a follow-up task; Tara
answers from the task (which closes it) and adds an internal note; Dan's browser shows the reply, never the note.

Tara creates a delivery, shares it and moves it from scheduled to in transit (note, carrier, tracking reference,
expected date) to delivered, with one internal-only update between; Dan sees the status and the timeline without
the internal update.

The local mailbox holds the mails Dan should get (document requested, rejection with its reason, the team's reply,
delivery shared) and none with internal text; a mail's link opens the record after signing in.

axe-core runs and a screenshot is saved for every page at 390 and 1280 px (test-artifacts/records-*.png).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from portal_app.services.document_requests import today
from tests.e2e.a11y import A11ySweep
from tests.e2e.conftest import DESKTOP, PHONE, shot
from tests.e2e.test_billing_journey import proof_pdf
from tests.e2e.test_flows import MAGIC_LINK
from tests.e2e.test_portal_decisions import sign_in_contact
from tests.e2e.test_staff_estimates import sign_in_to

NewPage = Callable[..., Page]

CONTACT = "dan@tailspin.example"
ACCOUNT = "Tailspin Toys"
WORKSPACE = "Northwind Studio"

REQUEST_TITLE = "Supplier onboarding papers"
ITEM_1 = "Signed supplier agreement"
ITEM_2 = "Bank details letter"
INSTRUCTIONS = "Please sign every page of the agreement.\nA scan is fine."
REJECT_REASON = "Page 2 is not signed: please sign it and send the whole agreement again."

SUBJECT = "New invoice address"
QUESTION = "From next month please send invoices to <b>accounts@tailspin.example</b>, not the old address."
REPLY = "Thanks Dan, the next invoice goes to accounts@tailspin.example."
INTERNAL_NOTE = "Internal: also update the billing email on the account."

REFERENCE = "DEL-2001"
TRACKING = "NF-77310"
CARRIER = "Northwind Freight"
IN_TRANSIT_NOTE = "Left our workshop this morning."
INTERNAL_UPDATE = "Backup driver booked: the usual one is ill."
DELIVERED_NOTE = "Signed for by reception."

DOCUMENT_URL = re.compile(r".*/app/documents/\d+/?$")
DELIVERY_URL = re.compile(r".*/app/deliveries/\d+/?$")
TASK_URL = re.compile(r".*/app/tasks/\d+/?$")
THREAD_URL = re.compile(r".*/app/messages/\d+/?$")
PORTAL_DOCUMENT_URL = re.compile(r".*/portal/documents/\d+/?$")
PORTAL_THREAD_URL = re.compile(r".*/portal/messages/\d+/?$")
PORTAL_DELIVERY_URL = re.compile(r".*/portal/deliveries/\d+/?$")


def widths(page: Page, sweep: A11ySweep, name: str, *, phone_first: bool = False) -> None:
    """axe and a screenshot at both widths, same page, same state; the page is left at the width it started."""
    page.mouse.move(0, 0)
    sizes = [("1280", DESKTOP), ("390", PHONE)]
    if phone_first:
        sizes.reverse()
    for width, size in sizes:
        page.set_viewport_size(size)
        shot(page, f"records-{name}-{width}")
        sweep.check(page, f"records-{name}-{width}")
    page.set_viewport_size(sizes[0][1])


def pick(page: Page, label: str, option: str) -> None:
    page.get_by_label(label).click()
    page.get_by_role("option", name=option).click()


def toast(page: Page, text: str | re.Pattern[str]) -> None:
    expect(
        page.get_by_text(text if isinstance(text, re.Pattern) else re.compile(re.escape(text))).first
    ).to_be_visible()


def send_files(page: Page, item: str, file: Path | dict[str, object]) -> None:
    page.get_by_label(re.compile(rf"^Files for {re.escape(item)}")).set_input_files(file)  # type: ignore[arg-type]
    page.get_by_role("button", name=f"Send files for {item}").click()


def item_card(page: Page, item: str) -> Locator:
    return (
        page.locator("#checklist")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=re.compile(re.escape(item))))
    )


def review(staff: Page, file_name: str) -> None:
    staff.goto("/app/review")
    expect(staff.get_by_role("heading", name="Review queue")).to_be_visible()
    staff.get_by_role("button", name=f"Review {file_name}").click()
    expect(staff.get_by_role("dialog")).to_contain_text(file_name)


def mails_to(page: Page, email: str) -> Locator:
    page.goto("/dev/mailbox")
    return page.locator("section.mail").filter(has_text=f"To {email}")


def test_documents_messages_and_deliveries(new_page: NewPage, tmp_path: Path) -> None:
    sweep = A11ySweep()

    # -- 1. Documents ----------------------------------------------------------------------------------------
    staff = new_page()
    sign_in_to(staff, "/app/documents/new", "Tara Lead")
    expect(staff.get_by_role("heading", name="New document request", level=1)).to_be_visible()
    pick(staff, "Account", ACCOUNT)
    staff.get_by_label("Title").fill(REQUEST_TITLE)
    staff.get_by_role("textbox", name="Item 1").fill(ITEM_1)
    staff.get_by_role("textbox", name="Item 1").blur()
    staff.get_by_role("button", name="Add an item").click()
    staff.get_by_role("textbox", name="Item 2").fill(ITEM_2)
    staff.get_by_role("textbox", name="Item 2").blur()
    staff.get_by_label("Instructions").fill(INSTRUCTIONS)
    staff.get_by_label("Due date").fill((today() + timedelta(days=10)).isoformat())
    widths(staff, sweep, "staff-document-new")
    staff.get_by_role("button", name="Send the request").click()
    staff.wait_for_url(DOCUMENT_URL)
    request_id = staff.url.rstrip("/").rsplit("/", 1)[-1]
    toast(staff, f"Request sent to {ACCOUNT}: 2 items.")
    expect(staff.get_by_role("heading", level=1)).to_have_text(REQUEST_TITLE)
    checklist = staff.locator("#document-checklist")
    expect(checklist).to_contain_text(ITEM_1)
    expect(checklist).to_contain_text(ITEM_2)

    dan = new_page(PHONE)
    sign_in_contact(dan, CONTACT)
    dan.goto("/portal/documents")
    dan.get_by_role("main").get_by_role("link", name=REQUEST_TITLE).click()
    dan.wait_for_url(PORTAL_DOCUMENT_URL)
    assert dan.url.rstrip("/").endswith(f"/portal/documents/{request_id}")
    expect(dan.locator("#instructions")).to_contain_text("A scan is fine.")
    expect(item_card(dan, ITEM_1)).to_contain_text("Not sent yet")

    send_files(dan, ITEM_1, proof_pdf(tmp_path, "agreement.pdf", "Supplier agreement"))
    toast(dan, "1 file sent.")
    expect(item_card(dan, ITEM_1)).to_contain_text("In review")
    expect(item_card(dan, ITEM_1)).to_contain_text("agreement.pdf")
    fake = {
        "name": "bank-letter.pdf",
        "mimeType": "application/pdf",
        "buffer": b"<html><body>hi</body></html>",
    }
    send_files(dan, ITEM_2, fake)
    second = item_card(dan, ITEM_2)
    expect(second).to_contain_text("Web pages and SVG images are not accepted")
    expect(second).to_contain_text("bank-letter.pdf")
    expect(second).to_contain_text("Not sent yet")
    expect(dan.get_by_label(re.compile(rf"^Files for {ITEM_2}"))).to_have_attribute("aria-invalid", "true")
    widths(dan, sweep, "portal-document-refused", phone_first=True)

    staff.reload()
    expect(checklist).to_contain_text("agreement.pdf")
    widths(staff, sweep, "staff-document-waiting")

    reviewer = new_page()
    sign_in_to(reviewer, "/app/review", "Max Manager")
    review(reviewer, "agreement.pdf")
    widths(reviewer, sweep, "staff-review-document")
    dialog = reviewer.get_by_role("dialog")
    dialog.get_by_label("Reason").fill(REJECT_REASON)
    dialog.get_by_role("button", name="Reject the document").click()
    toast(reviewer, "rejected")

    dan.reload()
    first = item_card(dan, ITEM_1)
    expect(first).to_contain_text("Not accepted")
    expect(first).to_contain_text(REJECT_REASON)
    expect(first).to_contain_text("send a new one")
    widths(dan, sweep, "portal-document-rejected", phone_first=True)
    send_files(dan, ITEM_1, proof_pdf(tmp_path, "agreement-signed.pdf", "Supplier agreement, signed"))
    toast(dan, "1 file sent.")
    expect(first).to_contain_text("agreement-signed.pdf")
    expect(first).to_contain_text("In review")
    send_files(dan, ITEM_2, proof_pdf(tmp_path, "bank-letter.pdf", "Bank details"))
    expect(second).to_contain_text("In review")
    expect(second).not_to_contain_text("Web pages and SVG images")

    review(reviewer, "agreement-signed.pdf")
    reviewer.get_by_role("dialog").get_by_role("button", name="Accept the document").click()
    toast(reviewer, "still needs files for other items")
    review(reviewer, "bank-letter.pdf")
    reviewer.get_by_role("dialog").get_by_role("button", name="Accept the document").click()
    toast(reviewer, f"“{REQUEST_TITLE}” is complete.")

    dan.reload()
    expect(dan.get_by_role("main")).to_contain_text("This request is complete")
    expect(dan.get_by_role("main")).to_contain_text("2 of 2 accepted")
    expect(dan.get_by_role("button", name=re.compile("^Send files"))).to_have_count(0)
    widths(dan, sweep, "portal-document-complete", phone_first=True)
    dan.goto("/portal/documents")
    expect(dan.get_by_role("main").get_by_role("row").filter(has_text=REQUEST_TITLE)).to_contain_text(
        "Complete"
    )
    staff.reload()
    expect(staff.get_by_role("main")).to_contain_text("2 of 2")
    expect(staff.get_by_role("main")).to_contain_text(REJECT_REASON)
    widths(staff, sweep, "staff-document-complete")
    staff.goto("/app/documents")
    expect(staff.get_by_role("main").get_by_role("row").filter(has_text=REQUEST_TITLE)).to_contain_text(
        re.compile("Fulfilled|Complete")
    )

    # -- 2. Messages -----------------------------------------------------------------------------------------
    dan.goto("/portal/messages")
    dan.get_by_role("button", name="New message").click()
    new = dan.get_by_role("dialog")
    new.get_by_label("Subject").fill(SUBJECT)
    new.get_by_label("Message").fill(QUESTION)
    widths(dan, sweep, "portal-message-new", phone_first=True)
    new.get_by_role("button", name="Send message").click()
    dan.wait_for_url(PORTAL_THREAD_URL)
    thread_url = dan.url
    toast(dan, "Message sent.")
    expect(dan.get_by_role("main")).to_contain_text(QUESTION)  # the characters, not markup

    staff.goto("/app/messages")
    row = staff.get_by_role("main").get_by_role("row").filter(has_text=SUBJECT)
    expect(row).to_contain_text("Waiting for you")
    expect(row).to_contain_text(ACCOUNT)
    widths(staff, sweep, "staff-messages")

    staff.goto("/app/tasks")
    staff.get_by_role("main").get_by_role("link", name=f"New message: {SUBJECT}").click()
    staff.wait_for_url(TASK_URL)
    answer = staff.locator("#task-reply-card")
    expect(answer).to_contain_text("Answer the customer")
    expect(staff.get_by_role("main")).to_contain_text(QUESTION)
    answer.get_by_label("Reply").fill(REPLY)
    answer.get_by_role("button", name="Send reply and close task").click()
    toast(staff, "Reply sent to the customer. This task is done.")
    expect(staff.get_by_role("main")).to_contain_text("Done")
    widths(staff, sweep, "staff-task-answered")

    staff.get_by_role("link", name="Open the conversation").click()
    staff.wait_for_url(THREAD_URL)
    expect(staff.get_by_role("main")).to_contain_text(REPLY)
    staff.get_by_role("radio", name="Internal note").click()
    staff.locator("#thread-reply").get_by_label("Message").fill(INTERNAL_NOTE)
    staff.get_by_role("button", name="Add internal note").click()
    expect(staff.get_by_role("main")).to_contain_text(INTERNAL_NOTE)
    widths(staff, sweep, "staff-thread")
    staff.goto("/app/messages")
    expect(staff.get_by_role("main").get_by_role("row").filter(has_text=SUBJECT)).to_contain_text("Answered")

    dan.goto(thread_url)
    expect(dan.get_by_role("main")).to_contain_text(REPLY)
    expect(dan.get_by_role("main")).to_contain_text(QUESTION)
    assert INTERNAL_NOTE not in dan.locator("body").inner_text()
    assert INTERNAL_NOTE not in dan.content()
    widths(dan, sweep, "portal-thread", phone_first=True)

    # -- 3. Deliveries ---------------------------------------------------------------------------------------
    staff.goto("/app/deliveries/new")
    pick(staff, "Account", ACCOUNT)
    staff.get_by_label(re.compile("^Reference")).fill(REFERENCE)
    staff.get_by_label("Description").fill("Display stands, 12 boxes")
    widths(staff, sweep, "staff-delivery-new")
    staff.get_by_role("button", name="Create delivery").click()
    staff.wait_for_url(DELIVERY_URL)
    delivery_id = staff.url.rstrip("/").rsplit("/", 1)[-1]
    expect(staff.get_by_role("heading", level=1)).to_have_text(REFERENCE)
    expect(staff.get_by_role("main")).to_contain_text("Scheduled")

    staff.get_by_role("button", name=f"Share with {ACCOUNT}").click()
    staff.get_by_role("alertdialog").get_by_role("button", name=f"Share {REFERENCE}").click()
    toast(staff, f"{REFERENCE} is shared.")

    eta = today() + timedelta(days=3)
    pick(staff, "Status", "In transit")
    staff.get_by_label("Note").fill(IN_TRANSIT_NOTE)
    staff.get_by_label("Carrier").fill(CARRIER)
    staff.get_by_label("Tracking reference").fill(TRACKING)
    staff.get_by_label("Expected delivery date").fill(eta.isoformat())
    staff.get_by_role("button", name="Add update").click()
    toast(staff, f"Update added: {REFERENCE} is in transit.")

    staff.get_by_label("Note").fill(INTERNAL_UPDATE)
    staff.get_by_label("Internal only: contacts never see this update").check()
    staff.get_by_role("button", name="Add update").click()
    toast(staff, "Only your team sees this update.")

    pick(staff, "Status", "Delivered")
    staff.get_by_label("Note").fill(DELIVERED_NOTE)
    staff.get_by_role("button", name="Add update").click()
    toast(staff, f"Update added: {REFERENCE} is delivered.")
    timeline = staff.locator("#delivery-timeline")
    for text in (IN_TRANSIT_NOTE, INTERNAL_UPDATE, DELIVERED_NOTE, "Internal: contacts never see this"):
        expect(timeline).to_contain_text(text)
    widths(staff, sweep, "staff-delivery")

    dan.goto("/portal/deliveries")
    expect(dan.get_by_role("main")).to_contain_text(REFERENCE)
    widths(dan, sweep, "portal-deliveries", phone_first=True)
    dan.get_by_role("main").get_by_role("link", name=REFERENCE).click()
    dan.wait_for_url(PORTAL_DELIVERY_URL)
    assert dan.url.rstrip("/").endswith(f"/portal/deliveries/{delivery_id}")
    main = dan.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_have_text(REFERENCE)
    expect(main).to_contain_text("Delivered")
    expect(main).to_contain_text(CARRIER)
    expect(main).to_contain_text(TRACKING)
    events = dan.locator("#delivery-timeline").get_by_role("listitem")
    expect(events.first).to_contain_text(DELIVERED_NOTE)  # newest first
    expect(dan.locator("#delivery-timeline")).to_contain_text(IN_TRANSIT_NOTE)
    assert INTERNAL_UPDATE not in dan.locator("body").inner_text()
    assert INTERNAL_UPDATE not in dan.content()
    widths(dan, sweep, "portal-delivery", phone_first=True)

    dan.goto("/portal")
    widths(dan, sweep, "portal-home", phone_first=True)

    # -- 4. The outbox ---------------------------------------------------------------------------------------
    mails = mails_to(dan, CONTACT)
    requested = mails.filter(has_text=f"{WORKSPACE} asks for documents: {REQUEST_TITLE}")
    expect(requested).to_have_count(1)
    expect(requested).to_contain_text(f"/portal/documents/{request_id}")
    rejected = mails.filter(has_text=f"{WORKSPACE} could not accept your document: agreement.pdf")
    expect(rejected).to_have_count(1)
    expect(rejected).to_contain_text(REJECT_REASON)
    expect(rejected).to_contain_text(f"/portal/documents/{request_id}")
    replied = mails.filter(has_text=f"{WORKSPACE} replied: {SUBJECT}")
    expect(replied).to_have_count(1)
    expect(replied).to_contain_text(REPLY)
    shared = mails.filter(has_text=f"{WORKSPACE} shared a delivery with you").filter(has_text=REFERENCE)
    expect(shared).to_have_count(1)
    mailbox_text = dan.locator("body").inner_text()
    assert INTERNAL_NOTE not in mailbox_text and INTERNAL_UPDATE not in mailbox_text
    link = shared.get_by_role("link", name=re.compile(r"portal.deliveries.\d+")).first
    href = link.get_attribute("href")
    assert href and href.rstrip("/").endswith(f"/portal/deliveries/{delivery_id}")

    # A signed-out browser follows the mail's link, signs in and lands on the delivery.
    fresh = new_page(PHONE)
    fresh.goto(href)
    fresh.get_by_role("main").get_by_role("link", name="Sign in").click()
    fresh.wait_for_url(re.compile(r".*/portal/sign-in.*"))
    fresh.get_by_label("Email address").fill(CONTACT)
    fresh.get_by_role("button", name="Email me a sign-in link").click()
    expect(fresh.locator("#magic-sent")).to_be_visible()
    fresh.goto("/dev/mailbox")
    fresh.get_by_role("link", name=MAGIC_LINK).first.click()
    fresh.get_by_role("button", name="Continue to the portal").click()
    fresh.wait_for_url(re.compile(rf".*/portal/deliveries/{delivery_id}/?$"))
    expect(fresh.get_by_role("heading", level=1)).to_have_text(REFERENCE)

    # The same with a signed-in browser: the reply's link opens the conversation directly.
    reply_href = replied.get_by_role("link").first.get_attribute("href")
    assert reply_href
    dan.goto(reply_href)
    dan.wait_for_url(PORTAL_THREAD_URL)
    expect(dan.get_by_role("main")).to_contain_text(REPLY)

    sweep.assert_clean()


def test_record_lists_and_forms_at_both_widths(new_page: NewPage) -> None:
    """axe and screenshots at 1280 and 390 px for the list pages and dialogs the journey does not check."""
    sweep = A11ySweep()
    staff = new_page()
    sign_in_to(staff, "/app/documents", "Olivia Owner")
    expect(staff.get_by_role("main")).to_contain_text("Signed data processing agreement")
    widths(staff, sweep, "staff-documents")
    staff.goto("/app/deliveries")
    expect(staff.get_by_role("main")).to_contain_text("DEL-1001")
    widths(staff, sweep, "staff-deliveries")
    staff.goto("/app/deliveries/new")
    expect(staff.get_by_role("button", name="Create delivery")).to_be_visible()
    widths(staff, sweep, "staff-delivery-new-empty")
    staff.goto("/app/messages")
    expect(staff.get_by_role("main")).to_contain_text("Delivery window")
    staff.get_by_role("button", name=re.compile("New conversation")).click()
    expect(staff.get_by_role("dialog")).to_be_visible()
    widths(staff, sweep, "staff-message-new")

    alice = new_page(PHONE)
    sign_in_contact(alice, "alice@contoso.example")
    alice.goto("/portal/documents")
    expect(alice.get_by_role("main")).to_contain_text("Signed data processing agreement")
    widths(alice, sweep, "portal-documents", phone_first=True)
    alice.get_by_role("main").get_by_role("link", name="Signed data processing agreement").click()
    alice.wait_for_url(PORTAL_DOCUMENT_URL)
    widths(alice, sweep, "portal-document-open", phone_first=True)
    alice.goto("/portal/messages")
    expect(alice.get_by_role("main")).to_contain_text("Storefront rebuild: timeline")
    widths(alice, sweep, "portal-messages", phone_first=True)
    sweep.assert_clean()

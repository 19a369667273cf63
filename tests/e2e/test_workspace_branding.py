"""Branding end to end in real Chromium: Olivia Owner gives the workspace a display name, a logo, an accent colour
and a welcome text; Carol (a Fabrikam contact) sees them on the portal; the next mail to her carries the logo and
the accent, and the next invoice PDF the logo and the name. Another workspace's contact sees none of it.

This file runs last of the browser tests (they share one app) and puts the display name back at the end, so the
journeys that read "The Northwind Studio team" keep reading it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.a11y import A11ySweep
from tests.e2e.conftest import DESKTOP, PHONE, shot
from tests.e2e.test_command_center import sideways
from tests.e2e.test_flows import sign_in_demo
from tests.e2e.test_portal_decisions import sign_in_contact

NewPage = Callable[..., Page]

BRAND = "Northwind Design Co."
WELCOME = "Welcome to our studio's portal: questions go to the Messages tab, we answer within a day."
APPROVAL_TITLE = "Paint colour for the shop front"


def logo_file(tmp_path: Path) -> Path:
    """A wide PNG with EXIF-like metadata: the app must resize and re-encode it."""
    image = Image.new("RGB", (1200, 300), (180, 20, 60))
    for x in range(0, 1200, 40):
        for y in range(300):
            image.putpixel((x, y), (255, 255, 255))
    path = tmp_path / "northwind-logo.png"
    image.save(path, format="PNG")
    return path


def both(page: Page, sweep: A11ySweep, name: str) -> None:
    page.mouse.move(0, 0)
    start = page.viewport_size or DESKTOP
    for width, size in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        wide = sideways(page, size["width"])
        assert not wide, f"{name} scrolls sideways at {width} px: {wide}"
        shot(page, f"branding-{name}-{width}")
        sweep.check(page, f"branding-{name}-{width}")
    page.set_viewport_size(start)  # type: ignore[arg-type]


def test_branding_reaches_the_portal_the_mail_and_the_pdf(new_page: NewPage, tmp_path: Path) -> None:
    sweep = A11ySweep()
    owner = new_page()
    sign_in_demo(owner, "Olivia Owner")
    owner.goto("/app/settings")
    panel = owner.locator("#branding-panel")
    expect(panel.get_by_role("heading", name="Branding")).to_be_visible()

    owner.get_by_label("Logo").set_input_files(logo_file(tmp_path))
    owner.get_by_role("button", name="Upload logo").click()
    expect(owner.get_by_text(re.compile(r"^Logo saved\.")).first).to_be_visible()
    expect(owner.locator("#branding-logo-preview")).to_be_visible()

    owner.get_by_label("Display name").fill(BRAND)
    owner.get_by_label("Accent colour").click()
    owner.get_by_role("option", name="Crimson").click()
    owner.get_by_label("Welcome text").fill(WELCOME)
    owner.locator("#branding-save").click()
    expect(owner.get_by_text(re.compile(r"^Branding saved\.")).first).to_be_visible()
    panel.scroll_into_view_if_needed()
    both(owner, sweep, "settings")

    # The portal, as Carol sees it on her phone.
    carol = new_page(PHONE)
    sign_in_contact(carol, "carol@fabrikam.example")
    logo = carol.get_by_role("img", name=BRAND)
    expect(logo).to_be_visible()
    expect(carol.locator("#portal-brand-name")).to_have_text(BRAND)
    expect(carol.locator("#portal-welcome")).to_contain_text(WELCOME)
    expect(carol.locator('.radix-themes[data-accent-color="crimson"]').first).to_be_attached()
    logo_src = logo.get_attribute("src") or ""
    assert re.search(r"/files/logo/[A-Za-z0-9_-]{32,}\.png$", logo_src), logo_src
    served = carol.request.get(logo_src)
    assert served.status == 200 and served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    width, height = Image.open(io.BytesIO(served.body())).size
    assert width <= 400 and height <= 120, (width, height)  # resized from 1200 x 300
    both(carol, sweep, "portal-home")

    # The next mail to Carol: the owner asks Fabrikam for an approval.
    owner.goto("/app/approvals/new")
    owner.get_by_label("Account").click()
    owner.get_by_role("option", name="Fabrikam").click()
    owner.get_by_label("Title").fill(APPROVAL_TITLE)
    owner.get_by_role("button", name="Request approval").click()
    owner.wait_for_url(re.compile(r".*/app/approvals/\d+$"))
    owner.goto("/dev/mailbox")
    mail = (
        owner.locator("section.mail")
        .filter(has_text="To carol@fabrikam.example")
        .filter(has_text=APPROVAL_TITLE)
    )
    expect(mail.first).to_be_visible()
    mail.first.get_by_role("link", name="The HTML version of this mail").click()
    expect(owner.get_by_role("img", name=BRAND)).to_be_visible()
    html = owner.content()
    assert logo_src.rsplit("/", 1)[1] in html
    assert "#" in html and BRAND in html
    shot(owner, "branding-mail-1280")

    # The next PDF: an invoice of Fabrikam's, as staff download it (the contact gets the same file).
    owner.goto("/app/invoices")
    owner.locator("#invoices-table").get_by_role("link", name=re.compile(r"^INV-")).first.click()
    owner.wait_for_url(re.compile(r".*/app/invoices/\d+$"))
    pdf_href = owner.get_by_role("link", name="Download PDF").get_attribute("href") or ""
    pdf = owner.request.get(pdf_href)
    assert pdf.status == 200, pdf.status
    reader = PdfReader(io.BytesIO(pdf.body()))
    assert BRAND in reader.pages[0].extract_text()
    assert len(reader.pages[0].images) >= 1

    # Put the name back for any journey after this one; the logo and accent stay.
    owner.goto("/app/settings")
    owner.get_by_label("Display name").fill("")
    owner.locator("#branding-save").click()
    expect(owner.get_by_text(re.compile(r"^Branding saved\.")).first).to_be_visible()
    sweep.assert_clean()

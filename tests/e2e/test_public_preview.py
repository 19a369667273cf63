"""The public pages in real Chromium, served by an app whose database is unreachable.

A second app (``reflex run --env prod``, same helper as the other browser tests) runs with ``PORTAL_DATABASE_URL``
pointing at a PostgreSQL port nothing listens on: every page here, and the whole workflow preview, must work
without it. Screenshots at 1280 px and 390 px land in test-artifacts/. Only the call to action's sign-in, which
does need a database, runs against the regular seeded app.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from portal_app import routes
from state.public_preview import STEPS
from tests.e2e.a11y import expect_accessible
from tests.e2e.conftest import APP_URL, DESKTOP, PHONE, TIMEOUT_MS, _need_browser, shot
from tests.e2e.server import RunningApp, start
from tests.e2e.test_flows import sign_in_typed
from tests.public.support import UNREACHABLE_DATABASE_URL

NewPage = Callable[..., Page]
WIDTHS = {"1280": DESKTOP, "390": PHONE}


@pytest.fixture(scope="module")
def offline_app() -> Iterator[RunningApp]:
    _need_browser()
    workdir = Path(tempfile.mkdtemp(prefix="portal-e2e-offline-"))
    try:
        app = start(workdir, database_url=UNREACHABLE_DATABASE_URL)
        try:
            yield app
        finally:
            app.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture()
def offline_page(browser: Browser, offline_app: RunningApp) -> Iterator[NewPage]:
    contexts = []

    def make(viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(viewport=viewport or DESKTOP, base_url=offline_app.base_url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


def _meta_description(page: Page) -> str:
    return page.locator('meta[name="description"]').first.get_attribute("content") or ""


# -- the module page, landing and connected records ----------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_landing_leads_into_the_module_page(offline_page: NewPage, width: str) -> None:
    page = offline_page(WIDTHS[width])
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, f"public-landing-{width}")
    expect_accessible(page, f"public-landing-{width}")
    page.get_by_role("link", name="See how the module works").click()
    page.wait_for_url(re.compile(r".*/customer-portal/?$"))

    expect(page.get_by_role("heading", level=1)).to_contain_text("reviewable place")
    for section in (
        "problem",
        "proof",
        "workflow",
        "model",
        "roles",
        "records",
        "outcomes",
        "get-a-workspace",
    ):
        expect(page.locator(f"#{section}")).to_be_visible()
    for words in (
        "Records lose their context",
        "chased by email",
        "Access scoped to the linked customer account",
        "review-only intake",
        "auditable follow-up work",
        "Enable the module",
        "Invite linked contacts",
        "Review what comes back",
        "Finance / admin reviewer",
        "Up to 6 members per workspace",
        "up to 5 more",
    ):
        expect(page.get_by_text(words).first).to_be_attached()
    expect(page).to_have_title(re.compile("Customer Portal module"))
    assert "review-only intake" in _meta_description(page)
    cta = page.locator("#cta-sign-in")
    expect(cta).to_have_attribute("href", re.compile(r"/auth/sign-in\?as=staff&next=%2Fapp%2Fonboarding$"))
    expect(page.locator(".record-card")).to_have_count(len(routes.RECORD_KINDS))
    shot(page, f"public-module-{width}")
    expect_accessible(page, f"public-module-{width}")
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", routes.RECORD_KINDS)
def test_each_connected_record_page_links_into_the_preview(offline_page: NewPage, kind: str) -> None:
    from portal_app.pages.public.content import RECORDS_BY_KIND

    record = RECORDS_BY_KIND[kind]
    page = offline_page()
    page.goto(routes.MODULE)
    page.locator(f'a[href="{routes.record_route(kind)}"]').first.click()
    page.wait_for_url(re.compile(f".*{routes.record_route(kind)}/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(record.name)
    expect(page).to_have_title(record.title)
    assert _meta_description(page) == record.description
    expect(page.locator("#record-example")).to_contain_text(record.rows[0][0])
    expect(page.get_by_text("Example data").first).to_be_visible()
    shot(page, f"public-record-{kind}-1280")
    expect_accessible(page, f"public-record-{kind}-1280")

    page.get_by_role("link", name=record.preview_label).click()
    page.wait_for_url(re.compile(rf".*/preview\?step={record.preview_step}$"))
    index = next(i for i, step in enumerate(STEPS) if step.key == record.preview_step)
    expect(page.locator("#preview-step-title")).to_have_text(STEPS[index].title)


def test_record_page_on_a_phone(offline_page: NewPage) -> None:
    page = offline_page(PHONE)
    page.goto(routes.record_route("invoices"))
    expect(page.locator("#record-example")).to_contain_text("INV-2217")
    shot(page, "public-record-invoices-390")
    expect_accessible(page, "public-record-invoices-390")


def test_sitemap_and_robots_from_the_running_app(offline_page: NewPage, offline_app: RunningApp) -> None:
    page = offline_page()
    response = page.request.get(routes.SITEMAP)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/xml")
    locs = re.findall(r"<loc>([^<]+)</loc>", response.text())
    assert sorted(loc.removeprefix(offline_app.base_url) for loc in locs) == sorted(routes.PUBLIC_ROUTES)
    for private in ("/app", "/portal", "/operator", "/auth", "/dev-idp", "/dev/"):
        assert not any(loc.removeprefix(offline_app.base_url).startswith(private) for loc in locs)
    robots = page.request.get(routes.ROBOTS)
    assert robots.status == 200 and "Disallow: /app" in robots.text()


# -- the workflow preview ------------------------------------------------------------------------------------


def _expect_step(page: Page, index: int) -> None:
    expect(page.locator("#preview-step-title")).to_have_text(STEPS[index].title)
    expect(page.locator("#preview-step-label")).to_have_text(f"Step {index + 1} of {len(STEPS)}")


def _button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def _step_button(page: Page, index: int) -> Locator:
    """A step in the walkthrough's step list (its name is the step's number and title)."""
    steps = page.get_by_role("navigation", name="Walkthrough steps")
    return steps.get_by_role("button", name=re.compile(re.escape(STEPS[index].title)))


def _next(page: Page, index: int) -> None:
    _button(page, "Next").click()
    _expect_step(page, index)


def walk(page: Page, decision: str, width: str, *, every_step: bool) -> None:
    """The whole walkthrough through its buttons, with a screenshot per step (or only the decisive ones)."""

    def snap(name: str, always: bool = False) -> None:
        if every_step or always:
            shot(page, f"preview-{decision}-{name}-{width}")
            expect_accessible(page, f"preview-{decision}-{name}-{width}")

    page.goto(routes.PREVIEW)
    _expect_step(page, 0)
    expect(page.get_by_text("Example data").first).to_be_visible()
    expect(_button(page, "Next")).to_be_disabled()
    expect(_button(page, "Back")).to_be_disabled()
    expect(_step_button(page, 4)).to_be_disabled()

    # 1. Staff share the estimate; it appears on the contact's side.
    expect(page.locator("#contact-home")).not_to_contain_text("EST-1042")
    _button(page, "Share with Acme Logistics").click()
    expect(page.locator("#contact-view")).to_contain_text("New: estimate EST-1042")
    expect(page.locator("#contact-home")).to_contain_text("Awaiting your approval")
    snap("1-share")
    _next(page, 1)

    # 2. The contact approves with a typed signature (an empty one is refused).
    snap("2-sign")
    _button(page, "Approve").click()
    expect(page.locator("#preview-notice")).to_contain_text("full name")
    page.get_by_label("Type your full name to sign").fill("Dana Reyes")
    _button(page, "Approve").click()
    expect(page.locator("#staff-view")).to_contain_text("Approved by Dana Reyes")
    expect(page.locator("#contact-view")).to_contain_text("You approved EST-1042")
    expect(page.locator("#preview-notice")).to_have_count(0)
    snap("2-approve")
    _next(page, 2)

    # 3. The follow-up task is there for the team lead.
    tasks = page.locator("#task-list")
    expect(tasks).to_contain_text("Confirm start date for EST-1042")
    expect(tasks).to_contain_text("Luis Ortega")
    expect(page.locator("#contact-home")).to_contain_text("Scheduled for 18 Mar")
    _button(page, "Mark task done").click()
    expect(page.locator("#staff-view")).to_contain_text("Task done")
    snap("3-task")
    _next(page, 3)

    # 4. The contact uploads payment proof: quarantined, the invoice untouched.
    expect(_button(page, "Next")).to_be_disabled()
    _button(page, "Upload payment proof").click()
    expect(page.locator("#intake-queue")).to_contain_text("Quarantined")
    expect(page.locator("#staff-invoice-balance")).to_have_text("$3,200.00")
    expect(page.locator("#contact-view")).to_contain_text("Received")
    snap("4-upload")
    _next(page, 4)

    # 5. The finance reviewer decides.
    expect(_button(page, "Next")).to_be_disabled()
    snap("5-decide")
    if decision == "accept":
        _button(page, "Accept and record the payment").click()
        expect(page.locator("#review-result")).to_contain_text("payment of $3,200.00 was recorded")
        expect(page.locator("#staff-invoice-balance")).to_have_text("$0.00")
        expect(page.locator("#contact-invoice-balance")).to_have_text("$0.00")
        expect(page.locator("#contact-statement-balance")).to_have_text("$1,150.00")
        expect(page.locator("#contact-result")).to_contain_text("Payment received")
    else:
        _button(page, "Reject").click()
        expect(page.locator("#preview-notice")).to_contain_text("reason")
        page.get_by_label("Or reject it with a reason the contact will see").fill(
            "The receipt shows a different amount"
        )
        _button(page, "Reject").click()
        expect(page.locator("#review-result")).to_contain_text("The receipt shows a different amount")
        expect(page.locator("#staff-invoice-balance")).to_have_text("$3,200.00")
        expect(page.locator("#contact-invoice-balance")).to_have_text("$3,200.00")
        expect(page.locator("#contact-statement-balance")).to_have_text("$4,350.00")
        expect(page.locator("#contact-result")).to_contain_text("not accepted")
    snap("5-review", always=True)
    _next(page, 5)

    # 6. The audit trail: one line per action.
    expect(page.locator(".audit-line")).to_have_count(8)
    trail = page.locator("#audit-trail")
    expect(trail).to_contain_text("accepted PP-0031" if decision == "accept" else "rejected PP-0031")
    expect(trail).to_contain_text("signed “Dana Reyes”")
    expect(_button(page, "Next")).to_be_disabled()
    snap("6-audit", always=True)

    # Back, and the step list, revisit earlier steps without undoing anything.
    _button(page, "Back").click()
    _expect_step(page, 4)
    _step_button(page, 0).click()
    _expect_step(page, 0)
    expect(page.locator("#contact-home")).to_contain_text("Approved by you")
    expect(page.locator(".audit-line")).to_have_count(8)


@pytest.mark.parametrize("width", WIDTHS)
def test_preview_walks_both_paths(offline_page: NewPage, width: str) -> None:
    page = offline_page(WIDTHS[width])
    walk(page, "accept", width, every_step=True)

    _button(page, "Reset").click()
    _expect_step(page, 0)
    expect(page.locator(".audit-line")).to_have_count(0)
    expect(page.locator("#contact-home")).not_to_contain_text("EST-1042")

    walk(page, "reject", width, every_step=False)
    assert page.errors == []  # type: ignore[attr-defined]


def test_preview_state_is_per_tab(offline_page: NewPage) -> None:
    """Another visitor starts from the beginning: nothing one visitor does reaches anyone else."""
    first = offline_page()
    first.goto(routes.preview_url("review"))
    _expect_step(first, 4)
    second = offline_page()
    second.goto(routes.PREVIEW)
    _expect_step(second, 0)
    expect(second.locator(".audit-line")).to_have_count(0)


# -- the call to action, against the regular app (sign-in needs its database) --------------------------------


def test_call_to_action_leads_to_workspace_onboarding(new_page: NewPage) -> None:
    page = new_page()
    page.goto(routes.MODULE)
    page.locator("#cta-sign-in").click()
    sign_in_typed(page, "founder@publicco.example", "Pat Founder")
    page.wait_for_url(re.compile(r".*/app/onboarding/?$"))
    expect(page.get_by_label("Company name")).to_be_visible()
    assert not APP_URL.match(page.url)

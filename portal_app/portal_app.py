"""The Reflex app: configuration of pages only. No queries and no side effects at import."""

import reflex as rx

from portal_app import routes
from portal_app.api import build_api
from portal_app.pages.admin import home as admin_home
from portal_app.pages.portal import home as portal_home
from portal_app.pages.portal import sign_in as portal_sign_in
from portal_app.pages.public import landing, module, preview, records
from portal_app.pages.public.content import RECORDS
from portal_app.pages.staff import home as staff_home
from portal_app.pages.staff import onboarding
from portal_app.services.mailer import mail_loop
from portal_app.settings import Environment, get_settings
from state.base import BaseState
from state.onboarding import OnboardingState
from state.operator import OperatorState
from state.portal import PortalHomeState
from state.portal_sign_in import PortalSignInState
from state.public_preview import PreviewState
from state.staff import StaffDashboardState

# The Radix theme is configured in rxconfig.py (RadixThemesPlugin); App(theme=...) is deprecated.
app = rx.App(api_transformer=build_api())

# Mail leaves through the outbox: a background loop in every worker (mails are claimed row by row, so several
# workers never send one twice). Tests drive deliver_outbox themselves and keep the outbox still.
if get_settings().env is not Environment.TEST:
    app.register_lifespan_task(mail_loop)

# (module with TITLE and DESCRIPTION, page component, route, loaders). Public pages hold static content and
# example data: their only database-touching event is the shared header's load_viewer, which queries nothing
# for a visitor without a session cookie. The preview's own loader runs first: it needs nothing but the URL.
PAGES = [
    (landing, landing.landing, routes.HOME, BaseState.load_viewer),
    (module, module.module_page, routes.MODULE, BaseState.load_viewer),
    (preview, preview.preview_page, routes.PREVIEW, [PreviewState.load, BaseState.load_viewer]),
    (staff_home, staff_home.staff_home, routes.STAFF, StaffDashboardState.load),
    (onboarding, onboarding.onboarding, routes.ONBOARDING, OnboardingState.load),
    (portal_home, portal_home.portal_home, routes.PORTAL, PortalHomeState.load),
    (portal_sign_in, portal_sign_in.portal_sign_in, routes.PORTAL_SIGN_IN, PortalSignInState.load),
    (admin_home, admin_home.operator_home, routes.OPERATOR, OperatorState.load),
]
for page_module, component, route, loaders in PAGES:
    app.add_page(
        component,
        route=route,
        title=page_module.TITLE,
        description=page_module.DESCRIPTION,
        on_load=loaders,
    )
for record in RECORDS:
    app.add_page(
        records.record_page(record.kind),
        route=routes.record_route(record.kind),
        title=record.title,
        description=record.description,
        on_load=BaseState.load_viewer,
    )

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

app.add_page(
    landing.landing,
    route=routes.HOME,
    title=landing.TITLE,
    description=landing.DESCRIPTION,
    on_load=BaseState.load_viewer,
)
# Public pages: static content and example data. Their only event touching the database is the shared header's
# load_viewer, which queries nothing for a visitor without a session cookie.
app.add_page(
    module.module_page,
    route=routes.MODULE,
    title=module.TITLE,
    description=module.DESCRIPTION,
    on_load=BaseState.load_viewer,
)
app.add_page(
    preview.preview_page,
    route=routes.PREVIEW,
    title=preview.TITLE,
    description=preview.DESCRIPTION,
    # The preview's own loader first: it needs nothing but the URL, whatever happens to the header's.
    on_load=[PreviewState.load, BaseState.load_viewer],
)
for record in RECORDS:
    app.add_page(
        records.record_page(record.kind),
        route=routes.record_route(record.kind),
        title=record.title,
        description=record.description,
        on_load=BaseState.load_viewer,
    )
app.add_page(
    staff_home.staff_home,
    route=routes.STAFF,
    title=staff_home.TITLE,
    description=staff_home.DESCRIPTION,
    on_load=StaffDashboardState.load,
)
app.add_page(
    onboarding.onboarding,
    route=routes.ONBOARDING,
    title=onboarding.TITLE,
    description=onboarding.DESCRIPTION,
    on_load=OnboardingState.load,
)
app.add_page(
    portal_home.portal_home,
    route=routes.PORTAL,
    title=portal_home.TITLE,
    description=portal_home.DESCRIPTION,
    on_load=PortalHomeState.load,
)
app.add_page(
    portal_sign_in.portal_sign_in,
    route=routes.PORTAL_SIGN_IN,
    title=portal_sign_in.TITLE,
    description=portal_sign_in.DESCRIPTION,
    on_load=PortalSignInState.load,
)
app.add_page(
    admin_home.operator_home,
    route=routes.OPERATOR,
    title=admin_home.TITLE,
    description=admin_home.DESCRIPTION,
    on_load=OperatorState.load,
)

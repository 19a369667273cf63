"""The Reflex app: configuration of pages only. No queries and no side effects at import."""

import reflex as rx

from portal_app import routes
from portal_app.api import build_api
from portal_app.pages.admin import home as admin_home
from portal_app.pages.portal import home as portal_home
from portal_app.pages.public import landing
from portal_app.pages.staff import home as staff_home

# The Radix theme is configured in rxconfig.py (RadixThemesPlugin); App(theme=...) is deprecated.
app = rx.App(api_transformer=build_api())

app.add_page(landing.landing, route=routes.HOME, title=landing.TITLE, description=landing.DESCRIPTION)
app.add_page(
    staff_home.staff_home, route=routes.STAFF, title=staff_home.TITLE, description=staff_home.DESCRIPTION
)
app.add_page(
    portal_home.portal_home, route=routes.PORTAL, title=portal_home.TITLE, description=portal_home.DESCRIPTION
)
app.add_page(
    admin_home.operator_home,
    route=routes.OPERATOR,
    title=admin_home.TITLE,
    description=admin_home.DESCRIPTION,
)

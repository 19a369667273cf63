"""Reflex configuration, built from ``portal_app.settings`` (nothing else belongs here)."""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from portal_app.settings import get_settings

_settings = get_settings()

# Only the app's own origin may call the backend with credentials (Reflex defaults to "*").
_origins = [_settings.public_base_url.rstrip("/")]
if _settings.is_dev_like:
    _origins += ["http://localhost:3000", "http://127.0.0.1:3000"]

config = rx.Config(
    app_name="portal_app",
    telemetry_enabled=False,
    cors_allowed_origins=list(dict.fromkeys(_origins)),
    # The client address behind reverse proxies (portal_app/api/client.py applies the same rule to HTTP routes).
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    # No db_url: the app owns its engine (portal_app/db.py) and migrations (python -m portal_app.manage migrate).
    # Reflex's own start-up schema check would compare the models differently and warn about changes that the
    # alembic migrations already cover.
    plugins=[
        # App(theme=...) is deprecated since Reflex 0.9; the theme is configured here instead.
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="light", accent_color="teal", gray_color="slate", radius="medium")
        ),
    ],
    # Reflex's sitemap lists every page unless it opts out, private areas (/app, /portal, /operator) included.
    # /sitemap.xml is served by portal_app/api/public.py from routes.PUBLIC_ROUTES instead.
    disable_plugins=[SitemapPlugin],
    # No third-party badge linking off-site on every page.
    show_built_with_reflex=False,
)

"""``/sitemap.xml`` and ``/robots.txt``, built from ``routes.PUBLIC_ROUTES`` only.

Reflex's own sitemap plugin lists every page unless a page opts out, so a new private page would appear in it by
default; here a page is listed only when it is named in ``routes.PUBLIC_ROUTES``. Neither response needs the
database.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from portal_app import routes
from portal_app.settings import get_settings

_CACHE = {"cache-control": "public, max-age=3600"}


def sitemap_xml() -> str:
    base = get_settings().public_base_url.rstrip("/")
    urls = "".join(f"  <url><loc>{escape(base + path)}</loc></url>\n" for path in routes.PUBLIC_ROUTES)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}"
        "</urlset>\n"
    )


def robots_txt() -> str:
    base = get_settings().public_base_url.rstrip("/")
    lines = ["User-agent: *", *(f"Disallow: {prefix}" for prefix in routes.PRIVATE_PREFIXES), "Allow: /"]
    return "\n".join([*lines, "", f"Sitemap: {base}{routes.SITEMAP}", ""])


async def sitemap(request: Request) -> Response:
    return Response(sitemap_xml(), media_type="application/xml", headers=_CACHE)


async def robots(request: Request) -> Response:
    return PlainTextResponse(robots_txt(), headers=_CACHE)


def public_routes() -> list[Route]:
    return [
        Route(routes.SITEMAP, sitemap, methods=["GET"]),
        Route(routes.ROBOTS, robots, methods=["GET"]),
    ]

"""The two app shells: staff (``/app``, desktop first) and contacts (``/portal``, phone first).

Both take what they show as arguments; the page's state builds them (``state/pages.py``: ``StaffArea`` and
``ContactArea``). The navigation is a list Var of rows shaped like :class:`NavItem`, already filtered by the
member's role or the contact's permissions, with ``active`` set for the current page. Component code reads the
rows as ``item.label`` etc. inside ``rx.foreach``.

- ``staff_shell``: header with the workspace name, "Acting as <role>", the workspace switcher and the signed-in
  person; a left navigation grouped Work / Customers / Records / Workspace (a "Menu" disclosure on phones).
- ``portal_shell``: a top bar with the workspace's logo and display name, the account name, the account switcher
  and sign-out; a short navigation under it (a bottom bar on phones); the page in the workspace's accent colour.
  No link into staff pages and no internal words.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.branding import branded, portal_brand
from components.form import field_label
from components.layout import band_style, brand_link, footer, viewer_area
from components.session import sign_out_button
from components.theme import palette_style
from components.ui import named_icon, visually_hidden
from portal_app import routes


@dataclasses.dataclass
class NavItem:
    """One navigation row as the state builds it (documentation of the shape; the state defines its own)."""

    label: str  # what the link says ("Estimates")
    href: str  # a route from portal_app.routes
    group: str  # staff: one of STAFF_GROUPS; portal: ""
    icon: str  # a name from NAV_ICONS
    active: bool = False  # the current page (or one under it): marked aria-current="page"
    count: int = 0  # what waits behind the link (unread messages): a badge, read as "Messages, 2 unread"
    count_word: str = "unread"  # the word after the number for screen readers ("waiting", "open")


@dataclasses.dataclass
class SwitchOption:
    """One choice of a workspace or account switcher (documentation of the shape)."""

    id: str
    label: str


STAFF_GROUPS: tuple[str, ...] = ("Work", "Customers", "Records", "Workspace")

# Icons a navigation row may name. The list is compiled into the page (one icon component per name): an icon
# chosen at run time from all of lucide would ship every icon to the browser. Unknown names show a dot.
NAV_ICONS: tuple[str, ...] = (
    "house",
    "layout-dashboard",
    "list-checks",
    "inbox",
    "messages-square",
    "building-2",
    "users",
    "file-text",
    "file-pen-line",
    "badge-check",
    "receipt",
    "scroll-text",
    "file-up",
    "folder-open",
    "truck",
    "history",
    "settings",
    "wallet",
    "clipboard-check",
)

MAIN_ID = "main-content"

_SHELL_CSS = (
    # A skip link, out of sight until focused with the keyboard.
    ".kit-skip{position:absolute;left:-10000px;top:8px;z-index:100;padding:8px 12px;border-radius:6px;"
    "background:var(--color-panel-solid);color:var(--accent-11);font-weight:600}"
    ".kit-skip:focus{left:8px}"
    # The phone menu: a disclosure styled as a button, without the browser's triangle.
    ".kit-menu>summary{list-style:none;cursor:pointer}"
    ".kit-menu>summary::-webkit-details-marker{display:none}"
    ".kit-nav-link:focus-visible{outline:2px solid var(--accent-8);outline-offset:2px}"
)


def _styles() -> rx.Component:
    return rx.fragment(palette_style(), rx.el.style(_SHELL_CSS))


def _skip_link() -> rx.Component:
    return rx.el.a("Skip to content", href=f"#{MAIN_ID}", class_name="kit-skip")


def nav_icon(name: Var[str] | str, size: int = 16, **props: Any) -> rx.Component:
    """The icon of a navigation row (decorative: the link's text names it)."""
    return named_icon(name, NAV_ICONS, size=size, **props)


def _current(item: Any) -> Any:
    return rx.cond(item.active, "page", None)


def switcher(
    label: str,
    value: Var[str] | str,
    options: Any,
    on_change: Any,
    control_id: str,
    **props: Any,
) -> rx.Component:
    """A labelled select over ``options`` (rows with ``id`` and ``label``), shown only when there is a choice.

    ``on_change(id)`` gets the chosen row's id, untrusted: the state checks it belongs to the actor.
    """
    return rx.cond(
        Var.create(options).to(list).length() > 1,
        rx.hstack(
            field_label(label, html_for=control_id, size="1", color_scheme="gray"),
            rx.select.root(
                rx.select.trigger(id=control_id, variant="soft", max_width="220px"),
                rx.select.content(rx.foreach(options, lambda o: rx.select.item(o.label, value=o.id))),
                value=value,
                on_change=on_change,
                size="1",
            ),
            spacing="2",
            align="center",
            **props,
        ),
    )


# -- staff ---------------------------------------------------------------------------------------------------


def _nav_row(
    item: Any, content: rx.Component, *, row: dict[str, Any] | None = None, **link: Any
) -> rx.Component:
    """One navigation row: a list item holding the link to ``item.href``, marked current when ``item.active``."""
    return rx.el.li(
        rx.link(
            content,
            href=item.href,
            aria_current=_current(item),
            underline="none",
            **link,
            class_name="kit-nav-link",
        ),
        list_style="none",
        **(row or {}),
    )


def nav_count(item: Any) -> rx.Component:
    """The row's count as a badge while above zero; with the label the link reads "Messages, 2 unread"."""
    return rx.cond(
        item.count > 0,
        rx.badge(
            visually_hidden(", "),
            item.count.to_string(),
            visually_hidden(" " + item.count_word),
            color_scheme="red",
            variant="solid",
            radius="full",
            size="1",
            class_name="nav-count",
        ),
    )


def _icon_label(item: Any) -> rx.Component:
    return rx.hstack(
        nav_icon(item.icon), rx.text(item.label, size="2"), nav_count(item), spacing="2", align="center"
    )


def _bar_link(item: Any, idle_weight: str, **style: Any) -> rx.Component:
    """A row of a staff or top navigation: icon and label in the text colour, bold while current."""
    return _nav_row(
        item,
        _icon_label(item),
        color_scheme="gray",
        high_contrast=True,
        weight=rx.cond(item.active, "bold", idle_weight),
        display="block",
        **style,
    )


def _header_row(*start: rx.Component, end: rx.Component, gap: str, **props: Any) -> rx.Component:
    """The header's line: ``start`` (brand, who, switcher) on the left, ``end`` on the right; wraps on phones."""
    return rx.flex(
        rx.flex(*start, align="center", gap=gap, wrap="wrap"),
        end,
        justify="between",
        align="center",
        wrap="wrap",
        gap="12px",
        **props,
    )


def _staff_link(item: Any) -> rx.Component:
    return _bar_link(
        item,
        "regular",
        padding="6px 10px",
        border_radius="6px",
        background_color=rx.cond(item.active, rx.color("accent", 4), "transparent"),
        _hover={"background_color": rx.color("gray", 4)},
    )


def staff_nav(
    nav: Any, *, label: str = "Workspace navigation", groups: Sequence[str] = STAFF_GROUPS
) -> rx.Component:
    """The staff navigation: one list per group, in ``groups`` order; a group with no row is left out."""
    rows = nav
    group_names = Var.create(nav).to(list).map(lambda item: item.to(dict)["group"])  # type: ignore[attr-defined]

    def group_block(index: int, group: str) -> rx.Component:
        heading_id = re.sub(r"[^a-z0-9]+", "-", f"{label.lower()} {index}").strip("-")
        return rx.cond(
            group_names.contains(group),
            rx.box(
                rx.text(
                    group,
                    id=heading_id,
                    size="1",
                    weight="bold",
                    color_scheme="gray",
                    text_transform="uppercase",
                    letter_spacing="0.04em",
                    padding="0 10px",
                    margin_bottom="4px",
                ),
                rx.el.ul(
                    rx.foreach(rows, lambda item: rx.cond(item.group == group, _staff_link(item))),
                    aria_labelledby=heading_id,
                    padding="0",
                    margin="0",
                ),
                width="100%",
            ),
        )

    known = list(groups)
    other = rx.el.ul(
        rx.foreach(rows, lambda item: rx.cond(~Var.create(known).contains(item.group), _staff_link(item))),
        padding="0",
        margin="0",
    )
    return rx.el.nav(
        rx.vstack(*(group_block(i, g) for i, g in enumerate(known)), other, spacing="4", width="100%"),
        aria_label=label,
        width="100%",
    )


def staff_shell(
    *children: rx.Component,
    nav: Any,
    acting_as: Var[str] | str,
    workspace_name: Var[str] | str,
    switcher: rx.Component | None = None,
) -> rx.Component:
    """A staff page: header (workspace, "Acting as <role>", switcher, who is signed in), navigation, main."""
    brand = brand_link(workspace_name, routes.STAFF, name_id="shell-workspace-name")
    acting = rx.text(
        "Acting as ",
        rx.el.strong(acting_as),
        size="2",
        color_scheme="gray",
        id="shell-acting-as",
        white_space="nowrap",
    )
    header = rx.el.header(
        _header_row(
            brand,
            acting,
            *([switcher] if switcher is not None else []),
            end=viewer_area(),
            gap="16px",
            padding="12px 20px",
        ),
        **band_style(),
        width="100%",
    )
    phone_menu = rx.el.details(
        rx.el.summary(
            rx.hstack(
                rx.icon("menu", size=16, aria_hidden="true"), rx.text("Menu", size="2", weight="medium")
            ),
            padding="8px 20px",
        ),
        rx.box(staff_nav(nav, label="Workspace navigation (menu)"), padding="8px 12px 16px"),
        class_name="kit-menu",
        display=rx.breakpoints(initial="block", md="none"),
        **band_style(),
    )
    sidebar = rx.box(
        staff_nav(nav),
        display=rx.breakpoints(initial="none", md="block"),
        width="232px",
        flex_shrink="0",
        padding="20px 12px",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 1),
    )
    return rx.flex(
        _styles(),
        _skip_link(),
        header,
        phone_menu,
        rx.flex(
            sidebar,
            rx.el.main(
                rx.box(*children, max_width="1200px", margin_x="auto", width="100%"),
                id=MAIN_ID,
                flex="1",
                min_width="0",
                padding=rx.breakpoints(initial="20px 16px 40px", md="32px 32px 48px"),
            ),
            flex="1",
            width="100%",
        ),
        footer(),
        direction="column",
        min_height="100vh",
        background_color=rx.color("gray", 2),
    )


# -- contacts ------------------------------------------------------------------------------------------------


def _portal_top_link(item: Any) -> rx.Component:
    return _bar_link(
        item,
        "medium",
        padding="10px 4px",
        border_bottom=rx.cond(item.active, f"2px solid {rx.color('accent', 9)}", "2px solid transparent"),
    )


def _portal_bottom_link(item: Any) -> rx.Component:
    return _nav_row(
        item,
        rx.vstack(
            nav_icon(item.icon, size=20),
            rx.text(item.label, size="1", trim="both"),
            # After the label in reading order ("Messages, 2 unread"), drawn over the icon's corner.
            rx.box(nav_count(item), position="absolute", top="-6px", left="calc(50% + 4px)"),
            spacing="1",
            align="center",
            position="relative",
        ),
        row={"flex": "1", "text_align": "center", "min_width": "0"},
        color=rx.cond(item.active, rx.color("accent", 11), rx.color("gray", 12)),
        weight=rx.cond(item.active, "bold", "regular"),
        display="block",
        padding="8px 2px",
    )


def portal_shell(
    *children: rx.Component,
    nav: Any,
    account_name: Var[str] | str,
    switcher: rx.Component | None = None,
    workspace_name: Var[str] | str = "",
    tabs: Any = None,
    logo_url: Var[str] | str = "",
    accent: Var[str] | str | None = None,
) -> rx.Component:
    """A contact page: top bar (workspace, account, account switcher, sign-out), navigation, main.

    ``tabs`` is the phone's bottom bar (``state.pages.portal_tabs``: grouped pages share a tab); ``nav`` by default.
    ``workspace_name``, ``logo_url`` and ``accent`` are the workspace's branding (``components/branding.py``): its
    display name and logo in the top bar, the whole page in its accent colour.

    Sign-out shows once ``account_name`` is set (the state fills it for a signed-in contact only).
    """
    title = workspace_name if isinstance(workspace_name, Var) or workspace_name else "Customer portal"
    top_bar = rx.el.header(
        _header_row(
            portal_brand(title, logo_url, routes.PORTAL),
            rx.text(account_name, size="2", color_scheme="gray", id="shell-account-name"),
            *([switcher] if switcher is not None else []),
            end=rx.cond(Var.create(account_name).to(str) != "", sign_out_button()),
            gap="12px",
            padding="12px 16px",
            max_width="1100px",
            margin_x="auto",
            width="100%",
        ),
        rx.el.nav(
            rx.el.ul(
                rx.foreach(nav, _portal_top_link),
                display="flex",
                gap="20px",
                padding="0 16px",
                margin="0 auto",
                max_width="1100px",
                overflow_x="auto",
            ),
            aria_label="Portal navigation",
            display=rx.breakpoints(initial="none", sm="block"),
        ),
        **band_style(),
        width="100%",
    )
    bottom_bar = rx.el.nav(
        rx.el.ul(
            rx.foreach(nav if tabs is None else tabs, _portal_bottom_link),
            display="flex",
            padding="0",
            margin="0",
        ),
        aria_label="Portal navigation (bottom)",
        display=rx.breakpoints(initial="block", sm="none"),
        position="fixed",
        bottom="0",
        left="0",
        right="0",
        z_index="20",
        border_top=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 1),
        padding_bottom="env(safe-area-inset-bottom)",
    )
    page = rx.flex(
        _styles(),
        _skip_link(),
        top_bar,
        rx.el.main(
            rx.box(*children, max_width="1100px", margin_x="auto", width="100%"),
            id=MAIN_ID,
            flex="1",
            width="100%",
            # Room for the bottom bar on phones.
            padding=rx.breakpoints(initial="20px 16px 96px", sm="32px 24px 48px"),
        ),
        bottom_bar,
        direction="column",
        min_height="100vh",
        background_color=rx.color("gray", 2),
    )
    return page if accent is None else branded(page, accent)

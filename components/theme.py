"""Colour steps of the Radix light palette, darkened where they fail WCAG AA text contrast (4.5:1).

Radix Themes draws text on tinted backgrounds with step 11 (soft badges, links, outline and soft buttons, callouts)
and white text on step 9 (solid buttons, solid badges). In the stock light palette, teal/green/blue/red/amber
step 11 measures 3.8-4.4:1 on its own step 3-4 background, and white on teal/green/red step 9 about 3-4:1: axe-core
reports both as serious. The values below keep each hue and are the lightest that reach 4.6:1 (step 11 on step 4,
white on step 9); step 10 (the hover of solid controls) stays a shade darker than 9. The light appearance only
(the app has no dark mode).
"""

from __future__ import annotations

import reflex as rx

from portal_app.palette import ACCENTS

# Every accent a workspace may brand its portal with (portal_app/palette.py: teal, green, blue and red among them)
# whose stock steps fail, so a branded portal passes as the default one does.
ACCESSIBLE_STEPS: dict[str, dict[int, str]] = {
    **{
        name: {9: accent.solid, 10: accent.solid_hover, 11: accent.text}
        for name, accent in ACCENTS.items()
        if accent.darkened
    },
    # Amber's solid step uses dark text and passes as it is; only its text step is darkened.
    "amber": {11: "#9a5a00"},
}


# Toasts (sonner, rich colours) put their own text colours on pale tints: 3.1-4.4:1 in the stock light theme.
# They take the text steps above.
TOAST_TEXT: dict[str, str] = {
    "error": ACCESSIBLE_STEPS["red"][11],
    "success": ACCESSIBLE_STEPS["green"][11],
    "warning": ACCESSIBLE_STEPS["amber"][11],
    "info": ACCESSIBLE_STEPS["blue"][11],
}


def palette_css() -> str:
    """One rule on every Radix theme root (the page's and those of dialogs and menus rendered in portals), one
    on the toaster.

    The doubled selectors outrank the libraries' own rules (Radix's ``:root, .light`` palette with its display-p3
    variants, sonner's light theme) wherever this stylesheet lands in the document.
    """
    declarations: list[str] = []
    for color, steps in ACCESSIBLE_STEPS.items():
        for step, value in steps.items():
            declarations.append(f"--{color}-{step}:{value};")
            if step == 11:  # badges and links use the translucent variant of the text step
                declarations.append(f"--{color}-a{step}:{value};")
    toasts = "".join(f"--{kind}-text:{value};" for kind, value in TOAST_TEXT.items())
    return (
        ".radix-themes.radix-themes{" + "".join(declarations) + "}"
        "[data-sonner-toaster][data-sonner-toaster][data-sonner-theme=light]{" + toasts + "}"
    )


def palette_style() -> rx.Component:
    """The palette override as a style element; ``page_shell`` puts it on every page."""
    return rx.el.style(palette_css())

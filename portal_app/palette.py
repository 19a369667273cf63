"""The accent colours a workspace may brand its portal, mails and PDFs with, and their contrast.

Pure data and arithmetic (no reflex, no models): the branding service validates against it, the theme's CSS
(``components/theme.py``) and the mails and PDFs take their hex values from it, because mails and PDFs cannot use
the page's CSS variables.

Each colour is a Radix Themes accent name with the steps that carry text or sit under text in the light
appearance, from Radix Colors 3.0.0: step 3 and 4 (soft backgrounds), 9 (solid: buttons, under white text), 10 (the
hover of solid controls) and 11 (text and links). Where the stock step fails WCAG AA (4.5:1) it is darkened by
scaling its sRGB channels (the hue stays): the lightest value reaching 4.6:1 for white on step 9 and for step 11
on step 4 (so also on step 3 and on white); step 10 stays a shade darker than 9. Pale hues (yellow, amber, lime,
mint, sky) are not offered: their solid steps carry dark text, and darkened far enough for white text they are no
longer the colour their name says. Grey is not offered either: the app's neutral scale is slate, and overriding the
grey steps would repaint every neutral surface.
"""

from __future__ import annotations

from dataclasses import dataclass

WHITE = "#ffffff"
AA = 4.5  # WCAG 2 AA, normal text
DEFAULT_ACCENT = "teal"  # the app's own accent (rxconfig.py)


@dataclass(frozen=True)
class Accent:
    """One accent colour's light steps (hex)."""

    label: str
    soft: str  # step 3: soft backgrounds
    soft_hover: str  # step 4: soft backgrounds, hovered
    solid: str  # step 9: buttons, white text on it
    solid_hover: str  # step 10
    text: str  # step 11: text and links on white or the soft steps
    stock: tuple[str, str, str]  # Radix's own steps 9, 10, 11 (the darkened ones differ)

    @property
    def darkened(self) -> bool:
        return (self.solid, self.solid_hover, self.text) != self.stock

    @property
    def solid_rgb(self) -> tuple[int, int, int]:
        return rgb(self.solid)

    @property
    def text_rgb(self) -> tuple[int, int, int]:
        return rgb(self.text)


# teal, green, blue and red keep the values the theme used before branding existed (components/theme.py).
ACCENTS: dict[str, Accent] = {
    "teal": Accent(
        "Teal", "#e0f8f3", "#ccf3ea", "#0e8173", "#0d7468", "#007666", ("#12a594", "#0d9b8a", "#008573")
    ),
    "jade": Accent(
        "Jade", "#e6f7ed", "#d6f1e3", "#21836a", "#1f7b63", "#1d765e", ("#29a383", "#26997b", "#208368")
    ),
    "green": Accent(
        "Green", "#e6f6eb", "#d6f1df", "#268356", "#22764d", "#1e764f", ("#30a46c", "#2b9a66", "#218358")
    ),
    "grass": Accent(
        "Grass", "#e9f6e9", "#daf1db", "#388446", "#327c3f", "#287738", ("#46a758", "#3e9b4f", "#2a7e3b")
    ),
    "cyan": Accent(
        "Cyan", "#def7f9", "#caf1f6", "#007f9d", "#067792", "#0f718a", ("#00a2c7", "#0797b9", "#107d98")
    ),
    "blue": Accent(
        "Blue", "#e6f4fe", "#d5efff", "#0075cf", "#0069ba", "#0c6abb", ("#0090ff", "#0588f0", "#0d74ce")
    ),
    "indigo": Accent(
        "Indigo", "#edf2fe", "#e1e9ff", "#3e63dd", "#3358d4", "#3a5bc7", ("#3e63dd", "#3358d4", "#3a5bc7")
    ),
    "iris": Accent(
        "Iris", "#f0f1fe", "#e6e7ff", "#5b5bd6", "#5151cd", "#5753c6", ("#5b5bd6", "#5151cd", "#5753c6")
    ),
    "violet": Accent(
        "Violet", "#f4f0fe", "#ebe4ff", "#6e56cf", "#654dc4", "#6550b9", ("#6e56cf", "#654dc4", "#6550b9")
    ),
    "purple": Accent(
        "Purple", "#f7edfe", "#f2e2fc", "#8e4ec6", "#8347b9", "#8145b5", ("#8e4ec6", "#8347b9", "#8145b5")
    ),
    "plum": Accent(
        "Plum", "#fbebfb", "#f7def8", "#ab4aba", "#a144af", "#953ea3", ("#ab4aba", "#a144af", "#953ea3")
    ),
    "pink": Accent(
        "Pink", "#fee9f5", "#fbdcef", "#c93c95", "#c1348d", "#b62782", ("#d6409f", "#cf3897", "#c2298a")
    ),
    "crimson": Accent(
        "Crimson", "#ffe9f0", "#fedce7", "#d23775", "#c92f6c", "#c11c5e", ("#e93d82", "#df3478", "#cb1d63")
    ),
    "ruby": Accent(
        "Ruby", "#feeaed", "#ffdce1", "#d03f5d", "#c83655", "#c1224a", ("#e54666", "#dc3b5d", "#ca244d")
    ),
    "red": Accent(
        "Red", "#feebec", "#ffdbdc", "#ce4145", "#b93a3e", "#be282d", ("#e5484d", "#dc3e42", "#ce2c31")
    ),
    "tomato": Accent(
        "Tomato", "#feebe7", "#ffdcd3", "#cf462a", "#c83d21", "#bc2f13", ("#e54d2e", "#dd4425", "#d13415")
    ),
    "orange": Accent(
        "Orange", "#ffefd6", "#ffdfb5", "#c15410", "#bb4a00", "#ae4200", ("#f76b15", "#ef5f00", "#cc4e00")
    ),
    "brown": Accent(
        "Brown", "#f6eee7", "#f0e4d9", "#946d4c", "#8c6649", "#815e46", ("#ad7f58", "#a07553", "#815e46")
    ),
}


def rgb(hex_value: str) -> tuple[int, int, int]:
    """``"#0e8173"`` → ``(14, 129, 115)``."""
    value = hex_value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def luminance(hex_value: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb(hex_value))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def passes(accent: Accent) -> bool:
    """White on the solid steps and the text step on white and on the soft steps all reach AA."""
    return (
        contrast(WHITE, accent.solid) >= AA
        and contrast(WHITE, accent.solid_hover) >= AA
        and contrast(accent.text, WHITE) >= AA
        and contrast(accent.text, accent.soft) >= AA
        and contrast(accent.text, accent.soft_hover) >= AA
    )


def accent(name: str) -> Accent:
    """The accent called ``name``; the default one for an empty or unknown name."""
    return ACCENTS.get(name) or ACCENTS[DEFAULT_ACCENT]


__all__ = [
    "AA",
    "ACCENTS",
    "DEFAULT_ACCENT",
    "WHITE",
    "Accent",
    "accent",
    "contrast",
    "luminance",
    "passes",
    "rgb",
]

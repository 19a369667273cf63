"""The page of every PDF document: A4, the bundled DejaVu Sans, the issuing workspace's letterhead (logo, name, accent
colour) and small building blocks (facts, tables, totals, paragraphs). ``services/documents.py`` renders invoices,
estimates and statements with it.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableBordersLayout, XPos, YPos

from portal_app import palette

FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MUTED = (90, 90, 90)
_BLACK = (0, 0, 0)


def pdf_text(value: object) -> str:
    # User text is printed as it is, minus control characters a PDF text object cannot hold.
    return _CONTROL.sub(" ", str(value or ""))


@dataclass(frozen=True)
class Letterhead:
    """The issuing workspace's branding on its PDFs: the accent (headings in its text step, rules in its solid
    step: both readable on white) and the logo PNG (re-encoded at upload, ``services/branding.py``), if any."""

    accent: palette.Accent
    logo: bytes | None = None


LOGO_HEIGHT_MM = 14.0
LOGO_MAX_WIDTH_MM = 60.0


class Paper(FPDF):
    """A4 with the workspace's name and the page number in the footer."""

    def __init__(self, *, title: str, workspace_name: str, letterhead: Letterhead | None = None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(FONT_DIR / name))
        self.doc_title = title
        self.workspace_name = workspace_name
        self.letterhead = letterhead
        accent = letterhead.accent if letterhead else None
        self.accent_text = palette.rgb(accent.text) if accent else _BLACK
        self.accent_rule = palette.rgb(accent.solid) if accent else None
        self.set_title(title)
        self.set_author(workspace_name)
        self.set_creator("Customer Portal")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, f"{self.workspace_name} · {self.doc_title}", align=Align.L)
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align=Align.R)
        self.set_text_color(*_BLACK)

    # small building blocks

    def _logo(self) -> None:
        """The letterhead's logo at the top left, ``LOGO_HEIGHT_MM`` high (narrower when very wide)."""
        logo = self.letterhead.logo if self.letterhead else None
        if not logo or len(logo) < 24 or logo[12:16] != b"IHDR":  # the stored logo is always a PNG
            return
        px_w, px_h = struct.unpack(">II", logo[16:24])
        if not px_w or not px_h:
            return
        height = min(LOGO_HEIGHT_MM, LOGO_MAX_WIDTH_MM * px_h / px_w)
        try:
            self.image(io.BytesIO(logo), x=self.l_margin, y=self.get_y(), w=height * px_w / px_h, h=height)
        except Exception:  # noqa: BLE001  a damaged stored logo must not stop the document
            return
        self.set_y(self.get_y() + height + 3)

    def heading(self, workspace_name: str, title: str, marker: str = "") -> None:
        self._logo()
        self.set_font(FONT, "B", 16)
        self.multi_cell(0, 8, pdf_text(workspace_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.accent_rule is not None:
            self.set_draw_color(*self.accent_rule)
            self.set_line_width(0.8)
            self.line(self.l_margin, self.get_y() + 1, self.l_margin + self.epw, self.get_y() + 1)
            self.set_draw_color(*_BLACK)
            self.set_line_width(0.2)
            self.ln(3)
        self.ln(2)
        self.set_font(FONT, "B", 13)
        self.set_text_color(*self.accent_text)
        self.multi_cell(0, 7, pdf_text(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*_BLACK)
        if marker:
            self.set_font(FONT, "B", 11)
            self.set_text_color(170, 30, 30)
            self.multi_cell(0, 6, marker, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(*_BLACK)
        self.ln(3)

    def facts(self, rows: Iterable[tuple[str, str]]) -> None:
        """Label/value pairs, one per line ("Bill to", "Issue date", ...); empty values are left out."""
        for label, value in rows:
            if not value:
                continue
            self.set_font(FONT, "B", 10)
            self.cell(38, 6, label)
            self.set_font(FONT, "", 10)
            self.multi_cell(0, 6, pdf_text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def section(self, title: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 11)
        self.set_text_color(*self.accent_text)
        self.cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*_BLACK)
        self.set_font(FONT, "", 9.5)

    def grid(self, widths: Sequence[float], align: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A table whose first row is the heading; long text wraps inside its cell."""
        self.set_font(FONT, "", 9.5)
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(align),
            borders_layout=TableBordersLayout.SINGLE_TOP_LINE,
            headings_style=FontFace(emphasis="BOLD"),
            line_height=5.5,
            padding=(1, 1.5),
            width=self.epw,
        ) as table:
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(pdf_text(value))
        self.ln(2)

    def totals(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """Right-aligned label/amount pairs; ``True`` marks the bold line (total, balance due)."""
        label_w, amount_w = 50.0, 40.0
        for label, amount, strong in rows:
            self.set_font(FONT, "B" if strong else "", 10.5 if strong else 10)
            self.set_x(self.l_margin + self.epw - label_w - amount_w)
            self.cell(label_w, 6.5, label, align=Align.R)
            self.cell(amount_w, 6.5, amount, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def paragraph(self, title: str, text: str) -> None:
        if not text.strip():
            return
        self.section(title)
        self.multi_cell(0, 5.5, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def bytes(self) -> bytes:
        return bytes(self.output())

"""Line items a form edits (an estimate's now, an invoice's next): the rows as typed, their reading into the
services' ``LineInput`` and the running totals, computed by the services' own ``compute``.

Mix ``LineItemsMixin`` into a form state next to ``FormMixin`` (``class XFormState(StaffPage, FormMixin,
LineItemsMixin, StaffArea)``), override ``_editable`` and set ``currency`` when the document's currency is known.
The page draws the rows with ``components/line_items.py``, wired to ``set_line``, ``add_line`` and ``remove_line``.
Each row's fields are posted as ``line-<key>-<field>``; ``_take_lines(form)`` keeps what was typed on submit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import reflex as rx

from portal_app.formatting import money
from portal_app.services.errors import ValidationFailed
from portal_app.services.lines import MAX_LINES, LineInput, compute
from state.base import Events, event
from state.inputs import InputError, money_text, parse_money, parse_percent_bp, parse_quantity, percent_text


@dataclasses.dataclass
class LineDraft:
    """One line as typed (text, kept on error) and the server's reading of it."""

    key: str
    description: str = ""
    quantity: str = "1"
    unit_price: str = ""
    tax_rate: str = "0"
    unit_cost: str = ""
    net: str = ""
    description_error: str = ""
    quantity_error: str = ""
    unit_price_error: str = ""
    tax_rate_error: str = ""
    unit_cost_error: str = ""


LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate", "unit_cost")
MAX_FIELD = {"description": 500, "quantity": 20, "unit_price": 30, "tax_rate": 10, "unit_cost": 30}
LINES_ERROR = "Some lines need fixing: see the messages under them."


class SavedLine(Protocol):
    """A stored line as a service returns it (``EstimateLineRead`` and the like; read-only)."""

    @property
    def description(self) -> str: ...

    @property
    def quantity(self) -> int: ...

    @property
    def unit_price_minor(self) -> int: ...

    @property
    def tax_rate_bp(self) -> int: ...

    @property
    def unit_cost_minor(self) -> int: ...


def line_texts(line: SavedLine, currency: str) -> dict[str, str]:
    """A stored line as the form shows it for editing."""
    return {
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": money_text(line.unit_price_minor, currency),
        "tax_rate": percent_text(line.tax_rate_bp),
        "unit_cost": money_text(line.unit_cost_minor, currency) if line.unit_cost_minor else "",
    }


def read_line(line: LineDraft, currency: str) -> tuple[LineInput | None, dict[str, str]]:
    """The line as the services take it, or None and a message per field that is not right."""
    errs: dict[str, str] = {}
    desc = " ".join(line.description.split())
    if not desc:
        errs["description"] = "Describe the work or item, e.g. “Design work”."
    elif len(desc) > 500:
        errs["description"] = "Keep the description to 500 characters or fewer."
    values: dict[str, int] = {}
    readers: dict[str, Any] = {
        "quantity": parse_quantity,
        # Before an account (and so a currency) is chosen, amounts are read as two-decimal ones.
        "unit_price": lambda t: parse_money(t, currency or "USD", what="a unit price"),
        "tax_rate": parse_percent_bp,
        "unit_cost": lambda t: parse_money(t or "0", currency or "USD", what="a unit cost"),
    }
    for name, reader in readers.items():
        if name == "unit_price" and not getattr(line, name).strip():
            errs[name] = "Enter a unit price, e.g. 1,234.50 (0 for no charge)."
            continue
        try:
            values[name] = reader(getattr(line, name))
        except InputError as exc:
            errs[name] = exc.message
    if errs or not currency:
        return None, errs
    return (
        LineInput(
            desc,
            quantity=values["quantity"],
            unit_price_minor=values["unit_price"],
            tax_rate_bp=values["tax_rate"],
            unit_cost_minor=values["unit_cost"],
        ),
        {},
    )


class LineItemsMixin(rx.State, mixin=True):
    """The lines of a form and their totals (display strings in ``currency``)."""

    currency: str = ""
    lines: list[LineDraft] = []
    subtotal: str = ""
    tax: str = ""
    total: str = ""
    cost: str = ""
    totals_note: str = ""
    _next_line: int = 0

    if TYPE_CHECKING:  # from FormMixin and the page state (StaffPage)
        errors: dict[str, str]

        def _fail(self, name: str, message: str) -> None: ...

        def _act(self, work: Callable[[Any, Any], Events]) -> Events: ...

    def _editable(self) -> bool:
        """Whether the lines may change now (intent only: the services check the record again). Override it."""
        return False

    def _new_line(self, **values: str) -> LineDraft:
        self._next_line += 1
        return LineDraft(key=f"l{self._next_line}", **values)

    def _start_lines(self, saved: Iterable[SavedLine] = (), currency: str = "") -> None:
        """The rows of a freshly loaded form: the stored lines, or one empty row."""
        self._next_line = 0
        self.lines = [self._new_line(**line_texts(ln, currency)) for ln in saved] or [self._new_line()]

    def _take_lines(self, form: dict[str, Any]) -> None:
        """Keep every line field as submitted (so an error shows the lines as they were sent)."""

        def text(name: str, current: str, limit: int) -> str:
            raw = form.get(name)
            return raw[: limit + 1] if isinstance(raw, str) else current

        self.lines = [
            dataclasses.replace(
                ln, **{n: text(f"line-{ln.key}-{n}", getattr(ln, n), MAX_FIELD[n]) for n in LINE_FIELDS}
            )
            for ln in self.lines
        ]

    def _recompute(self, *, show_errors: bool = False) -> list[LineInput] | None:
        """Totals from the lines as typed, computed by the services' own ``compute``; lines that do not read yet
        are left out (and said to be). With ``show_errors`` each field's message is set; the lines are returned
        only when every one of them reads."""
        currency = self.currency
        readable: list[LineInput] = []
        updated: list[LineDraft] = []
        bad = 0
        for line in self.lines:
            parsed, errs = read_line(line, currency)
            # While typing, a field's message stays only until it is fixed; all of them show on submit.
            showing = any(getattr(line, f"{name}_error") for name in LINE_FIELDS)
            shown = errs if show_errors or showing else {}
            if parsed is None:
                bad += 1
            else:
                readable.append(parsed)
            net = ""
            if parsed is not None:
                net = money(parsed.quantity * parsed.unit_price_minor, currency)
            updated.append(
                dataclasses.replace(
                    line,
                    net=net,
                    **{f"{name}_error": shown.get(name, "") for name in LINE_FIELDS},
                )
            )
        self.lines = updated
        if not currency:
            self.subtotal = self.tax = self.total = self.cost = ""
            self.totals_note = "Choose an account to see the totals in its currency."
            if show_errors and bad:
                self._fail("lines", LINES_ERROR)
            return None
        try:
            totals = compute(readable) if readable else None
        except ValidationFailed as exc:
            totals = None
            self.totals_note = exc.message
            if show_errors:
                self._fail("lines", exc.message)
        else:
            self.totals_note = (
                f"{bad} line{'s' if bad != 1 else ''} left out until {'they read' if bad != 1 else 'it reads'} "
                "correctly."
                if bad
                else ""
            )
        self.subtotal = money(totals.subtotal_minor if totals else 0, currency)
        self.tax = money(totals.tax_minor if totals else 0, currency)
        self.total = money(totals.total_minor if totals else 0, currency)
        self.cost = money(totals.cost_minor if totals else 0, currency)
        if not bad and totals is not None:
            self.errors = {k: v for k, v in self.errors.items() if k != "lines"}
        if bad or totals is None:
            if show_errors and bad:
                self._fail("lines", LINES_ERROR)
            return None
        return readable

    # -- editing (every handler checks the actor: any client can call any of them with anything)

    @event
    def set_line(self, key: str, name: str, value: str) -> Events:
        """A line field left (blur): keep the text and recompute the totals on the server."""

        def work(session: object, actor: object) -> Events:
            if name not in LINE_FIELDS or not isinstance(value, str) or not self._editable():
                return None
            text = value[: MAX_FIELD[name]]
            self.lines = [
                dataclasses.replace(ln, **{name: text}) if ln.key == key else ln for ln in self.lines
            ]
            self._recompute()
            return None

        return self._act(work)

    @event
    def add_line(self) -> Events:
        def work(session: object, actor: object) -> Events:
            if self._editable() and len(self.lines) < MAX_LINES:
                self.lines = [*self.lines, self._new_line()]
            return None

        return self._act(work)

    @event
    def remove_line(self, key: str) -> Events:
        def work(session: object, actor: object) -> Events:
            if self._editable() and len(self.lines) > 1:
                self.lines = [ln for ln in self.lines if ln.key != key]
                self._recompute()
            return None

        return self._act(work)

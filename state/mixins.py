"""Mixins for page states: a paginated list, a record read from the route, a form with per-field errors.

Combine with a page state: ``class EstimatesState(StaffPage, ListMixin, StaffArea)``. Everything the browser sends
(page moves, search text, filter values, route ids, form fields) is untrusted input: these mixins bound and
validate it before a service sees it, and the services scope it again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

import reflex as rx

from state.base import Events, event, parse_id

SEARCH_MAX = 100
URL_SEARCH = "q"  # the search text in a list page's URL: /app/accounts?q=contoso


class _Paged(Protocol):
    @property
    def total(self) -> int: ...


_PageT = TypeVar("_PageT", bound=_Paged)


class ListMixin(rx.State, mixin=True):
    """One page of a list: the services paginate in the database, this keeps where the viewer is.

    ``FILTERS`` names each filter and its allowed values (the first is the default, ``""`` meaning all); a value
    outside the list is ignored. ``_fetch`` passes ``self.offset``, ``self.PAGE_SIZE``, ``self.search`` and
    ``self.filters`` to the service and sets ``self.total``.

    A filter named in ``ID_FILTERS`` takes a record id (an account, say) besides its listed values
    (``FILTERS = {"account": ("all",)}``, ``ID_FILTERS = ("account",)``): any positive id is kept, as a handle
    only (the service scopes it; another workspace's id finds nothing); read it with ``self._filter_id(name)``.

    A link can open the list filtered: ``/app/invoices?status=overdue&account=7&q=acme``. The page kit's load
    (``_Page.load``) calls ``_filters_from_url()`` before fetching: when the URL names a filter or ``q``, the
    list shows exactly that (other filters at their defaults, first page), each value checked like ``set_filter``;
    without them it keeps what the viewer chose before.
    """

    PAGE_SIZE: ClassVar[int] = 20
    FILTERS: ClassVar[dict[str, tuple[str, ...]]] = {}
    ID_FILTERS: ClassVar[tuple[str, ...]] = ()

    offset: int = 0
    total: int = 0
    search: str = ""
    filters: dict[str, str] = {}

    if TYPE_CHECKING:

        def _reload(self) -> Events: ...

    @rx.var
    def page_label(self) -> str:
        if self.total == 0:
            return "0 of 0"
        last = min(self.offset + self.PAGE_SIZE, self.total)
        return f"{self.offset + 1}-{last} of {self.total}"

    @rx.var
    def has_prev(self) -> bool:
        return self.offset > 0

    @rx.var
    def has_next(self) -> bool:
        return self.offset + self.PAGE_SIZE < self.total

    @rx.var
    def filtered(self) -> bool:
        """A search or a filter away from its default is active (a list that is empty because of them)."""
        return bool(self.search) or any(
            v and v != self.FILTERS.get(k, ("",))[0] for k, v in self.filters.items()
        )

    @rx.var
    def filter_values(self) -> dict[str, str]:
        """Each filter's effective value (its default while unset): what the page's filter selects show."""
        return {name: self._filter(name) for name in self.FILTERS}

    def _filter(self, name: str) -> str:
        allowed = self.FILTERS.get(name, ("",))
        value = self.filters.get(name, allowed[0])
        if name in self.ID_FILTERS and parse_id(value) is not None:
            return value
        return value if value in allowed else allowed[0]

    def _filter_id(self, name: str) -> int | None:
        """The record id an ``ID_FILTERS`` filter holds, or None (its default or another listed value)."""
        return parse_id(self._filter(name)) if name in self.ID_FILTERS else None

    def _clamp_offset(self) -> None:
        """After a fetch: a page past the end (rows deleted meanwhile, a forged offset) moves to the last page."""
        if self.total and self.offset >= self.total:
            self.offset = max(0, (self.total - 1) // self.PAGE_SIZE * self.PAGE_SIZE)

    def _fetch_page(self, fetch: Callable[[int], _PageT]) -> _PageT:
        """``fetch(offset)`` the page at ``self.offset`` and set ``self.total``; a page past the end is fetched
        again as the last page."""
        page = fetch(self.offset)
        self.total, start = page.total, self.offset
        self._clamp_offset()
        if self.offset != start:
            page = fetch(self.offset)
        return page

    @event
    def next_page(self) -> Events:
        if self.offset + self.PAGE_SIZE < self.total:
            self.offset += self.PAGE_SIZE
        return self._reload()

    @event
    def prev_page(self) -> Events:
        self.offset = max(0, self.offset - self.PAGE_SIZE)
        return self._reload()

    @event
    def apply_search(self, form: dict[str, Any]) -> Events:
        text = form.get("search") if isinstance(form, dict) else None
        self.search = " ".join(str(text).split())[:SEARCH_MAX] if isinstance(text, str) else ""
        self.offset = 0
        return self._reload()

    def _checked(self, name: str, value: Any) -> str:
        """``value`` for filter ``name`` if allowed (a listed value, or a positive id for an ``ID_FILTERS``
        filter), else the filter's default."""
        if name in self.ID_FILTERS and parse_id(value) is not None:
            return str(parse_id(value))
        return value if isinstance(value, str) and value in self.FILTERS[name] else self.FILTERS[name][0]

    def _filters_from_url(self) -> None:
        """Take the filters (and ``q``, the search) from the page URL's query, if it names any. The query is
        client input like any argument: unknown names are not filters, unknown values fall back to defaults."""
        params = self.router.page.params
        named = [name for name in self.FILTERS if name in params]
        if not named and URL_SEARCH not in params:
            return
        self.filters = {name: self._checked(name, params[name]) for name in named}
        text = params.get(URL_SEARCH)
        self.search = " ".join(text.split())[:SEARCH_MAX] if isinstance(text, str) else ""
        self.offset = 0

    @event
    def set_filter(self, name: Any, value: Any) -> Events:
        if not isinstance(name, str) or name not in self.FILTERS:
            return None
        self.filters = {**self.filters, name: self._checked(name, value)}
        self.offset = 0
        return self._reload()

    @event
    def clear_filters(self) -> Events:
        self.search = ""
        self.filters = {}
        self.offset = 0
        return self._reload()


class DetailMixin(rx.State, mixin=True):
    """A record page: its id comes from the route (``/app/estimates/[id]``), which the client sends with every
    event and can forge. ``_record_id()`` parses it; a missing or malformed id is ``NotFound``, like a record
    that is not the actor's."""

    def _record_id(self) -> int:
        from portal_app.services.errors import NotFound

        record_id = parse_id(self.router.page.params.get("id"))
        if record_id is None:
            raise NotFound()
        return record_id


class FormMixin(rx.State, mixin=True):
    """A form: submitted form data → validation → per-field errors, and one idempotency key per form.

    The key is made on the server when the form is (re)opened and sent along with the service call: a double
    click or a retried event replays the first result instead of acting twice. A handler never takes it from the
    client.
    """

    errors: dict[str, str] = {}
    submitting: bool = False
    _form_key: str = ""

    def _new_form(self) -> None:
        self.errors = {}
        self.submitting = False
        self._form_key = secrets.token_urlsafe(18)

    def _key(self) -> str:
        if not self._form_key:
            self._form_key = secrets.token_urlsafe(18)
        return self._form_key

    def _text(
        self, form: dict[str, Any], name: str, *, label: str, required: bool = False, max_len: int = 200
    ) -> str:
        raw = form.get(name) if isinstance(form, dict) else None
        value = raw.strip() if isinstance(raw, str) else ""
        if required and not value:
            self.errors = {**self.errors, name: f"Enter {label}."}
        elif len(value) > max_len:
            self.errors = {**self.errors, name: f"Keep {label} to {max_len} characters or fewer."}
        return value

    def _fail(self, name: str, message: str) -> None:
        self.errors = {**self.errors, name: message}

    def _valid(self) -> bool:
        return not self.errors

"""The classification in handlers.py names every event handler the app has, and nothing else.

A client can call any handler of any state over the websocket, so a new handler must be classified (and thereby
attacked by test_every_actor.py) before it ships.
"""

from __future__ import annotations

from portal_app.services.permissions import ContactPermission, Permission
from tests.security.handlers import HANDLERS
from tests.security.inventory import handler_names, page_need, project_states

_PERMISSIONS = {p.value for p in Permission}
_CONTACT = {p.value for p in ContactPermission}


def test_every_handler_is_classified() -> None:
    missing = sorted(set(handler_names()) - set(HANDLERS))
    assert not missing, f"classify these handlers in tests/security/handlers.py: {missing}"


def test_every_classified_handler_exists() -> None:
    gone = sorted(set(HANDLERS) - set(handler_names()))
    assert not gone, f"these handlers no longer exist: {gone}"


def test_every_state_has_the_builtin_setvar() -> None:
    states = project_states()
    assert len(states) >= 40
    assert all(f"{name}.setvar" in HANDLERS for name in states)


def test_kinds_are_well_formed() -> None:
    for name, kind in HANDLERS.items():
        if kind in ("public", "contact", "staff", "operator"):
            continue
        area, _, need = kind.partition(":")
        if area == "contact":
            assert need in _CONTACT, name
        else:
            assert area == "staff" and all(p in _PERMISSIONS for p in need.split("|")), name


def test_a_handler_is_for_the_same_kind_of_actor_as_its_page() -> None:
    """A handler's classification agrees with the gate its state declares (``NEED``): a contact page's handlers are
    contact handlers for that permission, a staff page's are staff handlers (the same or a stronger permission)."""
    checked = 0
    for name, cls in handler_names().items():
        need = page_need(cls)
        kind = HANDLERS.get(name, "")
        if need is None or kind == "public":
            continue
        checked += 1
        if isinstance(need, ContactPermission):
            assert kind == f"contact:{need.value}", name
        else:
            assert isinstance(need, Permission) and kind.startswith("staff:"), name
    assert checked > 150

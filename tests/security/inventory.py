"""Every project state class and its event handlers, enumerated from Reflex at test time."""

from __future__ import annotations

import importlib
import os
import pkgutil

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402

import state  # noqa: E402


def project_states() -> dict[str, type[rx.State]]:
    """Each state class of the ``state`` package, by class name (Reflex's own internal states left out)."""
    for module in pkgutil.iter_modules(state.__path__):
        importlib.import_module(f"state.{module.name}")
    found: dict[str, type[rx.State]] = {}
    todo = list(rx.State.get_substates())
    while todo:
        cls = todo.pop()
        todo.extend(cls.get_substates())
        if cls.__module__.split(".")[0] == "state":
            assert cls.__name__ not in found, f"two states named {cls.__name__}"
            found[cls.__name__] = cls
    return found


def handler_names() -> dict[str, type[rx.State]]:
    """``"StateClass.handler"`` -> the state class, for every handler Reflex registered (``setvar`` included)."""
    return {f"{name}.{h}": cls for name, cls in project_states().items() for h in cls.event_handlers}


def page_need(cls: type[rx.State]) -> object:
    """The permission a page's gate checks (``NEED``), read from the class body: a plain ``NEED = X`` in a state
    becomes a Reflex field on the class, a ``ClassVar`` stays the value."""
    for klass in cls.__mro__:
        if "NEED" in klass.__dict__:
            value = klass.__dict__["NEED"]
            return getattr(value, "default", value)
    return None

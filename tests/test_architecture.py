"""The layers stay honest: a static check of every import (``ast``, nothing is imported or run).

- ``components/`` are UI functions: no state, services, database or HTTP API.
- ``state/`` reaches the database only through ``state/base.py`` (and services): no ``sqlmodel``, ``sqlalchemy``
  or ``portal_app.db`` elsewhere, except imports used only for type hints (under ``if TYPE_CHECKING:`` or, in a
  module with ``from __future__ import annotations``, names used in annotations only); no ``portal_app.api``.
- ``portal_app/services/`` are plain Python: no reflex, no HTTP API, no route table.

Today's exceptions are listed in ``ALLOWED`` with the reason; an exception that no longer matches an import fails
the run too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# (layer directory, forbidden module prefixes, whether type-only imports are fine)
RULES: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    (
        "components",
        ("state", "portal_app.services", "portal_app.db", "portal_app.api", "sqlmodel", "sqlalchemy"),
        False,
    ),
    ("state", ("portal_app.api", "portal_app.db", "sqlmodel", "sqlalchemy"), True),
    # reflex* covers reflex and its split packages (reflex_base, reflex_components_core, ...).
    ("portal_app/services", ("reflex*", "portal_app.api", "portal_app.routes"), False),
)

# The database gate: the one state module that opens sessions.
DB_GATE = "state/base.py"
DB_MODULES = ("portal_app.db", "sqlmodel", "sqlalchemy")

# (file, imported module) pairs allowed today. Each says why, and whether it is meant to go.
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        # To be removed: the site header shows who is signed in from BaseState's display vars. The shells in
        # components/shell.py take what they show as arguments; the public pages' header should too.
        ("components/layout.py", "state.base"),
        # Kept: one parser for the session cookie, shared by the HTTP routes and the event handlers.
        ("state/base.py", "portal_app.api.cookies"),
        # To be moved: services build the links in outgoing mail (member and contact invitations, magic links)
        # from the route table; pass a URL builder in, or move the builders out of routes.py.
        ("portal_app/services/members.py", "portal_app.routes"),
        ("portal_app/services/portal_access.py", "portal_app.routes"),
        ("portal_app/services/notify.py", "portal_app.routes"),
    }
)


@dataclass(frozen=True)
class Imported:
    name: str  # ``m`` for ``import m``; ``m.a`` for ``from m import a`` (a may be a submodule or a name in m)
    line: int
    type_only: bool


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _annotation_nodes(tree: ast.Module) -> set[int]:
    """ids of every node inside an annotation (argument, return, annotated assignment)."""
    roots: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None and arg.annotation is not None:
                    roots.append(arg.annotation)
            if node.returns is not None:
                roots.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
    return {id(sub) for root in roots for sub in ast.walk(root)}


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """ids of every node inside the body of an ``if TYPE_CHECKING:`` block."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            guarded.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    return guarded


def _runtime_names(tree: ast.Module) -> set[str]:
    """Names used anywhere outside annotations and outside ``if TYPE_CHECKING:`` blocks."""
    in_annotations = _annotation_nodes(tree)
    skipped = _type_checking_nodes(tree)
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and id(node) not in in_annotations and id(node) not in skipped
    }


def imports_of(source: str, filename: str = "<source>") -> list[Imported]:
    """Every import in ``source`` (module level, in functions, in ``if`` blocks), with whether it is type-only."""
    tree = ast.parse(source, filename=filename)
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(a.name == "annotations" for a in node.names)
        for node in tree.body
    )
    runtime = _runtime_names(tree)
    guarded = _type_checking_nodes(tree)
    found: list[Imported] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                type_only = id(node) in guarded or (postponed and bound not in runtime)
                found.append(Imported(alias.name, node.lineno, type_only))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{filename}:{node.lineno}: relative import")
            for alias in node.names:
                bound = alias.asname or alias.name
                type_only = id(node) in guarded or (postponed and bound not in runtime)
                found.append(Imported(f"{node.module}.{alias.name}", node.lineno, type_only))
    return found


def _matches(name: str, prefix: str) -> bool:
    """``prefix`` is a dotted module (itself or anything under it), or ``pkg*``: any top-level package so named."""
    if prefix.endswith("*"):
        return name.split(".")[0].startswith(prefix[:-1])
    return name == prefix or name.startswith(prefix + ".")


def violations(rel_path: str, source: str, *, allowed: frozenset[tuple[str, str]] | None = None) -> list[str]:
    """What ``rel_path`` (e.g. ``"state/tasks.py"``) imports that its layer may not, as readable lines."""
    allowed = ALLOWED if allowed is None else allowed
    problems: list[str] = []
    for layer, forbidden, type_only_ok in RULES:
        if not rel_path.startswith(layer + "/"):
            continue
        for imported in imports_of(source, rel_path):
            if type_only_ok and imported.type_only:
                continue
            name = imported.name
            hit = next((p for p in forbidden if _matches(name, p)), None)
            if hit is None:
                continue
            if rel_path == DB_GATE and any(_matches(name, m) for m in DB_MODULES):
                continue
            if any(rel_path == f and _matches(name, m) for f, m in allowed):
                continue
            problems.append(f"{rel_path}:{imported.line} imports {name} ({layer}/ may not import {hit})")
    return problems


def _layer_files() -> list[Path]:
    files: list[Path] = []
    for layer, _, _ in RULES:
        files.extend(sorted((ROOT / layer).rglob("*.py")))
    return files


@pytest.mark.parametrize("path", _layer_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_layer_imports(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    assert violations(rel, path.read_text()) == []


def test_every_allowance_is_still_needed() -> None:
    """An exception whose import is gone must leave the list (so it cannot quietly cover a new one)."""
    stale = []
    for rel, module in ALLOWED:
        path = ROOT / rel
        used = path.is_file() and any(_matches(imp.name, module) for imp in imports_of(path.read_text(), rel))
        if not used:
            stale.append((rel, module))
    assert stale == [], f"remove these allowances from ALLOWED: {stale}"


def test_the_layers_exist() -> None:
    for layer, _, _ in RULES:
        assert any((ROOT / layer).rglob("*.py")), layer


# -- the checker catches planted violations -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel_path", "source"),
    [
        ("components/widget.py", "from state.staff import StaffState\n"),
        ("components/widget.py", "import state.base\n"),
        ("components/widget.py", "from portal_app import services\n"),
        ("components/widget.py", "from portal_app.services.tasks import list_tasks\n"),
        ("components/widget.py", "def f():\n    from portal_app.db import session_scope\n"),
        ("components/widget.py", "from portal_app.api import build_api\n"),
        (
            "components/widget.py",
            "from __future__ import annotations\nfrom sqlmodel import Session\nx: Session\n",
        ),
        (
            "components/layout.py",
            "from state.staff import StaffState\n",
        ),  # the allowance is for state.base only
        ("state/tasks.py", "from portal_app.api.cookies import token_from_cookie_header\n"),
        ("state/tasks.py", "from portal_app.api import files\n"),
        ("state/tasks.py", "from portal_app.db import session_scope\n"),
        ("state/tasks.py", "import sqlalchemy as sa\nq = sa.select(1)\n"),
        (
            "state/tasks.py",
            "from __future__ import annotations\nfrom sqlmodel import Session, select\nselect(1)\n",
        ),
        ("state/tasks.py", "from __future__ import annotations\nfrom sqlmodel import Session\nS = Session\n"),
        (
            "state/tasks.py",
            "from sqlmodel import Session\ndef f(s: Session) -> None: ...\n",
        ),  # evaluated hints
        ("state/sub/deep.py", "from sqlmodel import Session\nSession()\n"),
        ("portal_app/services/tasks.py", "import reflex as rx\n"),
        ("portal_app/services/tasks.py", "from reflex_base.event import EventSpec\n"),
        ("portal_app/services/tasks.py", "from portal_app import routes\n"),
        ("portal_app/services/tasks.py", "from portal_app.routes import STAFF\n"),
        ("portal_app/services/tasks.py", "from portal_app.api.files import x\n"),
    ],
)
def test_checker_catches(rel_path: str, source: str) -> None:
    assert violations(rel_path, source), f"not caught: {rel_path}: {source!r}"


@pytest.mark.parametrize(
    ("rel_path", "source"),
    [
        (
            "components/widget.py",
            "import reflex as rx\nfrom components.form import field\nfrom portal_app import routes\n",
        ),
        (
            "components/widget.py",
            "from portal_app.statuses import status_label\nfrom portal_app.formatting import money\n",
        ),
        ("components/layout.py", "from state.base import BaseState\n"),
        (
            "state/base.py",
            "from sqlmodel import Session\nfrom portal_app.db import session_scope\nSession()\n",
        ),
        ("state/base.py", "from portal_app.api.cookies import token_from_cookie_header\n"),
        (
            "state/tasks.py",
            "from __future__ import annotations\nfrom sqlmodel import Session\ndef f(s: Session) -> None: ...\n",
        ),
        (
            "state/tasks.py",
            "from __future__ import annotations\nfrom collections.abc import Callable\nfrom sqlmodel import Session\n"
            "def f(work: Callable[[Session], int]) -> Session | None: ...\n",
        ),
        (
            "state/tasks.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sqlmodel import Session\n    x = Session\n",
        ),
        (
            "state/tasks.py",
            "from portal_app.services import tasks\nfrom portal_app import routes\nfrom models import Role\n",
        ),
        (
            "portal_app/services/tasks.py",
            "from sqlmodel import Session, select\nfrom portal_app.services import access\n",
        ),
        ("portal_app/services/members.py", "from portal_app import routes\n"),
        ("portal_app/pages/staff/home.py", "from state.staff import S\n"),  # pages are not checked here
    ],
)
def test_checker_allows(rel_path: str, source: str) -> None:
    assert violations(rel_path, source) == []


def test_an_allowance_covers_only_its_file() -> None:
    source = "from portal_app import routes\n"
    assert violations("portal_app/services/members.py", source) == []
    assert violations("portal_app/services/members.py", source, allowed=frozenset()) != []
    assert violations("portal_app/services/tasks.py", source) != []

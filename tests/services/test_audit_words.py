"""Words for every audit action the code writes: the actions are collected from the services' source (``action=``
arguments of ``append_event`` and ``note_refusal``), so a new action without words fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from models import ApprovalStatus, IntakeKind, TaskStatus
from portal_app.services import audit_words

SERVICES = Path(__file__).resolve().parents[2] / "portal_app" / "services"


def _collected_actions() -> tuple[set[str], list[str]]:
    """Every action the services write: literal ``action=`` arguments, both branches of a conditional, names
    assigned in the same function or unpacked from a module-level table, and f-strings over status enums."""
    expand = {
        "approval.{}": [f"approval.{s.value}" for s in ApprovalStatus],
        "task.{}": [f"task.{s.value}" for s in TaskStatus],
        "intake.{}_submitted": [f"intake.{k.value}_submitted" for k in IntakeKind],
    }
    found: set[str] = set()
    unresolved: list[str] = []

    def strings(node, tree, func) -> list[str] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            left, right = strings(node.body, tree, func), strings(node.orelse, tree, func)
            return None if left is None or right is None else left + right
        if isinstance(node, ast.JoinedStr):
            shape = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            return expand.get(shape)
        if isinstance(node, ast.Name) and func is not None:
            out: list[str] = []
            for sub in ast.walk(func):
                if not isinstance(sub, ast.Assign):
                    continue
                for target in sub.targets:
                    if isinstance(target, ast.Name) and target.id == node.id:
                        got = strings(sub.value, tree, func)
                        if got is None:
                            return None
                        out += got
                    elif isinstance(target, ast.Tuple) and isinstance(sub.value, ast.Subscript):
                        names = [e.id for e in target.elts if isinstance(e, ast.Name)]
                        if node.id in names and isinstance(sub.value.value, ast.Name):
                            out += table_column(tree, sub.value.value.id, names.index(node.id))
            return out or None
        return None

    def table_column(tree, name: str, index: int) -> list[str]:
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in stmt.targets
            ):
                assert isinstance(stmt.value, ast.Dict)
                return [
                    v.elts[index].value
                    for v in stmt.value.values
                    if isinstance(v, ast.Tuple) and isinstance(v.elts[index], ast.Constant)
                ]
        return []

    for path in sorted(SERVICES.glob("*.py")):
        tree = ast.parse(path.read_text())
        parents = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in ("append_event", "note_refusal"):
                continue
            arg = next((k.value for k in node.keywords if k.arg == "action"), None)
            if arg is None:
                continue
            func, outer = node, None  # the innermost function (parameters) and the outermost (assignments)
            while (up := parents.get(func)) is not None:
                func = up
                if isinstance(func, ast.FunctionDef):
                    outer = func
            inner = node
            while inner is not None and not isinstance(inner, ast.FunctionDef):
                inner = parents.get(inner)
            params = {a.arg for a in inner.args.args + inner.args.kwonlyargs} if inner else set()
            got = [] if isinstance(arg, ast.Name) and arg.id in params else strings(arg, tree, outer)
            if got is None:
                unresolved.append(f"{path.name}:{node.lineno}")
            else:
                found.update(got)
    return found, unresolved


def test_every_action_in_the_code_has_words():
    actions, unresolved = _collected_actions()
    assert unresolved == [], "teach _collected_actions to read these action= arguments"
    assert len(actions) > 60
    assert "estimate.approved" in actions and "workspace.time_zone_changed" in actions
    assert "intake.payment_proof_submitted" in actions and "task.in_progress" in actions
    missing = sorted(a for a in actions if audit_words.is_fallback(a))
    assert missing == [], f"add words for these actions to services/audit_words.py: {missing}"
    facts = audit_words.Facts(who="Max Manager", target="the workspace", account="Contoso")
    for action in actions:
        text = audit_words.sentence(action, facts)
        assert action not in text and "_" not in text, (action, text)
        assert audit_words.group_of(action) in audit_words.GROUPS


def test_an_unknown_action_still_reads_as_words():
    facts = audit_words.Facts(who="Max Manager", target="the workspace", account="")
    text = audit_words.sentence("workspace.colour_changed", facts)
    assert text == "Max Manager: workspace colour changed (the workspace)"

"""Accessibility checks for the browser tests: axe-core (shipped inside ``axe-playwright-python``) on a live page.

``expect_accessible(page, "name")`` fails on every violation of impact "serious" or "critical" (missing labels and
names, colour contrast, invalid ARIA, ...) and says which rule, how bad and where (CSS selectors of each element).
Call it wherever a journey reaches a page or state worth checking; ``A11ySweep`` collects several pages' results
and fails once at the end with all of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

FAILING_IMPACTS = frozenset({"serious", "critical"})

# Rules switched off for every page, each with the reason (only false positives from framework internals that
# the project cannot change belong here). Nothing needs it today.
DISABLED_RULES: Mapping[str, str] = {}

MAX_NODES_SHOWN = 8
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "a11y"

_AXE = Axe()

# Wait until finite CSS animations and transitions (dialogs opening, toasts sliding in) are over: a half-faded
# element would be reported as low contrast. Endless ones (spinners) are ignored.
_SETTLED = """() => document.getAnimations().every(a => {
    const timing = a.effect && a.effect.getComputedTiming ? a.effect.getComputedTiming() : null;
    return a.playState !== 'running' || (timing && timing.iterations === Infinity);
})"""


def _settle(page: Page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_function(_SETTLED)


def _viewport(page: Page) -> str:
    size = page.viewport_size
    return f"{size['width']}px" if size else "?"


def run_axe(page: Page, *, disabled: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """All of axe's violations on the page as it is now (every impact)."""
    _settle(page)
    rules = {rule: {"enabled": False} for rule in {**DISABLED_RULES, **(disabled or {})}}
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if rules:
        options["rules"] = rules
    violations: list[dict[str, Any]] = _AXE.run(page, options=options).response["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(
            f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({len(nodes)} elements)"
        )
        for node in nodes[:MAX_NODES_SHOWN]:
            target = " >> ".join(str(part) for part in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"      {target}")
            if summary:
                lines.append(f"        {summary[:300]}")
        if len(nodes) > MAX_NODES_SHOWN:
            lines.append(f"      ... and {len(nodes) - MAX_NODES_SHOWN} more")
    return "\n".join(lines)


def a11y_failures(page: Page, name: str, *, disabled: Mapping[str, str] | None = None) -> str:
    """A readable report of the serious and critical violations on the page ("" when there are none).

    Every run's full result (all impacts) is saved as test-artifacts/a11y/<name>.json for a closer look.
    """
    violations = run_axe(page, disabled=disabled)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps({"url": page.url, "violations": violations}, indent=1))
    failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
    if not failing:
        return ""
    return f"{name} ({page.url} at {_viewport(page)}):\n{describe(failing)}"


def expect_accessible(page: Page, name: str, *, disabled: Mapping[str, str] | None = None) -> None:
    """Fail on axe violations of impact serious or critical, listing rule, impact and element selectors."""
    report = a11y_failures(page, name, disabled=disabled)
    assert not report, "accessibility violations (axe-core):\n" + report


class A11ySweep:
    """Check many pages in one test and fail once, at the end, with every page's violations."""

    def __init__(self) -> None:
        self.reports: list[str] = []
        self.checked: list[str] = []

    def check(self, page: Page, name: str, *, disabled: Mapping[str, str] | None = None) -> None:
        self.checked.append(name)
        report = a11y_failures(page, name, disabled=disabled)
        if report:
            self.reports.append(report)

    def assert_clean(self) -> None:
        assert self.checked, "nothing was checked"
        assert not self.reports, (
            f"accessibility violations (axe-core) on {len(self.reports)} of {len(self.checked)} pages:\n"
            + "\n".join(self.reports)
        )

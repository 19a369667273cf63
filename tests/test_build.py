"""Compiles and builds the real frontend (``reflex export --frontend-only --no-zip``) in a temporary copy.

Skips only when no JavaScript toolchain Reflex can use is found: bun >= 1.4.4 (on PATH or in tools/bun, where
``make`` installs it) or Node.js >= 22.22.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.build

ROOT = Path(__file__).resolve().parents[1]
BUN_MIN = (1, 4, 4)
NODE_MIN = (22, 22, 0)
# Not copied: environments, build output, local data and VCS metadata.
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".web", ".states", "tools", "var", "node_modules", "__pycache__", "*.egg-info",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "test-artifacts", ".env",
)  # fmt: skip


def _version(executable: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in match.groups()) if match else None


def _toolchain_env() -> dict[str, str] | None:
    """The environment for reflex commands, or None when no usable bun/node exists."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [str(ROOT / "tools" / "bun" / "node_modules" / ".bin"), env.get("PATH", "")]
    )
    env["REFLEX_TELEMETRY_ENABLED"] = "false"
    env["REFLEX_CHECK_LATEST_VERSION"] = "0"
    env.pop("__REFLEX_SKIP_COMPILE", None)
    if (npm := shutil.which("npm", path=env["PATH"])) and "NPM_CONFIG_REGISTRY" not in env:
        registry = subprocess.run(
            [npm, "config", "get", "registry"], capture_output=True, text=True
        ).stdout.strip()
        if registry:
            env["NPM_CONFIG_REGISTRY"] = registry
    bun = shutil.which("bun", path=env["PATH"])
    if bun and (_version(bun) or (0,)) >= BUN_MIN:
        return env
    node = shutil.which("node", path=env["PATH"])
    if node and (_version(node) or (0,)) >= NODE_MIN:
        env["REFLEX_USE_NPM"] = "1"
        return env
    return None


def test_frontend_export_builds_the_landing_page(tmp_path: Path) -> None:
    env = _toolchain_env()
    if env is None:
        pytest.skip(
            "no JavaScript toolchain: need bun >= 1.4.4 or Node.js >= 22.22 (`make test` installs bun)"
        )

    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=IGNORED)
    reflex = Path(sys.executable).with_name("reflex")
    command = [str(reflex), "export", "--frontend-only", "--no-zip"] if reflex.exists() else [
        sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip",
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, f"reflex export failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"

    client = project / ".web" / "build" / "client"
    index = client / "index.html"
    assert index.is_file(), f"no landing page output in {client}"
    html = index.read_text(encoding="utf-8")
    assert "<title>Customer Portal" in html
    assert "review-only intake" in html.lower()
    for route in ("app", "portal", "operator"):
        assert (client / f"{route}.html").is_file() or (client / route / "index.html").is_file(), route

    # The committed lock must be what a real build produces, or builds are not reproducible.
    built_lock, committed_lock = project / "reflex.lock", ROOT / "reflex.lock"
    assert json.loads((built_lock / "package.json").read_text()) == json.loads(
        (committed_lock / "package.json").read_text()
    ), "reflex.lock/package.json is stale: run `make run` and commit reflex.lock/"
    assert (built_lock / "bun.lock").read_text() == (committed_lock / "bun.lock").read_text(), (
        "reflex.lock/bun.lock is stale: run `make run` and commit reflex.lock/"
    )

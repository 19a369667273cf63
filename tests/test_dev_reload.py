"""``make dev`` (scripts/run.sh dev) restarts the backend when a source file changes, and only then.

Starts hot-reload mode through scripts/run.sh from a private copy of the project (the copy helper of the browser
tests), on free ports, with make dev's own defaults: the dev environment and its SQLite database under var/ in
the project, where the running app writes (the mail loop queries it in every worker). Holds it idle, then edits a
module under state/: exactly one backend start before the edit, exactly one reload after it. The copy is made a
git repository first, so the test also sees whatever dev mode leaves in the tree (reflex.lock/package.json
rewritten, a file .gitignore misses).

Backend starts are counted from the server's own log line, one per worker process ("Spawning worker-1 with PID"),
printed at the info log level that scripts/run.sh sets for dev mode.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.e2e.server import COPY_IGNORED, ROOT, RunningApp, _answers, app_env, free_port

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT = 240  # seconds: a fresh copy installs the frontend packages before the first start
IDLE_SECONDS = 45  # the loop this guards against restarted the backend every few seconds
RELOAD_TIMEOUT = 40
SETTLE_SECONDS = 8  # after the reload: long enough for a restart loop to show itself again
WORKER_START = re.compile(r"Spawning worker-\d+ with PID")
EDITED = Path("state") / "__init__.py"
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.test", "-c", "commit.gpgsign=false"]


def _git(project: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, *args],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def _starts(log_path: Path) -> int:
    return len(WORKER_START.findall(log_path.read_text(errors="replace")))


def _wait_for(condition, timeout: float, process: subprocess.Popen[bytes], log_path: Path, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make dev exited with {process.returncode}:\n{_telling(log_path)}")
        if condition():
            return
        time.sleep(1)
    pytest.fail(f"{what} within {timeout}s:\n{_telling(log_path)}")


def _telling(log_path: Path) -> str:
    """The part of the dev log that says what went wrong (the whole log is kept in test-artifacts/dev-reload.log).
    A native crash ends the log with a long backtrace, so its first lines (the message) come first here."""
    text = log_path.read_text(errors="replace")
    for marker in ("panicked at", "Traceback (most recent call last)", "Fatal Python error"):
        at = text.find(marker)
        if at >= 0:
            start = text.rfind("\n", 0, max(0, at - 1500)) + 1
            return f"{text[start : at + 2500]}\n[...]\n{text[-1000:]}"
    return text[-4000:]


def _dev_env(frontend_port: int, venv: Path) -> dict[str, str]:
    # The e2e environment (toolchain on PATH, nothing phoning home, no PORTAL_* of the test process), minus what
    # makes it a test app: make dev runs in the dev environment with its database in var/.
    env = app_env(port=frontend_port, database_url="", storage_dir=Path())
    for key in ("PORTAL_ENV", "PORTAL_DATABASE_URL", "PORTAL_STORAGE_DIR"):
        env.pop(key)
    for key in [key for key in env if key.startswith("REFLEX_HOT_RELOAD_")]:
        env.pop(key)
    env["PORTAL_VENV"] = str(venv)  # the running test's environment, used as it is
    env["REFLEX_LOGLEVEL"] = "info"  # the log line counted below
    return env


def test_dev_mode_restarts_the_backend_only_for_source_changes() -> None:
    venv = Path(sys.prefix)
    if not (venv / "bin" / "reflex").exists():
        pytest.skip("needs the project's virtual environment (reflex in bin/)")
    if shutil.which("git") is None:
        pytest.skip("needs git")
    workdir = Path(tempfile.mkdtemp(prefix="portal-dev-"))
    app: RunningApp | None = None
    try:
        project = workdir / "project"
        shutil.copytree(ROOT, project, ignore=COPY_IGNORED)
        _git(project, "init", "-q")
        _git(project, "add", "-A")
        _git(project, "commit", "-q", "-m", "copy")

        frontend_port, backend_port = free_port(), free_port()
        env = _dev_env(frontend_port, venv)
        if not any(shutil.which(tool, path=env["PATH"]) for tool in ("bun", "node", "npm")):
            pytest.skip("no JavaScript toolchain: need bun or Node.js (`make test` installs bun)")
        log_path = workdir / "make-dev.log"
        command = ["bash", "scripts/run.sh", "dev"]
        command += ["--frontend-port", str(frontend_port), "--backend-port", str(backend_port)]
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603
                command,
                cwd=project,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, ended as a whole by stop()
            )
        app = RunningApp(f"http://localhost:{frontend_port}", process, log_path, "")
        backend = f"http://127.0.0.1:{backend_port}"

        _wait_for(
            lambda: (
                "App running at" in log_path.read_text(errors="replace")
                and _starts(log_path) >= 1
                and _answers(f"{backend}/ping")
            ),
            START_TIMEOUT,
            process,
            log_path,
            "dev mode did not come up",
        )
        time.sleep(IDLE_SECONDS)
        assert _starts(log_path) == 1, (
            f"the backend restarted with no source change:\n{log_path.read_text()[-4000:]}"
        )

        edited = project / EDITED
        edited.write_text(edited.read_text() + "# edited by the hot-reload test\n")
        _wait_for(
            lambda: _starts(log_path) >= 2, RELOAD_TIMEOUT, process, log_path, "no reload after a source edit"
        )
        time.sleep(SETTLE_SECONDS)
        output = log_path.read_text(errors="replace")
        assert _starts(log_path) == 2, f"one edit, several reloads:\n{output[-4000:]}"
        assert output.count("Changes detected") == 1
        assert f"Modified: {edited}" in output
        _wait_for(
            lambda: _answers(f"{backend}/ping"), 30, process, log_path, "the reloaded backend did not answer"
        )

        app.stop()
        # Everything dev mode wrote is ignored by git or identical to what was there: only the edit shows.
        assert _git(project, "status", "--porcelain").splitlines() == [f" M {EDITED.as_posix()}"]
    finally:
        if app is not None:
            app.stop()
            ARTIFACTS.mkdir(exist_ok=True)
            with contextlib.suppress(OSError):
                shutil.copyfile(app.log_path, ARTIFACTS / "dev-reload.log")
        # The copy holds a whole frontend install (node_modules): do not leave it behind.
        shutil.rmtree(workdir, ignore_errors=True)

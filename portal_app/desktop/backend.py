"""Local mode's backend: the app itself, served on a free loopback port for one desktop window.

It runs the same way ``make run`` does (``reflex run --env prod``, compiled frontend and backend on one port), with
the embedded defaults: SQLite and private files under the user's data directory, the built-in development identity
provider, demo data on the first start. It runs from a private copy of the project beside that data (``app/``):
``reflex run`` writes its build into its working directory, and a ``make run`` in the checkout must not share it.
The copy is kept between launches, so later starts reuse the build and its installed frontend packages.

Nothing here imports the app: the launcher only starts and stops processes.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from portal_app.desktop.ports import free_loopback_port, wait_until_serving

log = logging.getLogger("portal_app.desktop")

PROJECT = Path(__file__).resolve().parents[2]
# What the private copy leaves out: build output, caches, local state and the developer's own settings.
COPY_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".web", ".states", "tools", "var", "node_modules", "__pycache__", "*.egg-info",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "test-artifacts", ".env", "bench",
)  # fmt: skip
START_TIMEOUT = 900.0  # seconds: the first start compiles and bundles the whole frontend
STOP_TIMEOUT = 20.0


class BackendError(RuntimeError):
    """The local backend could not start; the message is shown in the window."""


def sync_project(source: Path, target: Path) -> None:
    """Make ``target`` a copy of the project's sources (kept between launches: its build cache survives). What the
    checkout no longer has goes from the copy too: a migration left behind would give alembic two heads."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if COPY_IGNORED(str(source), [entry.name]):
            continue
        dest = target / entry.name
        if entry.is_dir():
            shutil.copytree(entry, dest, ignore=COPY_IGNORED, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, dest)
    _prune(source, target)


def _prune(source: Path, target: Path) -> None:
    for entry in list(target.iterdir()):
        if COPY_IGNORED(str(target), [entry.name]):
            continue  # build output and caches live only in the copy
        original = source / entry.name
        if not original.exists() or COPY_IGNORED(str(source), [entry.name]):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        elif entry.is_dir() and not entry.is_symlink():
            _prune(original, entry)


def backend_env(data_dir: Path, port: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """The app's environment in local mode: embedded defaults, everything under ``data_dir``."""
    env = dict(os.environ if base is None else base)
    for key in list(env):
        # The developer's shell may point the app elsewhere (a server database, Redis): local mode is self-contained.
        if key.startswith("PORTAL_") and not key.startswith("PORTAL_DESKTOP_"):
            env.pop(key)
    for key in ("REFLEX_REDIS_URL", "GRANIAN_WORKERS", "__REFLEX_SKIP_COMPILE"):
        env.pop(key, None)
    tools = PROJECT / "tools" / "bun" / "node_modules" / ".bin"
    env["PATH"] = os.pathsep.join(
        p for p in (str(tools), str(Path(sys.executable).parent), env.get("PATH", "")) if p
    )
    env.update(
        {
            "PORTAL_ENV": "dev",
            "PORTAL_DATABASE_URL": f"sqlite:///{data_dir / 'portal.db'}",
            "PORTAL_STORAGE_DIR": str(data_dir / "files"),
            "PORTAL_PUBLIC_BASE_URL": f"http://localhost:{port}",
            "REFLEX_STATE_MANAGER_MODE": "memory",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if shutil.which("bun", path=env["PATH"]) is None:
        env.setdefault(
            "REFLEX_USE_NPM", "1"
        )  # as scripts/common.sh: Node.js and npm, never a download of bun
    return env


@dataclass
class LocalBackend:
    """The app on ``http://localhost:<port>`` for this window; ``start()`` blocks until it serves."""

    data_dir: Path
    work_dir: Path  # the private copy of the project
    log_file: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # start's Popen against stop()

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _run(self, env: dict[str, str], *args: str) -> None:
        done = subprocess.run(  # noqa: S603  our own interpreter and module, fixed arguments
            [sys.executable, "-m", "portal_app.manage", *args],
            cwd=self.work_dir,
            env=env,
            capture_output=True,
            timeout=300,
        )
        if done.returncode != 0:
            log.error("%s failed: %s", " ".join(args), done.stderr.decode(errors="replace")[-2000:])
            raise BackendError(f"The local workspace could not be prepared ({' '.join(args)} failed).")

    def start(self, progress: Callable[[str], None] = lambda _: None) -> str:
        """Copy, migrate, seed (demo data on the first start only), then serve; returns the base URL. A ``stop()``
        from another thread at any point ends the start with ``BackendError`` and leaves nothing running."""
        if not (PROJECT / "rxconfig.py").exists():
            raise BackendError("Local mode runs from a checkout of the project; rxconfig.py was not found.")
        (self.data_dir / "files").mkdir(parents=True, exist_ok=True, mode=0o700)
        progress("Preparing the local workspace…")
        sync_project(PROJECT, self.work_dir)
        self.port = free_loopback_port()
        env = backend_env(self.data_dir, self.port)
        if not (self.data_dir / "portal.db").exists():
            progress("Adding demo data…")
        self._run(env, "migrate")
        self._run(env, "seed")  # demo data on the first start: seed leaves a database that has data alone
        progress("Starting the app (the first start builds it, which takes a minute or two)…")
        reflex = Path(sys.executable).with_name("reflex")
        command = [str(reflex)] if reflex.exists() else [sys.executable, "-m", "reflex"]
        command += [
            "run",
            "--env",
            "prod",
            "--frontend-port",
            str(self.port),
            "--backend-port",
            str(self.port),
        ]
        command += ["--backend-host", "127.0.0.1"]
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.log_file.open("ab") as out:
            if self._stopping.is_set():  # the window closed while this was preparing: start nothing
                raise BackendError("The window was closed while the app was starting.")
            self.process = subprocess.Popen(  # noqa: S603  our own server, fixed arguments
                command,
                cwd=self.work_dir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() ends reflex, granian and the frontend
            )
        log.info("local backend starting on port %d (pid %d)", self.port, self.process.pid)
        serving = wait_until_serving(  # it answers once the build is done and the server is up
            f"http://127.0.0.1:{self.port}/api/health",
            timeout=START_TIMEOUT,
            alive=lambda: self.alive() and not self._stopping.is_set(),
        )
        if not serving:
            if self._stopping.is_set():
                raise BackendError("The window was closed while the app was starting.")
            self.stop()
            raise BackendError(f"The local app did not start. Its log is {self.log_file}.")
        return self.url

    def stop(self) -> None:
        """End the whole process group: SIGTERM, then SIGKILL after ``STOP_TIMEOUT``. Safe to call twice."""
        self._stopping.set()
        with self._lock:
            process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.info("local backend stopped")

"""Start the real app (``reflex run --env prod``) on a free port with its own migrated, seeded SQLite database.

Used by the e2e fixture; also runnable by hand: ``.venv/bin/python -m tests.e2e.server`` prints the URL and keeps
the app up until Ctrl-C.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The app runs from a private copy of the project: ``reflex run`` rewrites .web/ and .states/ in its working
# directory, and another run (a developer's `make run`, a second test session) must not share them.
COPY_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".web", ".states", "tools", "var", "node_modules", "__pycache__", "*.egg-info",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "test-artifacts", ".env",
)  # fmt: skip
OPERATOR_EMAIL = "operator@platform.example"
START_TIMEOUT = 600  # seconds: the first prod build compiles and bundles the whole frontend


@dataclass
class RunningApp:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    database_url: str

    def stop(self) -> None:
        """End the whole process group (reflex, granian workers, the frontend server)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(*, port: int, database_url: str, storage_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The test process's own settings (conftest) must not leak into the app.
    for key in list(env):
        if key.startswith("PORTAL_") or key == "__REFLEX_SKIP_COMPILE":
            env.pop(key)
    bun_bin = ROOT / "tools" / "bun" / "node_modules" / ".bin"
    env["PATH"] = os.pathsep.join([str(bun_bin), str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        {
            "PORTAL_ENV": "test",
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_STORAGE_DIR": str(storage_dir),
            "PORTAL_PUBLIC_BASE_URL": f"http://localhost:{port}",
            "PORTAL_OPERATOR_EMAILS": json.dumps([OPERATOR_EMAIL]),
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    npm = shutil.which("npm", path=env["PATH"])
    if npm and "NPM_CONFIG_REGISTRY" not in env:
        registry = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True).stdout
        if registry.strip():
            env["NPM_CONFIG_REGISTRY"] = registry.strip()
    return env


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  loopback only
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(workdir: Path, *, database_url: str | None = None) -> RunningApp:
    """Start the app; with ``database_url`` it uses that database as it is (no migration, no seed)."""
    project = workdir / "project"
    shutil.copytree(ROOT, project, ignore=COPY_IGNORED)
    port = free_port()
    prepare = database_url is None
    database_url = database_url or f"sqlite:///{workdir / 'e2e.db'}"
    env = app_env(port=port, database_url=database_url, storage_dir=workdir / "private")
    for command in ("migrate", "seed") if prepare else ():
        subprocess.run(
            [sys.executable, "-m", "portal_app.manage", command],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    log_path = workdir / "reflex.log"
    reflex = Path(sys.executable).with_name("reflex")
    command = [
        str(reflex) if reflex.exists() else sys.executable,
        *([] if reflex.exists() else ["-m", "reflex"]),
    ]
    command += ["run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)]
    command += ["--backend-host", "127.0.0.1"]
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
    app = RunningApp(f"http://localhost:{port}", process, log_path, database_url)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"reflex exited with {process.returncode}:\n{log_path.read_text()[-4000:]}"
                )
            if _answers(f"{app.base_url}/api/health") and _answers(f"{app.base_url}/app"):
                return app
            time.sleep(1)
        raise RuntimeError(f"app did not answer within {START_TIMEOUT}s:\n{log_path.read_text()[-4000:]}")
    except BaseException:
        app.stop()
        raise


if __name__ == "__main__":
    import tempfile

    running = start(Path(tempfile.mkdtemp(prefix="portal-e2e-")))
    print(f"{running.base_url}  (log: {running.log_path})", flush=True)
    try:
        running.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()

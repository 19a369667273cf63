"""The desktop launcher's folders and settings file: private folders, a settings file that survives damage, and one
canonical form of the server address."""

from __future__ import annotations

import ast
import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal_app.desktop import config
from portal_app.desktop.config import DesktopConfig, Geometry, Paths, load, normalise_server, save

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are a Linux matter")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- paths ------------------------------------------------------------------------------------------------------


def test_home_variable_puts_everything_under_one_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_DESKTOP_HOME", str(tmp_path / "portable"))
    paths = Paths.default()
    home = tmp_path / "portable"
    assert paths == Paths(
        config_file=home / "config" / "desktop.json",
        data_dir=home / "data",
        profile_dir=home / "profile",
        runtime_dir=home / "runtime",
        log_file=home / "logs" / "desktop.log",
    )


def test_home_variable_relative_path_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTAL_DESKTOP_HOME", "here")
    assert Paths.default().data_dir == tmp_path / "here" / "data"


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PORTAL_DESKTOP_HOME", raising=False)
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


@linux_only
def test_default_paths_follow_the_platform(xdg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = xdg / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    os.chmod(runtime, 0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    paths = Paths.default()
    assert paths.config_file == xdg / "config" / "customer-portal" / "desktop.json"
    assert paths.data_dir == xdg / "data" / "customer-portal" / "local"
    assert paths.profile_dir == xdg / "data" / "customer-portal" / "webview"
    assert paths.runtime_dir == runtime / "customer-portal"
    assert paths.log_file.name == "desktop.log"
    assert paths.log_file.is_relative_to(xdg / "state" / "customer-portal")


@linux_only
@pytest.mark.parametrize("problem", ["unset", "missing", "shared", "relative"])
def test_runtime_folder_falls_back_to_the_data_folder(
    xdg: Path, monkeypatch: pytest.MonkeyPatch, problem: str
) -> None:
    runtime = xdg / "xdg-runtime"
    if problem == "unset":
        monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    elif problem == "missing":
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    elif problem == "shared":
        runtime.mkdir()
        os.chmod(runtime, 0o777)  # noqa: S103 (the unsafe folder under test)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    else:
        monkeypatch.setenv("XDG_RUNTIME_DIR", "relative/run")
    assert Paths.default().runtime_dir == xdg / "data" / "customer-portal" / "run"


def test_ensure_creates_private_folders(tmp_path: Path) -> None:
    paths = Paths.under(tmp_path / "home")
    assert paths.ensure() is paths
    for directory in paths.directories():
        assert directory.is_dir()
        if os.name == "posix":
            assert mode_of(directory) == 0o700
    assert not paths.config_file.exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_ensure_tightens_existing_folders(tmp_path: Path) -> None:
    paths = Paths.under(tmp_path)
    paths.profile_dir.mkdir()
    os.chmod(paths.profile_dir, 0o755)  # noqa: S103 (too open on purpose: ensure() must tighten it)
    paths.ensure()
    assert mode_of(paths.profile_dir) == 0o700


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0, reason="needs root to give a folder to another user"
)
def test_ensure_refuses_a_folder_of_another_user(tmp_path: Path) -> None:
    paths = Paths.under(tmp_path)
    paths.runtime_dir.mkdir()
    os.chown(paths.runtime_dir, 54321, 54321)
    with pytest.raises(PermissionError):
        paths.ensure()


# -- geometry ---------------------------------------------------------------------------------------------------


def test_geometry_defaults_centre_a_1280_by_800_window() -> None:
    assert Geometry() == Geometry(x=None, y=None, width=1280, height=800, maximized=False)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"width": 100, "height": 100}, (640, 480)),
        ({"width": 100000, "height": 100000}, (7680, 4320)),
        ({"width": 640, "height": 480}, (640, 480)),
        ({"width": 7680, "height": 4320}, (7680, 4320)),
        ({"width": -5, "height": 0}, (640, 480)),
        ({"width": 1000, "height": 700}, (1000, 700)),
    ],
)
def test_geometry_clamps_the_size(given: dict[str, int], expected: tuple[int, int]) -> None:
    geometry = Geometry(width=given["width"], height=given["height"])
    assert (geometry.width, geometry.height) == expected


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (10, 20, (10, 20)),
        (-1920, 0, (-1920, 0)),
        (20000, -20000, (20000, -20000)),
        (20001, 0, (None, None)),
        (0, -20001, (None, None)),
        (10, None, (None, None)),
        (None, 10, (None, None)),
    ],
)
def test_geometry_keeps_a_plausible_position_only(x: int | None, y: int | None, expected: tuple) -> None:
    geometry = Geometry(x=x, y=y)
    assert (geometry.x, geometry.y) == expected


def test_geometry_clamped_is_the_checked_constructor() -> None:
    assert Geometry.clamped(x=5, y=6, width=1, height=99999) == Geometry(x=5, y=6, width=640, height=4320)
    assert Geometry.clamped(x=5, y=6, width=900, height=700, maximized=True).maximized is True


# -- settings object --------------------------------------------------------------------------------------------


def test_config_assignments_are_checked() -> None:
    cfg = DesktopConfig()
    assert cfg.needs_setup
    cfg.mode = "local"
    assert not cfg.needs_setup
    cfg.mode = "connected"
    assert cfg.needs_setup  # no server yet
    cfg.server = "HTTPS://Portal.Example.com/"
    assert cfg.server == "https://portal.example.com"
    assert not cfg.needs_setup
    with pytest.raises(ValueError):
        cfg.mode = "remote"  # type: ignore[assignment]
    with pytest.raises(ValueError):
        cfg.server = "ftp://portal.example.com"
    with pytest.raises(TypeError):
        cfg.geometry = {"width": 10}  # type: ignore[assignment]
    assert (cfg.mode, cfg.server) == ("connected", "https://portal.example.com")
    cfg.server = ""
    assert cfg.server == ""
    with pytest.raises(ValueError):
        DesktopConfig(mode="cloud")  # type: ignore[arg-type]


# -- settings file ----------------------------------------------------------------------------------------------


def test_missing_file_gives_defaults_without_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert load(tmp_path / "nope.json") == DesktopConfig()
    assert caplog.records == []


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings" / "desktop.json"
    cfg = DesktopConfig(
        mode="connected",
        server="https://portal.example.com:8443/team",
        geometry=Geometry(x=-100, y=40, width=1500, height=900, maximized=True),
    )
    save(path, cfg)
    assert load(path) == cfg
    data = json.loads(path.read_text())
    assert data == {
        "version": 1,
        "mode": "connected",
        "server": "https://portal.example.com:8443/team",
        "geometry": {"x": -100, "y": 40, "width": 1500, "height": 900, "maximized": True},
    }


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_save_is_private_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "desktop.json"
    save(path, DesktopConfig(mode="local"))
    assert mode_of(path.parent) == 0o700
    assert mode_of(path) == 0o600
    os.chmod(path, 0o644)
    inode = os.stat(path).st_ino
    save(path, DesktopConfig(mode="connected", server="https://a.example"))
    assert mode_of(path) == 0o600
    assert os.stat(path).st_ino != inode  # replaced by rename, not rewritten in place
    assert sorted(p.name for p in path.parent.iterdir()) == ["desktop.json"]
    assert load(path).server == "https://a.example"


def test_failed_save_keeps_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "desktop.json"
    target.mkdir()  # os.replace cannot put a file over a folder
    (target / "keep").write_text("x")
    with pytest.raises(OSError):
        save(target, DesktopConfig(mode="local"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desktop.json"]
    assert (target / "keep").read_text() == "x"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'"local"',
        b"null",
        b"[" * 100000 + b"]" * 100000,
        b'{"mode": ' + b" " * config.MAX_CONFIG_BYTES + b'"local"}',
    ],
    ids=["empty", "truncated", "not-utf8", "array", "string", "null", "deep", "too-large"],
)
def test_damaged_file_gives_defaults_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    path = tmp_path / "desktop.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="portal_app.desktop.config"):
        assert load(path) == DesktopConfig()
    assert len(caplog.records) == 1


def test_unreadable_file_gives_defaults(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "desktop.json"
    path.mkdir()
    with caplog.at_level(logging.WARNING, logger="portal_app.desktop.config"):
        assert load(path) == DesktopConfig()
    assert "Cannot read" in caplog.text


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("data", "expected", "warnings"),
    [
        ({"mode": "cloud", "server": "https://a.example"}, DesktopConfig(server="https://a.example"), 1),
        ({"mode": 1}, DesktopConfig(), 1),
        ({"mode": "local", "server": 42}, DesktopConfig(mode="local"), 1),
        ({"mode": "connected", "server": "http://portal.example.com"}, DesktopConfig(mode="connected"), 1),
        ({"mode": "connected", "server": "https://u:p@a.example"}, DesktopConfig(mode="connected"), 1),
        ({"mode": "local", "geometry": [1, 2]}, DesktopConfig(mode="local"), 1),
        (
            {
                "mode": "local",
                "geometry": {"x": "10", "y": 20, "width": 900.5, "height": 700, "maximized": "yes"},
            },
            DesktopConfig(mode="local", geometry=Geometry(height=700)),
            3,
        ),
        (
            {"geometry": {"x": 1, "y": 2, "width": True, "height": None}},
            DesktopConfig(geometry=Geometry(x=1, y=2)),
            2,
        ),
        (
            {"geometry": {"x": 99999, "y": 2, "width": 99999, "height": 1}},
            DesktopConfig(geometry=Geometry(width=7680, height=480)),
            0,
        ),
        ({"mode": None, "server": "", "unknown": {"future": True}, "version": 7}, DesktopConfig(), 0),
        (
            {"mode": "local", "server": " HTTPS://A.Example/ "},
            DesktopConfig(mode="local", server="https://a.example"),
            0,
        ),
    ],
)
def test_wrong_fields_fall_back_one_by_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, data: object, expected: DesktopConfig, warnings: int
) -> None:
    path = write_json(tmp_path / "desktop.json", data)
    with caplog.at_level(logging.WARNING, logger="portal_app.desktop.config"):
        assert load(path) == expected
    assert len(caplog.records) == warnings


def test_warnings_do_not_repeat_a_password_from_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_json(tmp_path / "desktop.json", {"server": "https://user:hunter2@a.example"})
    with caplog.at_level(logging.WARNING):
        load(path)
    assert "hunter2" not in caplog.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
settings_like = st.fixed_dictionaries(
    {},
    optional={
        "mode": st.sampled_from(["local", "connected", None, "x", 3]),
        "server": st.sampled_from(["", "https://a.example", "http://127.0.0.1:8000", "nope://", 5, None])
        | st.text(max_size=40),
        "geometry": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                k: st.integers(-(10**6), 10**6) | json_values
                for k in ("x", "y", "width", "height", "maximized")
            },
        ),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=json_values | settings_like)
def test_load_never_raises_and_gives_a_valid_config(tmp_path: Path, data: object) -> None:
    path = write_json(tmp_path / "desktop.json", data)
    cfg = load(path)
    assert cfg.mode in (None, "local", "connected")
    assert cfg.server == "" or normalise_server(cfg.server) == cfg.server
    g = cfg.geometry
    assert 640 <= g.width <= 7680 and 480 <= g.height <= 4320
    assert (g.x is None) == (g.y is None)
    save(path, cfg)
    assert load(path) == cfg


# -- server address ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://portal.example.com", "https://portal.example.com"),
        ("https://portal.example.com/", "https://portal.example.com"),
        ("  HTTPS://Portal.EXAMPLE.com///  ", "https://portal.example.com"),
        ("portal.example.com", "https://portal.example.com"),
        ("portal.example.com:8443", "https://portal.example.com:8443"),
        ("https://portal.example.com:443/", "https://portal.example.com"),
        ("https://portal.example.com/team/", "https://portal.example.com/team"),
        ("https://10.0.0.5:8443", "https://10.0.0.5:8443"),
        ("https://[2001:DB8::1]/", "https://[2001:db8::1]"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
        ("http://127.8.9.10", "http://127.8.9.10"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("HTTP://LOCALHOST:80/", "http://localhost"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://intranet_host.corp", "https://intranet_host.corp"),
    ],
)
def test_normalise_server(given: str, expected: str) -> None:
    assert normalise_server(given) == expected
    assert normalise_server(expected) == expected


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("", "Enter the portal's address"),
        ("   ", "Enter the portal's address"),
        ("ftp://portal.example.com", "https://"),
        ("javascript:alert(1)//x", "https://"),
        ("file:///etc/passwd", "https://"),
        ("http://portal.example.com", "http:// works only"),
        ("http://10.0.0.1", "http:// works only"),
        ("http://localhost.evil.example", "http:// works only"),
        ("https://user@portal.example.com", "user name or password"),
        ("https://user:secret@portal.example.com", "user name or password"),
        ("https://portal.example.com/?next=/x", "without ? or #"),
        ("https://portal.example.com/#top", "without ? or #"),
        ("https://portal.example.com?", "without ? or #"),
        ("https://portal .example.com", "spaces"),
        ("https://portal.example.com\\@evil.example", "special characters"),
        ("https://portal.example.com/\x00", "special characters"),
        ("https://portal.example.com/\u202e", "special characters"),
        ("https://portal.example.com:99999", "not valid"),
        ("https://portal.example.com:abc", "not valid"),
        ("https://portal.example.com:0", "port"),
        ("https://[::1", "not valid"),
        ("https://", "no server name"),
        ("https://-bad-.example", "server name"),
        ("https://a..example", "server name"),
        ("https://[fe80::1%25eth0]", "server name"),
        ("https://portal.example.com/a/../b", "path"),
        ("https://portal.example.com/a<b", "path"),
    ],
)
def test_normalise_server_refuses_with_a_readable_message(given: str, words: str) -> None:
    with pytest.raises(ValueError) as info:
        normalise_server(given)
    message = str(info.value)
    assert words in message
    assert message[0].isupper() and message.endswith(".")
    assert "secret" not in message


# -- the building blocks stay free of the window and of the app --------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
BUILDING_BLOCKS = ("config", "ports", "instance", "handoff", "notify")
ALLOWED_THIRD_PARTY = {"platformdirs", "jeepney"}
FORBIDDEN = (
    "webview",
    "qtpy",
    "PyQt6",
    "PySide6",
    "reflex",
    "portal_app.settings",
    "portal_app.db",
    "sqlmodel",
)


def test_building_blocks_import_only_the_standard_library_platformdirs_and_jeepney() -> None:
    for name in BUILDING_BLOCKS:
        tree = ast.parse((ROOT / "portal_app" / "desktop" / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                ours = module.startswith("portal_app.desktop.") and module.split(".")[2] in BUILDING_BLOCKS
                assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY or ours, (name, module)


def test_importing_the_building_blocks_loads_no_window_toolkit_nor_app() -> None:
    imports = "; ".join(f"import portal_app.desktop.{name}" for name in BUILDING_BLOCKS)
    code = f"import sys; {imports}; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(result.stdout.split())
    assert {m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)} == set()

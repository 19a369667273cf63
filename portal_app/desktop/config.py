"""Where the desktop launcher keeps its files, and its small settings file.

The settings file holds the chosen mode (``local``: this computer runs the portal; ``connected``: the window opens
a portal server), the server's address and the window's last position. ``load`` never raises: a damaged or
hand-edited file costs only the fields that are wrong, each replaced by its default with a warning in the log.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import re
import stat
import sys
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import platformdirs

log = logging.getLogger(__name__)

APP_NAME = "customer-portal"
HOME_ENV = "PORTAL_DESKTOP_HOME"
CONFIG_FILE_NAME = "desktop.json"
CONFIG_VERSION = 1
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
MAX_CONFIG_BYTES = 64 * 1024

Mode = Literal["local", "connected"]
MODES: tuple[Mode, ...] = ("local", "connected")

DEFAULT_WIDTH = 1280
DEFAULT_HEIGHT = 800
MIN_WIDTH, MAX_WIDTH = 640, 7680
MIN_HEIGHT, MAX_HEIGHT = 480, 4320
MAX_OFFSET = 20000


# -- paths ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    """The launcher's files and folders. All folders are private to the user (mode 0700)."""

    config_file: Path  # the settings file (mode, server, window geometry)
    data_dir: Path  # local mode: the database and stored files
    profile_dir: Path  # the web view's profile: cookies (the session) and HTTP cache
    runtime_dir: Path  # the single-instance lock and its address file
    log_file: Path

    @classmethod
    def default(cls) -> Paths:
        """The platform's usual folders, or subfolders of ``$PORTAL_DESKTOP_HOME`` when that is set."""
        home = os.environ.get(HOME_ENV, "").strip()
        if home:
            return cls.under(Path(home).expanduser().absolute())
        data_root = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        return cls(
            config_file=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE_NAME,
            data_dir=data_root / "local",
            # Not the cache folder: the profile holds the session cookie, and cache cleaners would sign the user out.
            profile_dir=data_root / "webview",
            runtime_dir=_runtime_dir(fallback=data_root / "run"),
            log_file=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)) / "desktop.log",
        )

    @classmethod
    def under(cls, home: Path) -> Paths:
        """Everything below one folder (portable installs and tests)."""
        return cls(
            config_file=home / "config" / CONFIG_FILE_NAME,
            data_dir=home / "data",
            profile_dir=home / "profile",
            runtime_dir=home / "runtime",
            log_file=home / "logs" / "desktop.log",
        )

    def directories(self) -> tuple[Path, ...]:
        return (
            self.config_file.parent,
            self.data_dir,
            self.profile_dir,
            self.runtime_dir,
            self.log_file.parent,
        )

    def ensure(self) -> Paths:
        """Create the folders with mode 0700 and tighten existing ones; returns ``self``.

        Raises ``PermissionError`` when a folder belongs to another user (POSIX), ``OSError`` when it cannot be made.
        """
        for directory in dict.fromkeys(self.directories()):
            directory.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
            if os.name != "posix":
                continue
            info = os.stat(directory)
            if info.st_uid != os.geteuid():
                raise PermissionError(f"{directory} belongs to another user")
            if stat.S_IMODE(info.st_mode) != PRIVATE_DIR_MODE:
                os.chmod(directory, PRIVATE_DIR_MODE)
        return self


def _runtime_dir(*, fallback: Path) -> Path:
    """platformdirs' runtime folder where it is a real per-user one, else ``fallback``.

    On Linux that needs ``$XDG_RUNTIME_DIR`` to be a private folder of this user; without it platformdirs would pick
    a shared temporary folder, and the lock is better kept in the user's own data folder then.
    """
    if sys.platform in ("win32", "darwin"):
        candidate = _platform_runtime_dir()
        return candidate if candidate is not None else fallback
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if not xdg or not os.path.isabs(xdg) or not _is_private_dir(Path(xdg)):
        return fallback
    candidate = _platform_runtime_dir()
    if candidate is None or not candidate.is_relative_to(xdg):
        return fallback
    return candidate


def _platform_runtime_dir() -> Path | None:
    with warnings.catch_warnings():
        # platformdirs warns when it falls back; this falls back on its own terms.
        warnings.simplefilter("ignore")
        try:
            return Path(platformdirs.user_runtime_dir(APP_NAME, appauthor=False))
        except OSError:
            return None


def _is_private_dir(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and stat.S_IMODE(info.st_mode) & 0o077 == 0
        and os.access(path, os.W_OK | os.X_OK)
    )


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, mode 0600: a reader sees the old file or the new one, never half.

    The temporary file sits in the same folder (``os.replace`` is atomic only within one file system) and is removed
    again if anything fails.
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            if os.name == "posix":
                os.fchmod(fh.fileno(), PRIVATE_FILE_MODE)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    if os.name == "posix":  # make the rename itself durable; not possible (nor needed) on Windows
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


# -- window geometry --------------------------------------------------------------------------------------------


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, int(value)))


@dataclass(frozen=True)
class Geometry:
    """The window's last position and size. Values are made sane on creation (sizes clamped; a position far off
    any screen, or only half a position, is dropped); no x/y means "centre the window"."""

    x: int | None = None
    y: int | None = None
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    maximized: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", _clamp(self.width, MIN_WIDTH, MAX_WIDTH))
        object.__setattr__(self, "height", _clamp(self.height, MIN_HEIGHT, MAX_HEIGHT))
        object.__setattr__(self, "maximized", bool(self.maximized))
        x, y = self.x, self.y
        if x is None or y is None or abs(int(x)) > MAX_OFFSET or abs(int(y)) > MAX_OFFSET:
            x = y = None
        object.__setattr__(self, "x", None if x is None else int(x))
        object.__setattr__(self, "y", None if y is None else int(y))

    @classmethod
    def clamped(
        cls, *, x: int | None, y: int | None, width: int, height: int, maximized: bool = False
    ) -> Geometry:
        """The same as the constructor (which already clamps), spelled out for code that stores a window's values."""
        return cls(x=x, y=y, width=width, height=height, maximized=maximized)

    def to_json(self) -> dict[str, Any]:
        return {
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "height": self.height,
            "maximized": self.maximized,
        }


# -- server address ---------------------------------------------------------------------------------------------

_PATH_CHARS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*")
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_DEFAULT_PORTS = {"https": 443, "http": 80}
_EXAMPLE = "for example https://portal.example.com"


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _normalise_host(host: str) -> str:
    if "%" in host:
        raise ValueError("The server name in the address is not valid.")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError("The server name in the address is not valid.") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ValueError("The server name in the address is not valid.")
    return ascii_host


def normalise_server(url: str) -> str:
    """The portal server's address in one canonical form: ``https://host[:port][/path]``, no trailing slash.

    A missing scheme means https. http:// is accepted only for this computer (localhost, 127.0.0.1, ::1), for
    development. Raises ``ValueError`` with a message that can be shown to the user as it is.
    """
    text = url.strip()
    if not text:
        raise ValueError(f"Enter the portal's address, {_EXAMPLE}.")
    if "\\" in text or any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise ValueError("The address must not contain spaces or special characters.")
    if "://" not in text:
        text = "https://" + text
    if "?" in text or "#" in text:
        raise ValueError(f"Enter only the portal's address, without ? or # parts, {_EXAMPLE}.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"The address is not valid; {_EXAMPLE}.") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"The address must start with https://, {_EXAMPLE}.")
    if "@" in parts.netloc:
        raise ValueError("The address must not contain a user name or password.")
    if not parts.hostname:
        raise ValueError(f"The address has no server name; {_EXAMPLE}.")
    host = _normalise_host(parts.hostname)
    if scheme == "http" and not _is_loopback_host(host):
        raise ValueError("Use an https:// address; http:// works only for a portal on this computer.")
    if port == 0:
        raise ValueError("The port in the address is not valid.")
    path = parts.path.rstrip("/")
    if not _PATH_CHARS.fullmatch(path) or any(segment in (".", "..") for segment in path.split("/")):
        raise ValueError(f"The path in the address is not valid; {_EXAMPLE}.")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{path}"


# -- settings file ----------------------------------------------------------------------------------------------


@dataclass
class DesktopConfig:
    """The launcher's settings. ``mode`` None means the user has not chosen yet. ``server`` is "" or a normalised
    address (kept in local mode too, so switching back does not ask again).

    Fields may be assigned, and every assignment is checked: an unknown mode raises ValueError, a server address
    is normalised (ValueError with a user-safe message if it is not valid), a geometry must be a ``Geometry``.
    """

    mode: Mode | None = None
    server: str = ""
    geometry: Geometry = field(default_factory=Geometry)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "mode" and value is not None and value not in MODES:
            raise ValueError(f"Unknown mode {value!r}")
        if name == "server":
            if not isinstance(value, str):
                raise TypeError("server must be a string")
            value = normalise_server(value) if value else ""
        if name == "geometry" and not isinstance(value, Geometry):
            raise TypeError("geometry must be a Geometry")
        super().__setattr__(name, value)

    @property
    def needs_setup(self) -> bool:
        """True until a mode is chosen, and in connected mode until a server address is known."""
        return self.mode is None or (self.mode == "connected" and not self.server)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": CONFIG_VERSION,
            "mode": self.mode,
            "server": self.server,
            "geometry": self.geometry.to_json(),
        }


def load(path: Path) -> DesktopConfig:
    """The settings in ``path``; defaults for whatever is missing or wrong. Never raises."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return DesktopConfig()
    except OSError as exc:
        log.warning("Cannot read the desktop settings %s (%s); using the defaults", path, exc.strerror or exc)
        return DesktopConfig()
    if len(raw) > MAX_CONFIG_BYTES:
        log.warning("The desktop settings %s are too large; using the defaults", path)
        return DesktopConfig()
    try:
        data: object = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        log.warning("The desktop settings %s are not valid JSON; using the defaults", path)
        return DesktopConfig()
    if not isinstance(data, dict):
        log.warning("The desktop settings %s are not a JSON object; using the defaults", path)
        return DesktopConfig()
    settings = cast(dict[str, object], data)

    mode = settings.get("mode")
    if mode is not None and mode not in MODES:
        log.warning("The desktop settings have an unknown mode; asking again")
        mode = None

    server = settings.get("server", "")
    if not isinstance(server, str):
        log.warning("The desktop settings' server address is not text; ignoring it")
        server = ""
    elif server:
        try:
            server = normalise_server(server)
        except ValueError:
            log.warning("The desktop settings' server address is not valid; ignoring it")
            server = ""

    return DesktopConfig(mode=mode, server=server, geometry=_load_geometry(settings))


def _load_geometry(settings: dict[str, object]) -> Geometry:
    value = settings.get("geometry")
    if value is None:
        return Geometry()
    if not isinstance(value, dict):
        log.warning("The desktop settings' window geometry is not an object; using the default")
        return Geometry()
    raw = cast(dict[str, object], value)
    defaults = Geometry()
    fields: dict[str, Any] = {}
    for name in ("x", "y", "width", "height"):
        item = raw.get(name, getattr(defaults, name))
        nullable = name in ("x", "y")
        if (item is None and nullable) or (type(item) is int):
            fields[name] = item
        else:
            log.warning("The desktop settings' window %s is not a whole number; using the default", name)
            fields[name] = getattr(defaults, name)
    maximized = raw.get("maximized", False)
    if type(maximized) is not bool:
        log.warning("The desktop settings' window maximized flag is not true/false; using the default")
        maximized = False
    return Geometry(maximized=maximized, **fields)


def save(path: Path, cfg: DesktopConfig) -> None:
    """Write the settings atomically with mode 0600, creating the folder (0700) if needed. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    text = json.dumps(cfg.to_json(), indent=2, sort_keys=True) + "\n"
    write_private(path, text.encode("utf-8"))

"""Print the project's whole Python dependency tree, pinned to the versions installed in this environment.

Walks the installed distributions' metadata from the project's own requirements (with its ``dev`` extra) down,
evaluating environment markers and extras, so the output holds exactly what ``pip install -e '.[dev]'`` needs
here, at the versions installed and tested. The project itself is left out. Used by scripts/lock.sh.
"""

from __future__ import annotations

import importlib.metadata as metadata
import platform
import sys

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "customer-portal"
EXTRAS = frozenset({"dev"})


def dependency_tree(project: str, extras: frozenset[str]) -> list[metadata.Distribution]:
    installed: dict[str, metadata.Distribution] = {}
    for candidate in metadata.distributions():  # the first one on sys.path wins, as for imports
        installed.setdefault(canonicalize_name(candidate.metadata["Name"]), candidate)

    needed: dict[str, set[str]] = {}  # name -> extras asked for
    missing: list[str] = []
    pending = [(project, extras, "")]
    while pending:
        name, wanted, parent = pending.pop()
        key = canonicalize_name(name)
        if key in needed and wanted <= needed[key]:
            continue
        dist = installed.get(key)
        if dist is None:
            missing.append(f"{name} (needed by {parent or 'the project'})")
            continue
        needed[key] = needed.get(key, set()) | set(wanted)
        for line in dist.requires or ():
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in needed[key] or {""}):
                pending.append((req.name, frozenset(req.extras), key))
    if missing:
        sys.exit("not installed: " + ", ".join(sorted(set(missing))))
    return [installed[key] for key in sorted(needed) if key != canonicalize_name(project)]


def main() -> None:
    python = ".".join(platform.python_version_tuple()[:2])
    print(
        "# The whole Python dependency tree of customer-portal[dev], pinned. Written by `make lock`"
        " (scripts/lock.sh);\n"
        "# do not edit. make run and make test install with it: pip install -c requirements.lock -e '.[dev]'.\n"
        f"# Resolved with Python {python} on {platform.system()}."
    )
    for dist in dependency_tree(PROJECT, EXTRAS):
        print(f"{dist.metadata['Name']}=={dist.version}")


if __name__ == "__main__":
    main()

"""Is requirements-dev.lock up to date with pyproject.toml? `make install` asks before it
installs: every dependency pyproject.toml names (the dev extra too) must be pinned in the
lock at a version its specifier allows. If not, say to run `make lock`, and fail.

Run with the virtualenv's Python: it reads specifiers with pip's own copy of `packaging`.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pinned(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def main(root: Path = ROOT) -> int:
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    lock = root / "requirements-dev.lock"
    if not lock.exists():
        print(f"{lock.name} is missing: run `make lock`.", file=sys.stderr)
        return 1
    pins = pinned(lock)
    stale = []
    for line in wanted:
        requirement = Requirement(line)
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{line} (locked: {version or 'absent'})")
    if stale:
        print(
            f"{lock.name} does not match pyproject.toml; run `make lock` and commit both lock "
            "files:\n  " + "\n  ".join(stale),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT))

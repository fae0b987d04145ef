"""`make audit`: known advisories against the pinned dependencies (requirements-dev.lock,
which holds the runtime lock's pins too), with pip-audit.

pip-audit asks an advisory source over the network: PyPI's per-release JSON API (its
default) or OSV. Where neither answers, this says so and exits 2 instead of hanging or, worse,
passing: pip-audit treats a 404 from PyPI as "not on PyPI" and skips the package, so a
mirror that serves packages but not that API would otherwise look like a clean audit.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements-dev.lock"
PROBE_TIMEOUT_S = 10
AUDIT_TIMEOUT_S = 600
SOURCES = ("pypi", "osv")


def probe_package() -> tuple[str, str]:
    match = re.search(r"^django==(\S+)", LOCK.read_text(), re.MULTILINE | re.IGNORECASE)
    return ("django", match[1]) if match else ("pip", "24.0")


def answers(source: str) -> tuple[bool, str]:
    """Does `source` answer an advisory question as pip-audit will ask it? Asked through
    pip-audit's own service, so the address is the one pip-audit uses."""
    from packaging.version import Version
    from pip_audit._service import OsvService, PyPIService
    from pip_audit._service.interface import ResolvedDependency, ServiceError

    name, version = probe_package()
    service: OsvService | PyPIService
    if source == "pypi":
        service = PyPIService(timeout=PROBE_TIMEOUT_S)
        where = "PyPI's per-release JSON API"
    else:
        url = os.environ.get("PIP_AUDIT_OSV_URL") or OsvService.DEFAULT_OSV_URL
        service = OsvService(timeout=PROBE_TIMEOUT_S, osv_url=url)
        where = f"OSV at {url}"
    try:
        answer, _ = service.query(ResolvedDependency(name=name, version=Version(version)))
    except (ServiceError, ConnectionError, OSError, ValueError) as exc:
        return False, f"{where} did not answer ({exc.__class__.__name__}: {exc})"
    if answer.is_skipped():
        return False, f"{where} does not know {name} {version}: it would skip every package"
    return True, where


def main() -> int:
    if not LOCK.exists():
        print(f"{LOCK.name} is missing: run `make lock` first.", file=sys.stderr)
        return 1
    wanted = os.environ.get("AUDIT_SOURCE", "")
    tried = []
    for source in (wanted,) if wanted else SOURCES:
        ok, detail = answers(source)
        tried.append(f"  {source}: {detail}")
        if not ok:
            continue
        print(f"Auditing {LOCK.name} against {source} ({detail}).", flush=True)
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "--requirement",
            str(LOCK),
            "--require-hashes",
            "--disable-pip",
            "--vulnerability-service",
            source,
            "--timeout",
            "30",
            "--progress-spinner",
            "off",
            "--strict",
        ]
        try:
            return subprocess.run(command, cwd=ROOT, timeout=AUDIT_TIMEOUT_S).returncode
        except subprocess.TimeoutExpired:
            print(f"pip-audit did not finish in {AUDIT_TIMEOUT_S} s; stopped.", file=sys.stderr)
            return 2
    print(
        "No advisory check was run: pip-audit's advisory sources do not answer from here.\n"
        + "\n".join(tried)
        + "\nRun `make audit` where PyPI's per-release JSON API or OSV is reachable; "
        "AUDIT_SOURCE=pypi or osv picks one, PIP_AUDIT_OSV_URL another OSV.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())

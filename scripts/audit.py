"""`make audit`: known advisories against the pinned dependencies (requirements-dev.lock,
which holds the runtime lock's pins too), with pip-audit.

pip-audit asks an advisory source over the network: PyPI's per-release JSON API (its
default) or OSV. Where neither answers, this says so and exits 2 instead of hanging or, worse,
passing: pip-audit treats a 404 from PyPI as "not on PyPI" and skips the package, so a
mirror that serves packages but not that API would otherwise look like a clean audit.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
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
    """Does `source` answer an advisory question as pip-audit will ask it?"""
    name, version = probe_package()
    if source == "pypi":
        url = f"https://pypi.org/pypi/{name}/{version}/json"
        request = urllib.request.Request(url)
    else:
        url = os.environ.get("PIP_AUDIT_OSV_URL", "https://api.osv.dev/v1/query")
        body = {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S) as response:
            json.load(response)
    except urllib.error.HTTPError as exc:
        return False, f"{url} answered {exc.code}"
    except (OSError, ValueError) as exc:
        return False, f"{url} did not answer ({exc.__class__.__name__}: {exc})"
    return True, url


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
        + "\nRun `make audit` where PyPI's JSON API (pypi.org/pypi/<name>/<version>/json) "
        "or OSV (api.osv.dev) is reachable; AUDIT_SOURCE=pypi or osv picks one.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())

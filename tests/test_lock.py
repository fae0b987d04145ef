"""The lock files (issue 16): every package pinned with hashes, `make install` installing
them and noticing when they change, and refusing a pyproject.toml the lock does not cover."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements.lock", "requirements-dev.lock")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    return {n.lower(): v for n, v in PIN.findall((ROOT / name).read_text())}


def check_lock(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_lock.py"), str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )


class LockFileTests(unittest.TestCase):
    def test_every_locked_package_is_pinned_with_a_hash(self) -> None:
        for name in LOCKS:
            entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / name).read_text().split("\n", 2)[2])
            self.assertGreater(len(entries), 10, name)
            for entry in entries:
                if entry.strip() and not entry.startswith("#"):
                    self.assertRegex(entry, r"^[A-Za-z0-9._-]+==\S+", name)
                    self.assertIn("--hash=sha256:", entry, f"{name}: {entry.splitlines()[0]}")

    def test_the_runtime_lock_pins_the_same_versions_as_the_dev_lock(self) -> None:
        runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
        self.assertIn("django", runtime)
        self.assertNotIn("pytest", runtime)
        self.assertEqual({n: dev.get(n) for n in runtime}, runtime)

    def test_the_lock_covers_pyproject(self) -> None:
        result = check_lock(ROOT)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_dependency_the_lock_does_not_pin_is_refused_with_make_lock_named(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            shutil.copy(ROOT / "requirements-dev.lock", root)
            text = (ROOT / "pyproject.toml").read_text()
            text = text.replace(
                "dependencies = [\n", 'dependencies = [\n    "nowhere-pkg>=1.0",\n', 1
            )
            (root / "pyproject.toml").write_text(text)
            result = check_lock(root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("run `make lock`", result.stderr)
        self.assertIn("nowhere-pkg>=1.0 (locked: absent)", result.stderr)

    def test_make_install_reinstalls_from_the_lock_when_the_lock_changes(self) -> None:
        if shutil.which("make") is None:
            self.skipTest("make is not installed")
        result = subprocess.run(
            ["make", "-n", "-W", "requirements-dev.lock", "install"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("scripts/check_lock.py", result.stdout)
        self.assertIn("--require-hashes -r requirements-dev.lock", result.stdout)
        self.assertIn("--no-deps", result.stdout)

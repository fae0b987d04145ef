"""`make audit` (scripts/audit.py, issue 16): pip-audit over the lock against an advisory
source; where none answers, a message and exit 2 at once. A small OSV stand-in on the
loopback plays the source."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ADVISORY = {
    "id": "PYSEC-0000-TEST",
    "summary": "A made-up advisory for the test.",
    "affected": [
        {
            "package": {"name": "django", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}],
        }
    ],
}


def osv_stand_in(advise_django: bool) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            is_django = query["package"]["name"] == "django"
            body = json.dumps({"vulns": [ADVISORY]} if advise_django and is_django else {})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def audit(osv_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDIT_SOURCE": "osv", "PIP_AUDIT_OSV_URL": osv_url}
    return subprocess.run(
        [sys.executable, "scripts/audit.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


class AuditTests(unittest.TestCase):
    def test_an_advisory_source_that_does_not_answer_gets_a_message_and_exit_2(self) -> None:
        result = audit(f"http://127.0.0.1:{free_port()}/v1/query")
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("No advisory check was run", result.stderr)
        self.assertIn("osv:", result.stderr)

    def test_an_advisory_for_a_locked_package_fails_the_audit_and_names_it(self) -> None:
        server = osv_stand_in(advise_django=True)
        try:
            result = audit(f"http://127.0.0.1:{server.server_port}/v1/query")
        finally:
            server.shutdown()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("PYSEC-0000-TEST", result.stdout)
        self.assertIn("django", result.stdout)

    def test_no_advisories_pass_the_audit(self) -> None:
        server = osv_stand_in(advise_django=False)
        try:
            result = audit(f"http://127.0.0.1:{server.server_port}/v1/query")
        finally:
            server.shutdown()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("No known vulnerabilities found", result.stdout + result.stderr)

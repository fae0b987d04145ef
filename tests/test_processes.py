"""The harness that starts the app's own processes survives a port taken between the moment
it was picked and the moment the server binds it: on a shared machine another process may
take it (CI once lost a front-server test class so)."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path
from unittest import mock

from django.test import SimpleTestCase

from tests import processes
from tests.services import require_service


class TakenPortTests(SimpleTestCase):
    def test_a_front_server_whose_port_was_taken_starts_on_others(self) -> None:
        require_service("nginx")
        with socket.socket() as holder, tempfile.TemporaryDirectory() as workdir:
            holder.bind(("0.0.0.0", processes.free_port()))
            holder.listen()
            taken = holder.getsockname()[1]
            picks = iter([taken])
            real = processes.free_port
            with mock.patch.object(processes, "free_port", lambda: next(picks, None) or real()):
                # Nothing needs to answer upstream: any answer over HTTPS means nginx is up.
                front = processes.nginx("127.0.0.1:9", {}, Path(workdir))
            try:
                self.assertTrue(front.process.running)
                self.assertNotIn(f":{taken}", front.base)
            finally:
                front.process.stop()

    def test_a_start_that_fails_for_another_reason_is_not_tried_again(self) -> None:
        starts = []

        def start() -> None:
            starts.append(1)
            raise AssertionError("nginx exited:\nunknown directive")

        with self.assertRaises(AssertionError):
            processes.start_on_free_ports(start)
        self.assertEqual(len(starts), 1)

    def test_free_ports_lie_outside_the_range_outgoing_connections_use(self) -> None:
        ephemeral = processes._ephemeral_ports()
        for _ in range(50):
            self.assertNotIn(processes.free_port(), ephemeral)

"""Twenty slow clients trickling uploads at one byte a second do not slow anyone else down:
nginx holds their bodies, so gunicorn's three sync workers stay free for pages."""

from __future__ import annotations

import pytest

from tests.frontserver.harness import FrontServerTestCase, SlowUploads, p95, page_latencies

pytestmark = [pytest.mark.services]

SLOW_CLIENTS = 20
MEASURE_S = 15.0


class SlowClientTests(FrontServerTestCase):
    def test_twenty_slow_uploads_leave_normal_pages_under_a_second_at_p95(self) -> None:
        attacker = self.session
        attacker.log_in("ada", "password-ada")
        reader = type(attacker)(self.front.base, cafile=self.front.certificate)
        reader.log_in("ada", "password-ada")
        upload = self.record_path() + "bounces/"
        with SlowUploads(attacker, upload, SLOW_CLIENTS):
            latencies = page_latencies(reader, "/", seconds=MEASURE_S)
        worst = p95(latencies)
        print(f"\n{len(latencies)} pages with {SLOW_CLIENTS} slow clients: p95 {worst:.3f} s")
        self.assertGreater(len(latencies), 20)
        self.assertLess(worst, 1.0, f"p95 {worst:.2f} s over {len(latencies)} pages")

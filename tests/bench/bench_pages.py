"""Page render times as ratios to a trivial authenticated page, measured in the same run.

Run with `make bench`. Absolute times on shared machines mean little; the ratio to the
peer page (the "password changed" page: login check, session, one small template) says
how much work a page does beyond the bare request cycle.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from songs import services
from tests.base import BaseTestCase, count_queries, make_song, upload_file

ROUNDS = 40


def timed(fetch: Callable[[], object]) -> float:
    start = time.perf_counter()
    fetch()
    return time.perf_counter() - start


class PageBenchmark(BaseTestCase):
    def test_each_page_renders_and_is_timed_against_a_trivial_page(self) -> None:
        for index in range(29):
            song = make_song(self.alice, self.cohort, title=f"Song {index}")
            self.started(["production", "recording", "mixing", "mastering"][index % 4], song)
        record = self.started("mixing")
        for _ in range(5):
            services.upload_bounce(record=record, uploaded_by=self.alice, upload=upload_file())
        self.client.force_login(self.alice)

        pages = {
            "peer: password changed page": "/accounts/password_change/done/",
            "student home (30 songs)": "/",
            "song page (5 bounces)": f"/songs/{self.song.pk}/",
            "stage record page (5 bounces)": f"/songs/{self.song.pk}/stages/mixing/",
        }
        samples: dict[str, list[float]] = {name: [] for name in pages}
        for url in pages.values():
            self.assertEqual(self.client.get(url).status_code, 200)
        # Interleave the pages so machine noise hits them alike.
        for _ in range(ROUNDS):
            for name, url in pages.items():
                samples[name].append(timed(lambda url=url: self.client.get(url)))

        peer = statistics.median(samples["peer: password changed page"])
        print(f"\nPage render, median of {ROUNDS} interleaved requests (Django test client)")
        print(f"{'page':<34}{'median ms':>10}{'x peer':>8}{'queries':>9}")
        for name, url in pages.items():
            median = statistics.median(samples[name])
            queries = count_queries(lambda url=url: self.client.get(url))
            print(f"{name:<34}{median * 1000:>10.2f}{median / peer:>8.1f}{queries:>9}")


class ProgressMatrixBenchmark(BaseTestCase):
    def test_a_300_student_matrix_and_export_are_timed_against_a_trivial_page(self) -> None:
        from coaching.models import Membership, Role
        from stages.models import StageRecord, Status
        from tests.base import make_user

        students = [make_user(f"student{i}") for i in range(300)]
        Membership.objects.bulk_create(
            Membership(user=s, cohort=self.cohort, role=Role.STUDENT) for s in students
        )
        for index, student in enumerate(students):
            song = make_song(student, self.cohort, title=f"Song {index}")
            StageRecord.objects.filter(song=song, stage__order__lte=index % 7).update(
                status=Status.APPROVED
            )
        self.client.force_login(self.frank)
        pages = {
            "peer: password changed page": "/accounts/password_change/done/",
            "progress matrix, 300 students": f"/cohorts/{self.cohort.pk}/progress/",
            "CSV export, 300 x 7 rows": f"/cohorts/{self.cohort.pk}/export.csv",
        }
        samples: dict[str, list[float]] = {name: [] for name in pages}

        def fetch(url: str) -> None:
            response = self.client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)

        for _ in range(10):
            for name, url in pages.items():
                samples[name].append(timed(lambda url=url: fetch(url)))
        peer = statistics.median(samples["peer: password changed page"])
        print("\nCohort pages, median of 10 interleaved requests")
        print(f"{'page':<34}{'median ms':>10}{'x peer':>8}{'queries':>9}")
        for name, url in pages.items():
            median = statistics.median(samples[name])
            queries = count_queries(lambda url=url: fetch(url))
            print(f"{name:<34}{median * 1000:>10.2f}{median / peer:>8.1f}{queries:>9}")

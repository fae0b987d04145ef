"""Virtual students and coaches for `make loadtest` (tests/load/run.py starts everything).

Each virtual user arrives logged in (a session made beforehand: password hashing is not
what this measures) and walks the main journeys. Every write the server accepted is
written down, so the run can check afterwards that none of them was lost.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

CAST = json.loads(Path(os.environ["STAGECOACH_LOAD_CAST"]).read_text())
WAV = Path(os.environ["STAGECOACH_LOAD_WAV"]).read_bytes()
ACCEPTED = open(os.environ["STAGECOACH_LOAD_ACCEPTED"], "a", buffering=1)  # noqa: SIM115
CSRF = "loadtestcsrfsecret0123456789abcd"  # 32 characters: the cookie and header match
_students = list(CAST["students"])
random.shuffle(_students)


def _login(user: HttpUser, session: str) -> None:
    user.client.cookies.set("sessionid", session)
    user.client.cookies.set("csrftoken", CSRF)
    user.client.headers.update({"X-CSRFToken": CSRF})


class Student(HttpUser):
    weight = 5
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.me = _students.pop() if _students else random.choice(CAST["students"])
        _login(self, self.me["session"])
        self.record = self.me["record_url"]

    @task(4)
    def board(self) -> None:
        self.client.get("/", name="student: board")

    @task(3)
    def song(self) -> None:
        self.client.get(self.me["song_url"], name="student: song page")

    @task(4)
    def stage(self) -> None:
        self.client.get(self.record, name="student: stage page")

    @task(2)
    def tick(self) -> None:
        action = random.choice(self.me["actions"])
        self.client.post(
            f"{self.record}actions/{action}/",
            {"done": random.choice(["on", ""])},
            headers={"HX-Request": "true"},
            name="student: tick",
        )

    @task(2)
    def journal(self) -> None:
        text = f"journal {uuid.uuid4().hex}"
        # Written down before sending: if the answer is lost but the save happened, the
        # database may hold this newer text, which is not a lost write.
        ACCEPTED.write(json.dumps({"attempt": text, "record": self.me["record_id"]}) + "\n")
        with self.client.post(
            f"{self.record}journal/",
            {"journal": text},
            headers={"HX-Request": "true"},
            name="student: journal",
            catch_response=True,
        ) as response:
            if response.status_code == 200 and "Saved" in response.text:
                ACCEPTED.write(json.dumps({"journal": text, "record": self.me["record_id"]}) + "\n")
                response.success()
            elif response.status_code == 200:
                response.failure("journal not saved")

    @task(1)
    def upload(self) -> None:
        key = str(uuid.uuid4())
        with self.client.post(
            f"{self.record}bounces/",
            data={"note": key, "request_key": key},
            files={"file": ("take.wav", WAV, "audio/wav")},
            headers={"HX-Request": "true"},
            name="student: upload",
            catch_response=True,
        ) as response:
            if response.status_code == 200 and "is uploaded" in response.text:
                ACCEPTED.write(json.dumps({"bounce": key}) + "\n")
                response.success()
            elif response.status_code == 200:
                response.failure("upload refused")

    @task(2)
    def bell(self) -> None:
        self.client.get("/notifications/bell/", headers={"HX-Request": "true"}, name="bell")


class Coach(HttpUser):
    weight = 1
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        _login(self, CAST["coach"]["session"])

    @task(3)
    def queue(self) -> None:
        self.client.get("/coach/queue/", name="coach: queue")

    @task(3)
    def review(self) -> None:
        self.client.get(random.choice(CAST["review_urls"]), name="coach: review page")

    @task(1)
    def matrix(self) -> None:
        self.client.get(CAST["progress_url"], name="coach: progress matrix (300)")

    @task(2)
    def bell(self) -> None:
        self.client.get("/notifications/bell/", headers={"HX-Request": "true"}, name="bell")


@events.quitting.add_listener
def _close(environment, **kwargs) -> None:  # noqa: ANN001
    ACCEPTED.close()

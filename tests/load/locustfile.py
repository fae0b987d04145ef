"""Virtual students and coaches for `make loadtest` (tests/load/run.py starts everything).

Each virtual user arrives logged in (a session made beforehand: password hashing is not
what this measures) and walks the main journeys. Every write the server accepted is
written down, so the run can check afterwards that none of them was lost. The users are
locust's FastHttpUser (geventhttpclient), the cheapest client it has: locust shares the
machine with the app it measures.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path

from locust import FastHttpUser, between, events, task
from requests.cookies import create_cookie
from urllib3 import encode_multipart_formdata

CAST = json.loads(Path(os.environ["STAGECOACH_LOAD_CAST"]).read_text())
WAV = Path(os.environ["STAGECOACH_LOAD_WAV"]).read_bytes()
ACCEPTED = open(os.environ["STAGECOACH_LOAD_ACCEPTED"], "a", buffering=1)  # noqa: SIM115
CSRF = "loadtestcsrfsecret0123456789abcd"  # 32 characters: the cookie and header match
_students = list(CAST["students"])
random.shuffle(_students)


def _login(user: FastHttpUser, session: str) -> None:
    host = user.host.split("://", 1)[1].split(":", 1)[0]
    for name, value in (("sessionid", session), ("csrftoken", CSRF)):
        user.client.cookiejar.set_cookie(create_cookie(name, value, domain=host))


def _page(user: FastHttpUser, url: str, name: str, **headers: str) -> None:
    """GET a page, redirects not followed: a refused session answers with a redirect to
    the login page, which is a failure here, not a fast page."""
    with user.client.get(
        url, name=name, headers=headers, allow_redirects=False, catch_response=True
    ) as response:
        if response.status_code == 200:
            response.success()
        else:
            response.failure(f"answered {response.status_code}")


def _headers(**more: str) -> dict[str, str]:
    """What the page's htmx sends: the CSRF header (the cookie is the user's), and more."""
    return {"X-CSRFToken": CSRF, "HX-Request": "true", **more}


class Student(FastHttpUser):
    weight = 5
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.me = _students.pop() if _students else random.choice(CAST["students"])
        _login(self, self.me["session"])
        self.record = self.me["record_url"]

    @task(4)
    def board(self) -> None:
        _page(self, "/", "student: board")

    @task(3)
    def song(self) -> None:
        _page(self, self.me["song_url"], "student: song page")

    @task(4)
    def stage(self) -> None:
        _page(self, self.record, "student: stage page")

    @task(2)
    def tick(self) -> None:
        action = random.choice(self.me["actions"])
        self.client.post(
            f"{self.record}actions/{action}/",
            {"done": random.choice(["on", ""])},
            headers=_headers(),
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
            headers=_headers(),
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
        body, content_type = encode_multipart_formdata(
            {"note": key, "request_key": key, "file": ("take.wav", WAV, "audio/wav")}
        )
        with self.client.post(
            f"{self.record}bounces/",
            data=body,
            headers=_headers(**{"Content-Type": content_type}),
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
        _page(self, "/notifications/bell/", "bell", **{"HX-Request": "true"})


class Coach(FastHttpUser):
    weight = 1
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        _login(self, CAST["coach"]["session"])

    @task(3)
    def queue(self) -> None:
        _page(self, "/coach/queue/", "coach: queue")

    @task(3)
    def review(self) -> None:
        _page(self, random.choice(CAST["review_urls"]), "coach: review page")

    @task(1)
    def matrix(self) -> None:
        _page(self, CAST["progress_url"], "coach: progress matrix (300)")

    @task(2)
    def bell(self) -> None:
        _page(self, "/notifications/bell/", "bell", **{"HX-Request": "true"})


@events.quitting.add_listener
def _close(environment, **kwargs) -> None:  # noqa: ANN001
    ACCEPTED.close()

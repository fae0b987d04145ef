"""Build the load test's data: a cohort of N students (and their sessions) on the database
DATABASE_URL names. Run as `python -m tests.load.cast OUT.json N` with Django settings."""

from __future__ import annotations

import json
import sys

import django


def build(students: int) -> dict:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import reverse

    from coaching import services as coaching_services
    from coaching.models import Cohort, Membership, Role, User
    from songs import services
    from songs.models import Song
    from stages.models import StageRecord

    def session(user: User) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    cohort = Cohort.objects.create(name="Load test cohort", course="Load")
    coach = User.objects.create_user(username="load-coach", first_name="Coach")
    Membership.objects.create(user=coach, cohort=cohort, role=Role.COACH)
    cast = {"students": [], "coach": {"session": session(coach)}, "review_urls": []}
    for index in range(students):
        user = User.objects.create_user(username=f"load-{index}", first_name=f"Student {index}")
        Membership.objects.create(user=user, cohort=cohort, role=Role.STUDENT)
        song = services.create_song(
            song=Song(owner=user, cohort=cohort, title=f"Song {index}", purpose="A load test.")
        )
        first = StageRecord.objects.select_related("stage").get(song=song, stage__order=1)
        first.start()
        if index % 10 == 0:
            # Some finished the vision and wait for review: the coach's queue is not empty.
            for action in first.stage.core_actions.all():
                first.set_action_done(action, True)
            first.place_balance(1)
            coaching_services.submit_record(record=first, by=user)
            second = StageRecord.objects.select_related("stage").get(song=song, stage__order=2)
            second.start()
            cast["review_urls"].append(reverse("coaching:review", args=[first.pk]))
            first = second
        cast["students"].append(
            {
                "session": session(user),
                "song_url": reverse("songs:detail", args=[song.pk]),
                "record_url": reverse("stages:record", args=[song.pk, first.stage.slug]),
                "record_id": first.pk,
                "actions": list(first.stage.core_actions.values_list("pk", flat=True)),
            }
        )
    cast["progress_url"] = reverse("coaching:progress", args=[cohort.pk])
    return cast


if __name__ == "__main__":
    django.setup()
    out, count = sys.argv[1], int(sys.argv[2])
    with open(out, "w") as handle:
        json.dump(build(count), handle)

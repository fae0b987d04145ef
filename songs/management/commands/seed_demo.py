"""Demo data for the embedded default: a cohort, a coach, students, songs and real audio.

Idempotent: running it again leaves existing people and songs as they are and adds only
what is missing. Refuses to run with DEBUG off, because the demo passwords are public.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from coaching import services as coaching_services
from coaching.models import Cohort, Mark, Membership, Role, User, Verdict
from songs import services
from songs.demo import encode, synthesise
from songs.models import Song
from stages.models import Stage, StageRecord

DEMO_PASSWORD = "stagecoach"


@dataclass
class DemoSong:
    title: str
    purpose: str
    core_emotion: str
    hook: str
    tempo_bpm: int
    key: str
    approved: int  # stages approved, in order
    then: str = ""  # what happens to the next stage: "", "progress", "submit", "changes"
    bounces: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


COHORTS = {
    "autumn": (
        "Production Foundations · Autumn 2026",
        "Music Production Foundations",
        dt.date(2026, 9, 14),
        dt.date(2027, 1, 29),
    ),
    "spring": (
        "Songwriting Lab · Spring 2026",
        "Songwriting Lab",
        dt.date(2026, 2, 2),
        dt.date(2026, 6, 26),
    ),
}

PEOPLE = [
    # username, first, last, cohort, role, course admin
    ("admin", "Avery", "Stone", None, None, True),
    ("coach", "Maya", "Okafor", "autumn", Role.COACH, False),
    ("ada", "Ada", "Lindqvist", "autumn", Role.STUDENT, False),
    ("ben", "Ben", "Achebe", "autumn", Role.STUDENT, False),
    ("cleo", "Cleo", "Martins", "autumn", Role.STUDENT, False),
    ("rosa", "Rosa", "Ferreira", "spring", Role.COACH, False),
    ("dan", "Dan", "Whitlock", "spring", Role.STUDENT, False),
]

MIX_V1 = {"peak_dbfs": -1.0, "note": "First full mix: levels and panning roughed in."}
MIX_V2 = {"peak_dbfs": -4.0, "note": "Pulled the bass down 2 dB and left headroom for mastering."}

SONGS: dict[str, list[DemoSong]] = {
    "ada": [
        DemoSong(
            "Paper Lanterns",
            "A late-summer goodbye to a town I grew up in.",
            "bittersweet",
            "We let the lanterns go",
            92,
            "A minor",
            approved=5,
            then="progress",
            bounces={
                "recording": [{"peak_dbfs": -7.0, "note": "Guide vocal and guitars."}],
                "editing": [{"peak_dbfs": -6.0, "note": "Comped the chorus vocal."}],
                "mixing": [MIX_V1, MIX_V2],
            },
        ),
        DemoSong(
            "Northbound",
            "The night drive home after leaving a band.",
            "restless relief",
            "Headlights only go one way",
            118,
            "E minor",
            approved=1,
            then="progress",
        ),
    ],
    "ben": [
        DemoSong(
            "Slow Tide",
            "Learning to wait for things that take time.",
            "patience",
            "The tide knows when",
            76,
            "D major",
            approved=3,
            then="submit",
            bounces={"recording": [{"peak_dbfs": -8.0, "note": "Full band take, live room."}]},
        ),
        DemoSong(
            "Static Bloom",
            "Finding something beautiful in the noise.",
            "wonder",
            "Flowers in the static",
            104,
            "F major",
            approved=0,
            then="progress",
        ),
    ],
    "cleo": [
        DemoSong(
            "Glass Orchard",
            "A love song that is honest about being fragile.",
            "tender",
            "Careful, it's glass",
            84,
            "C major",
            approved=6,
            then="submit",
            bounces={
                "mixing": [{"peak_dbfs": -3.5, "note": "Final mix for mastering."}],
                "mastering": [
                    {"peak_dbfs": 0.0, "overdrive": 2.5, "note": "First master: pushed hard."},
                    {
                        "peak_dbfs": -1.2,
                        "note": "Backed off the limiter, ceiling at -1 dB.",
                        "fmt": "FLAC",
                    },
                ],
            },
        ),
        DemoSong(
            "Night Bus",
            "Strangers sharing the last ride home.",
            "quiet company",
            "Nobody talks on the night bus",
            100,
            "G major",
            approved=2,
            then="changes",
        ),
    ],
    "dan": [
        DemoSong(
            "Borrowed Light",
            "Being carried by a friend through a bad year.",
            "gratitude",
            "I ran on borrowed light",
            88,
            "B minor",
            approved=4,
            then="progress",
            bounces={"editing": [{"peak_dbfs": -6.0, "note": "Tightened the drum edits."}]},
        ),
    ],
}


class Command(BaseCommand):
    help = "Create demo cohorts, people, songs at different stages and synthesised bounces."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates accounts with public passwords; DEBUG is off.")
        with transaction.atomic():
            cohorts = self._cohorts()
            people = self._people(cohorts)
        # The demo's history makes notifications in the app, but sends no e-mail.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            created = self._songs(people)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} songs added)."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, first, last, cohort, role, is_admin in PEOPLE:
            if is_admin:
                what = "course admin"
            else:
                assert cohort is not None and role is not None  # everyone else is in a cohort
                what = f"{role.label.lower()}, {COHORTS[cohort][0]}"
            self.stdout.write(f"  {username:<6} {first} {last} ({what})")

    def _songs(self, people: dict[str, User]) -> int:
        created = 0
        for username, songs in SONGS.items():
            student = people[username]
            cohort = student.student_cohorts().get()
            for index, demo in enumerate(songs):
                if Song.objects.filter(owner=student, title=demo.title).exists():
                    continue
                self._song(
                    student, cohort, demo, seed=zlib.crc32(f"{username}{index}".encode()) % 10_000
                )
                created += 1
        return created

    def _cohorts(self) -> dict[str, Cohort]:
        cohorts = {}
        for key, (name, course, starts, ends) in COHORTS.items():
            cohorts[key], _ = Cohort.objects.get_or_create(
                name=name, defaults={"course": course, "starts_on": starts, "ends_on": ends}
            )
        return cohorts

    def _people(self, cohorts: dict[str, Cohort]) -> dict[str, User]:
        people = {}
        for username, first, last, cohort, role, is_admin in PEOPLE:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@stagecoach.example",
                    "is_course_admin": is_admin,
                    "is_staff": is_admin,
                    "is_superuser": is_admin,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if cohort:
                assert role is not None  # a member of a cohort has a role in it
                Membership.objects.get_or_create(
                    cohort=cohorts[cohort], user=user, defaults={"role": role}
                )
            people[username] = user
        return people

    def _song(self, student: User, cohort: Cohort, demo: DemoSong, *, seed: int) -> None:
        song = services.create_song(
            song=Song(
                owner=student,
                cohort=cohort,
                title=demo.title,
                purpose=demo.purpose,
                core_emotion=demo.core_emotion,
                hook=demo.hook,
                tempo_bpm=demo.tempo_bpm,
                key=demo.key,
            )
        )
        records = {
            record.stage.slug: record
            for record in StageRecord.objects.filter(song=song).select_related("stage")
        }
        stages = list(Stage.objects.prefetch_related("core_actions"))
        # Spread the history over the past weeks so the board and dates look lived-in; the
        # song starts the day its first stage does.
        moment = timezone.now() - dt.timedelta(days=4 * (demo.approved + 1) + seed % 5)
        Song.objects.filter(pk=song.pk).update(created_at=moment)
        for stage in stages:
            record = records[stage.slug]
            done = stage.order <= demo.approved
            nxt = stage.order == demo.approved + 1
            if not done and not (nxt and demo.then):
                break
            record.start()
            for action in stage.core_actions.all():
                if done or demo.then != "progress" or action.position == 1:
                    record.set_action_done(action, True)
            record.place_balance((seed + stage.order) % 7 - 3)
            record.write_journal(
                f"Working on {stage.name.lower()} for “{song.title}”: {stage.question}"
            )
            for version in demo.bounces.get(stage.slug, []):
                self._bounce(record, student, version, seed + stage.order)
            if done or demo.then in {"submit", "changes"}:
                coaching_services.submit_record(record=record, by=student)
            if done or demo.then == "changes":
                self._review(record, approve=done, seed=seed + stage.order)
            StageRecord.objects.filter(pk=record.pk).update(
                started_at=moment,
                submitted_at=moment + dt.timedelta(days=2) if record.submitted_at else None,
                approved_at=moment + dt.timedelta(days=3) if record.approved_at else None,
                updated_at=moment + dt.timedelta(days=3),
            )
            moment += dt.timedelta(days=4)
        Song.objects.filter(pk=song.pk).update(updated_at=min(moment, timezone.now()))

    def _review(self, record: StageRecord, *, approve: bool, seed: int) -> None:
        coach = coaching_services.coaches_of(record)[0]
        actions = list(record.stage.core_actions.all())
        coaching_services.review_record(
            record=record,
            coach=coach,
            verdict=Verdict.APPROVED if approve else Verdict.CHANGES_REQUESTED,
            summary=(
                f"{record.stage.name} does what it should: {record.stage.takeaway.lower()}"
                if approve
                else f"Close, but the {actions[-1].title.lower()} part needs another pass "
                "before we move on. See my notes on the core actions."
            ),
            coach_balance=(seed * 3) % 7 - 3,
            balance_comment="Where I hear the work sitting on this axis right now.",
            marks={
                action.pk: Mark.DONE_WELL if approve or i < len(actions) - 1 else Mark.NEEDS_WORK
                for i, action in enumerate(actions)
            },
        )

    def _bounce(self, record: StageRecord, student: User, spec: dict[str, Any], seed: int) -> None:
        fmt = spec.get("fmt", "WAV")
        frames = synthesise(
            seconds=12.0,
            peak_dbfs=spec["peak_dbfs"],
            overdrive=spec.get("overdrive", 1.0),
            seed=seed,
        )
        data = encode(frames, fmt=fmt, subtype="PCM_24" if fmt == "FLAC" else "PCM_16")
        slug = record.song.title.lower().replace(" ", "-")
        name = f"{slug}-{record.stage.slug}-{timezone.now():%H%M%S}.{fmt.lower()}"
        services.upload_bounce(
            record=record,
            uploaded_by=student,
            upload=SimpleUploadedFile(name, data),
            note=spec["note"],
        )

"""The shared cast and helpers for tests.

alice (student) and carol (student) are in cohort A, coached by bob; dave (student) is in
cohort B, coached by erin; frank is a course admin. alice owns a song.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coaching.models import Cohort, Membership, Role, User
from songs import services
from songs.demo import encode, synthesise
from songs.models import Bounce, ReferenceTrack, Song
from stages.models import Stage, StageRecord, Status

HTMX = {"HX-Request": "true"}


@functools.cache
def audio_bytes(fmt: str = "WAV", seconds: float = 1.0, subtype: str | None = None) -> bytes:
    """A short real recording (synthesised) in any format soundfile writes."""
    frames = synthesise(seconds=seconds, peak_dbfs=-6.0)
    subtypes = {
        "WAV": "PCM_16",
        "AIFF": "PCM_16",
        "FLAC": "PCM_16",
        "OGG": "VORBIS",
        "MP3": "MPEG_LAYER_III",
    }
    return encode(frames, fmt=fmt, subtype=subtype or subtypes[fmt])


def upload_file(name: str = "mix.wav", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, audio_bytes() if data is None else data)


def make_user(username: str, **extra: Any) -> User:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password="password-" + username,
        first_name=username.capitalize(),
        **extra,
    )
    return user


def make_song(owner: User, cohort: Cohort, title: str = "Paper Lanterns", **extra: Any) -> Song:
    fields = {"purpose": "A goodbye to a town.", **extra}
    return services.create_song(song=Song(owner=owner, cohort=cohort, title=title, **fields))


def store_bounce(record: StageRecord, data: bytes, name: str = "take.wav") -> Bounce:
    """A bounce saved straight to the database and storage: no task is published."""
    from songs.analysis.formats import sniff

    upload = SimpleUploadedFile(name, data)
    bounce = Bounce(
        record=record,
        version=(record.bounces.count() + 1),
        original_name=name,
        size_bytes=len(data),
        sha256="0" * 64,
        audio_format=sniff(upload.file) or "wav",
        uploaded_by=record.song.owner,
    )
    bounce.file.save(name, upload, save=True)
    return bounce


def store_reference(
    song: Song, data: bytes, name: str = "record.wav", title: str = "Someone – A Record"
) -> ReferenceTrack:
    """A reference track saved straight to the database and storage: no task is published."""
    from songs.analysis.formats import sniff

    upload = SimpleUploadedFile(name, data)
    reference = ReferenceTrack(
        song=song,
        title=title,
        original_name=name,
        size_bytes=len(data),
        sha256="0" * 64,
        audio_format=sniff(upload.file) or "wav",
        uploaded_by=song.owner,
    )
    reference.file.save(name, upload, save=True)
    return reference


def long_wav(path: str, *, minutes: float, sample_rate: int = 44_100) -> None:
    """Write a long stereo 16-bit WAV in blocks (a 10-second loop, repeated)."""
    import soundfile

    loop = synthesise(seconds=10.0, sample_rate=sample_rate, peak_dbfs=-3.0)
    blocks = int(minutes * 6)
    with soundfile.SoundFile(path, "w", sample_rate, 2, "PCM_16", format="WAV") as out:
        for _ in range(blocks):
            out.write(loop)


def ensure_stage_catalogue() -> None:
    """Reload the stage catalogue (a data migration) after a transactional test's flush."""
    from importlib import import_module

    from django.apps import apps

    import_module("stages.migrations.0002_stage_catalogue").load_catalogue(apps, None)


def add_students(cohort_pk: int, count: int, prefix: str) -> None:
    """`count` students, each with a song at a point of the course that moves along with
    the student's number; every tenth waits for review."""
    users = User.objects.bulk_create(
        User(
            username=f"{prefix}{i:04d}",
            first_name=f"Student{i:04d}",
            last_name=prefix.capitalize(),
            email=f"{prefix}{i:04d}@example.com",
        )
        for i in range(count)
    )
    Membership.objects.bulk_create(
        Membership(user=u, cohort_id=cohort_pk, role=Role.STUDENT) for u in users
    )
    songs = Song.objects.bulk_create(
        Song(owner=u, cohort_id=cohort_pk, title=f"Song of {u.username}", purpose="A story.")
        for u in users
    )
    stages = list(Stage.objects.order_by("order"))
    now = timezone.now()
    records = []
    for index, song in enumerate(songs):
        here = index % (len(stages) + 1)
        for position, stage in enumerate(stages):
            if position < here:
                status, submitted = Status.APPROVED, now
            elif position == here:
                waiting = index % 10 == 0
                status = Status.SUBMITTED if waiting else Status.IN_PROGRESS
                submitted = now - dt.timedelta(hours=index) if waiting else None
            else:
                status, submitted = Status.NOT_STARTED, None
            records.append(
                StageRecord(
                    song=song,
                    stage=stage,
                    status=status,
                    started_at=now if status != Status.NOT_STARTED else None,
                    submitted_at=submitted,
                    approved_at=now if status == Status.APPROVED else None,
                    # Submitted once, as an approved or waiting stage has been.
                    round=1 if submitted else 0,
                )
            )
    StageRecord.objects.bulk_create(records, batch_size=2000)


def count_queries(func: Any) -> int:
    with CaptureQueriesContext(connection) as context:
        func()
    return len(context.captured_queries)


def add_cast(target: Any) -> None:
    """The cast of the module docstring, set as attributes of `target` (a test class or a
    test)."""
    target.cohort = Cohort.objects.create(name="Autumn", course="Foundations")
    target.other_cohort = Cohort.objects.create(name="Spring", course="Songwriting")
    target.alice = make_user("alice")
    target.bob = make_user("bob")
    target.carol = make_user("carol")
    target.dave = make_user("dave")
    target.erin = make_user("erin")
    target.frank = make_user("frank", is_course_admin=True)
    for user, cohort, role in [
        (target.alice, target.cohort, Role.STUDENT),
        (target.carol, target.cohort, Role.STUDENT),
        (target.bob, target.cohort, Role.COACH),
        (target.dave, target.other_cohort, Role.STUDENT),
        (target.erin, target.other_cohort, Role.COACH),
    ]:
        Membership.objects.create(user=user, cohort=cohort, role=role)
    target.song = make_song(target.alice, target.cohort)


class CastMixin:
    """The cast's attributes and the helpers that move alice's song along."""

    alice: User
    bob: User
    carol: User
    dave: User
    erin: User
    frank: User
    cohort: Cohort
    other_cohort: Cohort
    song: Song

    def record(self, slug: str = "production", song: Song | None = None) -> StageRecord:
        return StageRecord.objects.select_related("stage", "song").get(
            song=song or self.song, stage__slug=slug
        )

    def started(self, slug: str = "production", song: Song | None = None) -> StageRecord:
        """The record of `slug`, with every earlier stage approved and this one started."""
        song = song or self.song
        for stage in Stage.objects.filter(order__lt=Stage.objects.get(slug=slug).order):
            earlier = self.record(stage.slug, song)
            self.complete(earlier)
            earlier.approve()
        record = self.record(slug, song)
        record.start()
        return record

    def complete(self, record: StageRecord) -> StageRecord:
        """Start (if needed), tick everything, place the balance and submit."""
        record.start()
        for action in record.stage.core_actions.all():
            record.set_action_done(action, True)
        record.place_balance(0)
        record.submit()
        return record

    def other_users(self) -> list[User]:
        """Everyone who must get a 404 for alice's song: another student in her cohort,
        a student of another cohort and that cohort's coach."""
        return [self.carol, self.dave, self.erin]


class BaseTestCase(CastMixin, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        add_cast(cls)


@functools.cache
def m4a_bytes(codec: str = "aac", seconds: float = 1.0) -> bytes:
    """A short M4A (AAC or ALAC) written with PyAV."""
    import io

    import av
    import numpy as np

    frames = synthesise(seconds=seconds, peak_dbfs=-6.0)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="ipod") as container:
        stream = container.add_stream(codec, rate=44_100, layout="stereo")
        sample_format = "fltp" if codec == "aac" else "s16p"
        planar = np.ascontiguousarray(frames.T)
        if sample_format == "s16p":
            planar = (planar * 32767).astype(np.int16)
        step = 1024
        for start in range(0, planar.shape[1], step):
            chunk = np.ascontiguousarray(planar[:, start : start + step])
            frame = av.AudioFrame.from_ndarray(chunk, format=sample_format, layout="stereo")
            frame.sample_rate = 44_100
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


@functools.cache
def voice_bytes(seconds: float = 2.0, fmt: str = "webm") -> bytes:
    """A short voice note as a browser's MediaRecorder sends it: mono Opus at 48 kHz in WebM
    written as a live stream (so, like a recorder's, it states no duration), or in Ogg."""
    import io

    import av
    import numpy as np

    rate = 48_000
    moments = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 220 * moments) * (1 + 0.5 * np.sin(2 * np.pi * 3 * moments))
    samples = (tone / 1.5 * 32767).astype(np.int16)[None, :]
    buffer = io.BytesIO()
    options = {"live": "1"} if fmt == "webm" else {}
    with av.open(buffer, mode="w", format=fmt, options=options) as container:
        stream = container.add_stream("libopus", rate=rate, layout="mono")
        for start in range(0, samples.shape[1], 960):
            chunk = np.ascontiguousarray(samples[:, start : start + 960])
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()

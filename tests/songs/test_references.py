"""Reference tracks over HTTP: attaching one (by content, within the size limit, nothing
kept on refusal), its analysis (report, music, peaks; failure with a reason and a retry),
who may play and compare it, that it is never offered for download, and that a settled
song refuses every change."""

from __future__ import annotations

import json
import re
from pathlib import Path
from unittest import mock

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from coaching.models import Cohort
from songs import display, tasks
from songs.demo import encode, synthesise
from songs.models import ReferenceTrack, Song
from songs.references import services as references
from tests.base import (
    HTMX,
    BaseTestCase,
    audio_bytes,
    count_queries,
    m4a_bytes,
    make_user,
    store_bounce,
    store_reference,
    upload_file,
)


def stored_references() -> set[str]:
    root = Path(settings.MEDIA_ROOT) / "references"
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def quiet_record(seconds: float = 2.0) -> bytes:
    """A record 10 dB quieter than the bounces audio_bytes() makes."""
    return encode(synthesise(seconds=seconds, peak_dbfs=-16.0), fmt="FLAC", subtype="PCM_16")


class ReferenceTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.url = f"/songs/{self.song.pk}/references/"
        self.client.force_login(self.alice)

    def attach(self, file, title: str = "Aurora – Runaway", **kwargs):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(self.url, {"title": title, "file": file}, **kwargs)

    def analysed_reference(self, data: bytes | None = None) -> ReferenceTrack:
        reference = store_reference(self.song, data or audio_bytes("FLAC", 2.0), "record.flac")
        references.analyse_reference(reference_id=reference.pk)
        reference.refresh_from_db()
        return reference

    def urls(self, reference: ReferenceTrack) -> dict[str, str]:
        return {
            "analysis": f"/references/{reference.pk}/analysis/",
            "audio": f"/references/{reference.pk}/audio/",
            "peaks": f"/references/{reference.pk}/peaks.json",
            "remove": f"/references/{reference.pk}/remove/",
            "retry": f"/references/{reference.pk}/retry/",
        }


class AttachReferenceTests(ReferenceTestCase):
    def test_each_accepted_format_is_attached_by_its_content_and_analysed(self) -> None:
        cases = [
            ("record.wav", audio_bytes("WAV"), "wav"),
            ("record.aiff", audio_bytes("AIFF"), "aiff"),
            ("record.flac", audio_bytes("FLAC"), "flac"),
            ("record.ogg", audio_bytes("OGG"), "ogg"),
            ("record.mp3", audio_bytes("MP3"), "mp3"),
            ("record.m4a", m4a_bytes("aac"), "m4a"),
            ("record-alac.m4a", m4a_bytes("alac"), "m4a"),
            ("named-wrong.mp3", audio_bytes("WAV", subtype="PCM_24"), "wav"),
        ]
        for name, data, expected in cases:
            with self.subTest(name=name):
                response = self.attach(upload_file(name, data), title=f"Record {name}")
                self.assertRedirects(
                    response, f"/songs/{self.song.pk}/#references", fetch_redirect_response=False
                )
                reference = ReferenceTrack.objects.get(title=f"Record {name}")
                self.assertEqual(reference.audio_format, expected)
                self.assertEqual(reference.original_name, name)
                self.assertEqual(reference.size_bytes, len(data))
                self.assertTrue(reference.file.name.endswith(f".{expected}"))
                self.assertNotIn(name, reference.file.name)
                self.assertEqual(reference.analysis_state, "done")
                self.assertEqual(reference.music_state, "done")

    def test_a_file_that_is_not_audio_is_refused_with_the_reason_and_nothing_is_kept(
        self,
    ) -> None:
        before = stored_references()
        response = self.attach(
            upload_file("record.wav", b"<html>not audio</html>" * 100),
            title="Typed by hand",
            headers=HTMX,
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "“record.wav” is not an audio file Stagecoach can take")
        self.assertContains(response, 'value="Typed by hand"')
        self.assertTemplateUsed(response, "songs/_references.html")
        self.assertTemplateNotUsed(response, "songs/detail.html")
        self.assertFalse(ReferenceTrack.objects.exists())
        self.assertEqual(stored_references(), before)

    def test_a_refused_file_without_htmx_gets_a_page_with_the_reason_and_the_title(
        self,
    ) -> None:
        response = self.attach(upload_file("notes.txt", b"just words " * 50), title="Kept title")
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "songs/add_reference.html")
        self.assertContains(response, "is not an audio file Stagecoach can take")
        self.assertContains(response, 'value="Kept title"')
        self.assertFalse(ReferenceTrack.objects.exists())

    @override_settings(BOUNCE_MAX_UPLOAD_BYTES=100_000)
    def test_a_file_over_the_bounce_limit_is_refused_while_it_streams(self) -> None:
        before = stored_references()
        data = audio_bytes("WAV", seconds=2.0)
        self.assertGreater(len(data), 100_000)
        response = self.attach(upload_file("long.wav", data), title="Long one", headers=HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "reference tracks can be up to 98 KB")
        self.assertContains(response, 'value="Long one"')
        self.assertFalse(ReferenceTrack.objects.exists())
        self.assertEqual(stored_references(), before)

    def test_an_empty_file_and_a_missing_title_are_refused_with_reasons(self) -> None:
        response = self.attach(upload_file("empty.wav", b""), title="", headers=HTMX)
        self.assertContains(response, "Name the record: its artist and title.")
        self.assertContains(response, "empty")
        self.assertFalse(ReferenceTrack.objects.exists())

    def test_an_htmx_attach_renders_the_card_with_the_new_reference_and_a_fresh_form(
        self,
    ) -> None:
        response = self.attach(upload_file("r.flac", audio_bytes("FLAC")), headers=HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "songs/_references.html")
        self.assertContains(response, "“Aurora – Runaway” is attached")
        self.assertContains(response, 'id="id_reference_title"')
        self.assertNotContains(response, 'value="Aurora – Runaway"')

    def test_the_same_file_attached_twice_is_kept_once(self) -> None:
        data = audio_bytes("FLAC")
        self.attach(upload_file("r.flac", data))
        self.attach(upload_file("r.flac", data))
        self.assertEqual(ReferenceTrack.objects.count(), 1)

    def test_a_broker_that_is_down_leaves_the_reference_queued(self) -> None:
        failing = mock.Mock(side_effect=OperationalError("connection refused"))
        with mock.patch.object(tasks.analyse_reference, "apply_async", failing):
            response = self.attach(upload_file("r.flac", audio_bytes("FLAC")))
        self.assertEqual(response.status_code, 302)
        failing.assert_called_once()
        reference = ReferenceTrack.objects.get()
        self.assertEqual(reference.analysis_state, "queued")
        self.assertTrue(reference.file.storage.exists(reference.file.name))

    def test_the_sweep_publishes_a_reference_never_sent_and_one_whose_worker_died(self) -> None:
        import datetime as dt

        from django.utils import timezone

        from songs.references.services import sweep_references

        unsent = store_reference(self.song, audio_bytes("WAV"), title="Unsent")
        abandoned = store_reference(self.song, audio_bytes("WAV"), title="Abandoned")
        alive = store_reference(self.song, audio_bytes("WAV"), title="Alive")
        on_its_way = store_reference(self.song, audio_bytes("WAV"), title="On its way")
        for reference in (abandoned, alive):
            self.assertTrue(reference.claim_analysis(stale_after_s=30))
        ReferenceTrack.objects.filter(pk=abandoned.pk).update(
            heartbeat_at=timezone.now() - dt.timedelta(seconds=31)
        )
        ReferenceTrack.stamp_published(on_its_way.pk)
        sent = mock.Mock()
        with mock.patch.object(tasks.analyse_reference, "apply_async", sent):
            published = sweep_references()
        self.assertEqual(sorted(published), sorted([unsent.pk, abandoned.pk]))

    def test_a_reference_is_analysed_by_one_delivery_at_a_time(self) -> None:
        from songs.references.services import analyse_reference

        reference = store_reference(self.song, audio_bytes("WAV"), title="Claimed")
        self.assertTrue(reference.claim_analysis(stale_after_s=30))
        analyse_reference(reference_id=reference.pk)
        reference.refresh_from_db()
        self.assertEqual(reference.analysis_state, "running")
        self.assertIsNone(reference.report)

    def test_csrf_is_still_checked_on_an_attach(self) -> None:
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(self.alice)
        response = client.post(self.url, {"title": "t", "file": upload_file("a.flac")})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(ReferenceTrack.objects.exists())

    def test_the_add_url_refuses_get(self) -> None:
        self.assertEqual(self.client.get(self.url).status_code, 405)

    def test_nobody_but_the_owner_attaches_references(self) -> None:
        for user in [self.bob, self.frank, *self.other_users()]:
            self.client.force_login(user)
            response = self.attach(upload_file("r.flac", audio_bytes("FLAC")))
            self.assertEqual(response.status_code, 404, user)
        self.assertFalse(ReferenceTrack.objects.exists())


class ReferenceAnalysisTests(ReferenceTestCase):
    def test_the_analysis_stores_the_report_the_music_and_the_peaks(self) -> None:
        self.attach(upload_file("r.flac", audio_bytes("FLAC", 2.0)))
        reference = ReferenceTrack.objects.get()
        self.assertIsNotNone(reference.analysis)
        assert reference.analysis is not None
        self.assertAlmostEqual(reference.integrated_lufs or 0, reference.analysis.integrated_lufs)
        self.assertAlmostEqual(reference.duration_s or 0, 2.0, places=1)
        self.assertIsNotNone(reference.music_report)
        peaks = json.loads(reference.peaks.read())
        self.assertAlmostEqual(peaks["duration_s"], 2.0, places=1)
        self.assertTrue(peaks["levels"][0]["max"])

    def test_a_file_the_engine_cannot_read_fails_with_its_reason_and_offers_a_retry(
        self,
    ) -> None:
        # A WAV header with nothing after it: recognised as WAV, unreadable as audio.
        broken = audio_bytes("WAV")[:60]
        self.attach(upload_file("cut.wav", broken))
        reference = ReferenceTrack.objects.get()
        self.assertEqual(reference.analysis_state, "failed")
        self.assertTrue(reference.analysis_error)
        page = self.client.get(self.urls(reference)["analysis"])
        self.assertContains(page, reference.analysis_error)
        self.assertContains(page, "Try again")
        self.assertContains(page, f'action="/references/{reference.pk}/retry/"')

    def test_trying_again_analyses_a_failed_reference_from_scratch(self) -> None:
        reference = store_reference(self.song, audio_bytes("FLAC", 2.0))
        reference.mark_failed("The file store could not be reached.")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.urls(reference)["retry"], headers=HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "songs/_reference_analysis.html")
        reference.refresh_from_db()
        self.assertEqual((reference.analysis_state, reference.music_state), ("done", "done"))
        self.assertEqual(reference.analysis_error, "")

    def test_trying_again_leaves_an_analysed_reference_alone(self) -> None:
        reference = self.analysed_reference()
        analysed_at = reference.analysed_at
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            response = self.client.post(self.urls(reference)["retry"])
        self.assertEqual(response.status_code, 302)
        self.assertEqual(callbacks, [])
        reference.refresh_from_db()
        self.assertEqual(reference.analysed_at, analysed_at)

    def test_a_pending_reference_polls_and_an_analysed_one_stops(self) -> None:
        reference = store_reference(self.song, audio_bytes("FLAC"))
        page = self.client.get(self.urls(reference)["analysis"])
        self.assertContains(page, f'hx-get="/references/{reference.pk}/analysis/"')
        self.assertContains(page, "Queued")
        references.analyse_reference(reference_id=reference.pk)
        page = self.client.get(self.urls(reference)["analysis"])
        self.assertNotContains(page, "hx-get=")
        self.assertContains(page, "LUFS")

    def test_the_task_fails_a_reference_that_runs_past_the_time_limit(self) -> None:
        reference = store_reference(self.song, audio_bytes("FLAC"))
        with mock.patch.object(
            references, "analyse_reference", side_effect=SoftTimeLimitExceeded()
        ):
            tasks.analyse_reference.apply(args=(reference.pk,))
        reference.refresh_from_db()
        self.assertEqual(reference.analysis_state, "failed")
        self.assertIn("took longer than", reference.analysis_error)

    def test_a_repeated_task_runs_no_pass_twice(self) -> None:
        reference = self.analysed_reference()
        peaks = reference.peaks.name
        with mock.patch.object(references, "analyse") as loudness:
            references.analyse_reference(reference_id=reference.pk)
        loudness.assert_not_called()
        reference.refresh_from_db()
        self.assertEqual(reference.peaks.name, peaks)


class ReferenceVisibilityTests(ReferenceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.reference = self.analysed_reference()
        self.bounce = store_bounce(self.started("mixing"), audio_bytes("WAV", 2.0))

    def test_the_owner_coach_and_course_admin_play_the_reference_inline(self) -> None:
        urls = self.urls(self.reference)
        data = self.reference.file.read()
        for user in [self.alice, self.bob, self.frank]:
            self.client.force_login(user)
            response = self.client.get(urls["audio"])
            self.assertEqual(response.status_code, 200, user)
            self.assertEqual(response["Content-Type"], "audio/flac")
            self.assertTrue(response["Content-Disposition"].startswith("inline"), user)
            self.assertEqual(b"".join(response.streaming_content), data)
            self.assertEqual(self.client.get(urls["peaks"]).status_code, 200, user)
            compare = f"/bounces/{self.bounce.pk}/against/{self.reference.pk}/"
            self.assertEqual(self.client.get(compare).status_code, 200, user)

    def test_a_range_request_gets_part_of_the_reference(self) -> None:
        data = self.reference.file.read()
        response = self.client.get(
            self.urls(self.reference)["audio"], headers={"Range": "bytes=100-199"}
        )
        self.assertEqual(response.status_code, 206)
        self.assertEqual(response["Content-Range"], f"bytes 100-199/{len(data)}")
        self.assertEqual(b"".join(response.streaming_content), data[100:200])

    def test_other_people_get_404_for_every_reference_url(self) -> None:
        urls = self.urls(self.reference)
        compare = f"/bounces/{self.bounce.pk}/against/{self.reference.pk}/"
        for user in [*self.other_users(), make_user("visitor")]:
            self.client.force_login(user)
            for name in ("analysis", "audio", "peaks"):
                self.assertEqual(self.client.get(urls[name]).status_code, 404, (user, name))
            self.assertEqual(self.client.get(compare).status_code, 404, user)
            for name in ("remove", "retry"):
                self.assertEqual(self.client.post(urls[name]).status_code, 404, (user, name))
        self.assertTrue(ReferenceTrack.objects.filter(pk=self.reference.pk).exists())

    def test_only_the_owner_removes_or_retries_a_reference(self) -> None:
        urls = self.urls(self.reference)
        for user in [self.bob, self.frank]:
            self.client.force_login(user)
            for name in ("remove", "retry"):
                self.assertEqual(self.client.post(urls[name]).status_code, 404, (user, name))
        self.assertTrue(ReferenceTrack.objects.filter(pk=self.reference.pk).exists())

    def test_no_page_offers_a_reference_for_download(self) -> None:
        audio = self.urls(self.reference)["audio"]
        pages = [
            f"/songs/{self.song.pk}/",
            f"/bounces/{self.bounce.pk}/against/{self.reference.pk}/",
            self.urls(self.reference)["analysis"],
        ]
        for user in [self.alice, self.bob, self.frank]:
            self.client.force_login(user)
            for path in pages:
                html = self.client.get(path).content.decode()
                with self.subTest(user=user.username, page=path):
                    self.assertNotIn(f'href="{audio}', html)
                    for tag in re.findall(rf"<[^>]*{re.escape(audio)}[^>]*>", html):
                        self.assertIn("<audio", tag)
                        self.assertIn('controlslist="nodownload"', tag)
                        self.assertNotIn("download=", tag.replace("controlslist=", ""))
        self.client.force_login(self.alice)
        card = self.client.get(f"/songs/{self.song.pk}/").content.decode()
        card = card[card.index('id="references"') :]
        card = card[: card.index("</section>")]
        self.assertNotIn("Download", card)


class RemoveReferenceTests(ReferenceTestCase):
    def test_removing_a_reference_deletes_it_and_its_files_once_committed(self) -> None:
        reference = self.analysed_reference()
        names = [reference.file.name, reference.peaks.name]
        storage = reference.file.storage
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.urls(reference)["remove"], headers=HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "songs/_references.html")
        self.assertContains(response, "is removed")
        self.assertFalse(ReferenceTrack.objects.exists())
        for name in names:
            self.assertFalse(storage.exists(name), name)

    def test_a_removal_that_does_not_commit_keeps_the_files(self) -> None:
        reference = self.analysed_reference()
        self.client.post(self.urls(reference)["remove"])  # on_commit never runs here
        self.assertTrue(reference.file.storage.exists(reference.file.name))

    def test_removing_without_htmx_returns_to_the_song_s_references(self) -> None:
        reference = self.analysed_reference()
        response = self.client.post(self.urls(reference)["remove"])
        self.assertRedirects(
            response, f"/songs/{self.song.pk}/#references", fetch_redirect_response=False
        )


class SettledSongTests(ReferenceTestCase):
    def test_a_settled_song_refuses_every_change_to_its_references(self) -> None:
        reference = store_reference(self.song, audio_bytes("FLAC"))
        reference.mark_failed("Something went wrong.")
        settled = {
            "released": lambda: Song.objects.filter(pk=self.song.pk).update(
                released_at=timezone.now()
            ),
            "set aside": lambda: Song.objects.filter(pk=self.song.pk).update(
                archived_at=timezone.now()
            ),
            "cohort archived": lambda: Cohort.objects.filter(pk=self.cohort.pk).update(
                archived_at=timezone.now()
            ),
        }
        urls = self.urls(reference)
        for state, settle in settled.items():
            Song.objects.filter(pk=self.song.pk).update(released_at=None, archived_at=None)
            Cohort.objects.filter(pk=self.cohort.pk).update(archived_at=None)
            settle()
            for name, post in [
                ("add", lambda: self.attach(upload_file("r.flac", audio_bytes("FLAC")))),
                ("remove", lambda: self.client.post(urls["remove"])),
                ("retry", lambda: self.client.post(urls["retry"])),
            ]:
                with self.subTest(state=state, change=name):
                    response = post()
                    self.assertContains(response, "Nothing was changed.", status_code=403)
            self.assertEqual(
                list(ReferenceTrack.objects.values_list("pk", flat=True)), [reference.pk]
            )
            reference.refresh_from_db()
            self.assertEqual(reference.analysis_state, "failed")

    def test_a_settled_song_page_plays_its_references_but_offers_no_change(self) -> None:
        reference = store_reference(self.song, audio_bytes("FLAC"))
        reference.mark_failed("Something went wrong.")
        Song.objects.filter(pk=self.song.pk).update(released_at=timezone.now())
        html = self.client.get(f"/songs/{self.song.pk}/").content.decode()
        self.assertIn(f'src="/references/{reference.pk}/audio/"', html)
        self.assertNotIn(f"/references/{reference.pk}/remove/", html)
        self.assertNotIn(f"/references/{reference.pk}/retry/", html)
        self.assertNotIn(f'action="/songs/{self.song.pk}/references/"', html)


class ReferenceCardTests(ReferenceTestCase):
    def test_the_song_page_lists_each_reference_with_its_figures_and_a_player(self) -> None:
        reference = self.analysed_reference()
        page = self.client.get(f"/songs/{self.song.pk}/")
        self.assertContains(page, "Reference tracks")
        self.assertContains(page, reference.title)
        self.assertContains(page, "FLAC")
        self.assertContains(page, "0:02")
        self.assertContains(page, f"{reference.integrated_lufs:.1f} LUFS")
        self.assertContains(page, "Analysed")
        self.assertContains(
            page,
            f'<audio controls preload="none" controlslist="nodownload" '
            f'src="/references/{reference.pk}/audio/"',
        )
        self.assertContains(page, "data-dropzone")
        self.assertContains(page, f'hx-post="/songs/{self.song.pk}/references/"')
        self.assertContains(page, "Remove…")

    def test_an_analysed_reference_links_to_compare_with_the_latest_bounces(self) -> None:
        reference = self.analysed_reference()
        mixing = self.started("mixing")
        store_bounce(mixing, audio_bytes("WAV"))
        latest = store_bounce(mixing, audio_bytes("WAV"))
        page = self.client.get(f"/songs/{self.song.pk}/")
        self.assertContains(page, f'href="/bounces/{latest.pk}/against/{reference.pk}/"')
        self.assertContains(page, "Compare with Mixing v2")
        self.assertNotContains(page, "Compare with Mixing v1")

    def test_the_coach_sees_the_references_without_the_forms(self) -> None:
        reference = self.analysed_reference()
        self.client.force_login(self.bob)
        page = self.client.get(f"/songs/{self.song.pk}/")
        self.assertContains(page, reference.title)
        self.assertContains(page, f'src="/references/{reference.pk}/audio/"')
        self.assertNotContains(page, "Remove…")
        self.assertNotContains(page, "Attach a reference track")

    def test_the_song_page_queries_do_not_grow_with_its_references(self) -> None:
        self.analysed_reference()
        url = f"/songs/{self.song.pk}/"
        self.client.get(url)
        one = count_queries(lambda: self.client.get(url))
        for index in range(19):
            store_reference(self.song, audio_bytes("FLAC"), title=f"Record {index}")
        self.assertEqual(one, count_queries(lambda: self.client.get(url)))


class CompareWithReferenceTests(ReferenceTestCase):
    def setUp(self) -> None:
        super().setUp()
        # Longer than the short-term window (3 s), so both have a curve of loudness.
        self.reference = self.analysed_reference(quiet_record(seconds=4.0))
        self.bounce = store_bounce(self.started("mixing"), audio_bytes("WAV", 4.0))
        from songs import services

        services.analyse_bounce(bounce_id=self.bounce.pk, task_id="test")
        services.analyse_music_of(bounce_id=self.bounce.pk)
        self.bounce.refresh_from_db()
        self.url = f"/bounces/{self.bounce.pk}/against/{self.reference.pk}/"

    def test_the_compare_page_plays_both_loudness_matched_with_both_waveforms(self) -> None:
        match = display.loudness_match(self.bounce, self.reference)
        self.assertTrue(match.possible)
        self.assertLess(match.volume_a, 1.0)  # the bounce is the louder: turned down
        self.assertEqual(match.volume_b, 1.0)
        response = self.client.get(self.url)
        self.assertContains(response, f'data-volume-a="{match.volume_a:.4f}"')
        self.assertContains(response, 'data-volume-b="1.0000"')
        self.assertContains(response, "data-ab-match checked")
        self.assertContains(
            response, f'data-ab-wave="a" data-peaks="/bounces/{self.bounce.pk}/peaks.json"'
        )
        self.assertContains(
            response, f'data-ab-wave="b" data-peaks="/references/{self.reference.pk}/peaks.json"'
        )
        self.assertContains(
            response,
            f'<audio data-ab-b preload="auto" src="/references/{self.reference.pk}/audio/"',
        )
        self.assertContains(response, f'href="/bounces/{self.bounce.pk}/" data-ab-comment-a')
        self.assertNotContains(response, "data-ab-comment-b")

    def test_the_compare_page_tables_how_the_bounce_measures_against_the_reference(
        self,
    ) -> None:
        response = self.client.get(self.url)
        rows = {row.label: row for row in response.context["differences"]}
        loudness = rows["Integrated loudness"]
        self.assertTrue(loudness.change.startswith("+"))  # the bounce is louder
        self.assertIn("Tempo", rows)
        self.assertIn("Key", rows)
        self.assertNotIn("ISRC", rows)
        self.assertContains(response, "Difference: your bounce minus the reference.")

    def test_the_compare_page_overlays_the_reference_on_the_bounce_s_tonal_balance(
        self,
    ) -> None:
        response = self.client.get(self.url)
        chart = response.context["tonal_chart"]
        self.assertIsNotNone(chart)
        self.assertEqual(chart.overlay_label, self.reference.title)
        self.assertContains(response, "Tonal balance")
        self.assertContains(response, 'class="overlay"')
        self.assertEqual(response.context["width_chart"].overlay_label, self.reference.title)
        loudness = response.context["loudness_chart"]
        self.assertEqual(loudness.overlay_label, self.reference.title)
        self.assertTrue(loudness.overlay_points)

    def test_a_reference_of_another_song_is_not_compared(self) -> None:
        from tests.base import make_song

        other = make_song(self.alice, self.cohort, title="Another")
        theirs = store_reference(other, audio_bytes("FLAC"))
        response = self.client.get(f"/bounces/{self.bounce.pk}/against/{theirs.pk}/")
        self.assertEqual(response.status_code, 404)

    def test_the_bounce_compare_page_still_compares_two_versions(self) -> None:
        second = store_bounce(self.bounce.record, audio_bytes("FLAC", 2.0), name="v2.flac")
        response = self.client.get(f"/bounces/{self.bounce.pk}/compare/{second.pk}/")
        self.assertContains(response, "What changed in the measurements")
        self.assertContains(response, f'href="/bounces/{second.pk}/" data-ab-comment-b')
        self.assertContains(response, "B: v2")

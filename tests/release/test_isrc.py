"""Release details: the ISRC in any common form, its validity and uniqueness; the artist
name and the delivery profile."""

from __future__ import annotations

from unittest import mock

from django.db import IntegrityError

from songs.models import DeliveryProfile, Song
from tests.base import HTMX, make_song
from tests.release.base import ReleaseTestCase


class IsrcTests(ReleaseTestCase):
    def save(self, isrc: str, *, song: Song | None = None, htmx: bool = True, **fields: object):  # noqa: ANN201
        self.client.force_login((song or self.song).owner)
        data = {"isrc": isrc, "artist_name": "", "delivery_profile": ""} | fields
        return self.client.post(
            self.song_url("release_details", song), data, headers=HTMX if htmx else {}
        )

    def stored_isrc(self, song: Song | None = None) -> str:
        return Song.objects.get(pk=(song or self.song).pk).isrc

    def test_common_forms_are_stored_as_the_12_character_code(self) -> None:
        for typed in [
            "ISRC US-S1Z-99-00001",
            "us-s1z-99-00001",
            "US S1Z 99 00001",
            "  USS1Z9900001 ",
            "isrc: us s1z 99 00001",
            "US–S1Z–99–00001",  # en dashes, as pasted from a PDF
        ]:
            response = self.save(typed)
            self.assertEqual(response.status_code, 200, typed)
            self.assertEqual(self.stored_isrc(), "USS1Z9900001", typed)

    def test_a_saved_isrc_is_shown_in_the_usual_hyphenated_form(self) -> None:
        response = self.save("USS1Z9900001")
        self.assertContains(response, "US-S1Z-99-00001")
        self.assertContains(response, "Release details saved.")
        self.assertEqual(response["HX-Trigger"], "release-changed")

    def test_invalid_codes_are_refused_with_what_was_typed_kept(self) -> None:
        for typed in ["US-S1Z-99-0001", "12-345-67-89012", "USS1Z99000012", "US-S1Z-9A-00001"]:
            response = self.save(typed, artist_name="The Lanterns")
            self.assertEqual(response.status_code, 200, typed)
            self.assertContains(response, "is not an ISRC. An ISRC has 12 characters")
            self.assertContains(response, f'value="{typed}"')
            self.assertContains(response, 'value="The Lanterns"')
            self.assertEqual(self.stored_isrc(), "", typed)
            self.assertFalse(response.has_header("HX-Trigger"))

    def test_an_empty_isrc_clears_it(self) -> None:
        Song.objects.filter(pk=self.song.pk).update(isrc="USS1Z9900001")
        self.save("")
        self.assertEqual(self.stored_isrc(), "")

    def test_saving_the_same_code_again_is_fine(self) -> None:
        self.save("USS1Z9900001")
        response = self.save("US-S1Z-99-00001")
        self.assertContains(response, "Release details saved.")

    def test_a_second_song_of_the_owner_with_the_same_code_is_refused_with_a_link(self) -> None:
        first = make_song(self.alice, self.cohort, title="First <b>Light</b>")
        Song.objects.filter(pk=first.pk).update(isrc="USS1Z9900001")
        response = self.save("us-s1z-99-00001")
        self.assertContains(
            response, "US-S1Z-99-00001 is already the ISRC of “First &lt;b&gt;Light"
        )
        self.assertContains(response, f'href="/songs/{first.pk}/"')
        self.assertEqual(self.stored_isrc(), "")

    def test_a_code_on_a_song_the_user_may_not_see_is_taken_without_saying_whose(self) -> None:
        secret = make_song(self.dave, self.other_cohort, title="Dave's Secret")
        Song.objects.filter(pk=secret.pk).update(isrc="USS1Z9900001")
        response = self.save("USS1Z9900001")
        self.assertContains(response, "already registered to another song")
        self.assertNotContains(response, "Dave's Secret")
        self.assertNotContains(response, f"/songs/{secret.pk}/")

    def test_a_coach_cannot_use_the_form_to_probe_codes(self) -> None:
        # Only owners reach the form, so "who holds this code" is only ever asked by them.
        self.client.force_login(self.bob)
        response = self.client.post(self.song_url("release_details"), {"isrc": "x"}, headers=HTMX)
        self.assertEqual(response.status_code, 404)

    def test_the_database_refuses_a_duplicate_that_slips_past_the_form(self) -> None:
        other = make_song(self.alice, self.cohort, title="Other")
        Song.objects.filter(pk=other.pk).update(isrc="USS1Z9900001")
        # A race: the form's look-up saw no holder, the constraint still says no.
        with mock.patch("songs.release.forms.Song.objects.filter") as look_up:
            look_up.return_value.exclude.return_value.only.return_value.first.return_value = None
            response = self.save("USS1Z9900001")
        self.assertContains(response, "This ISRC was just given to another song")
        self.assertEqual(self.stored_isrc(), "")

    def test_the_constraint_holds_outside_forms(self) -> None:
        Song.objects.filter(pk=self.song.pk).update(isrc="USS1Z9900001")
        other = make_song(self.alice, self.cohort, title="Other")
        with self.assertRaises(IntegrityError):
            Song.objects.filter(pk=other.pk).update(isrc="USS1Z9900001")

    def test_many_songs_may_have_no_isrc(self) -> None:
        make_song(self.alice, self.cohort, title="Two")
        make_song(self.alice, self.cohort, title="Three")
        self.assertEqual(Song.objects.filter(isrc="").count(), 3)


class DetailsTests(ReleaseTestCase):
    def test_the_artist_name_and_profile_are_saved(self) -> None:
        hires = DeliveryProfile.objects.get(name="Hi-res")
        self.client.force_login(self.alice)
        response = self.client.post(
            self.song_url("release_details"),
            {"artist_name": "The Lanterns", "isrc": "", "delivery_profile": hires.pk},
            headers=HTMX,
        )
        song = Song.objects.get(pk=self.song.pk)
        self.assertEqual((song.artist_name, song.delivery_profile), ("The Lanterns", hires))
        self.assertContains(response, "Hi-res")

    def test_the_default_profile_is_cd_quality(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, "CD quality")
        self.assertContains(page, "WAV or FLAC, 44.1 kHz / 16-bit and up")

    def test_artist_text_is_shown_as_text(self) -> None:
        self.client.force_login(self.alice)
        self.client.post(
            self.song_url("release_details"),
            {"artist_name": "<script>alert(1)</script>", "isrc": ""},
            headers=HTMX,
        )
        page = self.client.get(self.song.get_absolute_url())
        self.assertNotContains(page, "<script>alert(1)")
        self.assertContains(page, "&lt;script&gt;alert(1)&lt;/script&gt;")

    def test_htmx_get_swaps_in_the_form_and_cancel_swaps_it_back(self) -> None:
        self.client.force_login(self.alice)
        form = self.client.get(self.song_url("release_details"), headers=HTMX)
        self.assertTemplateUsed(form, "songs/_release_details.html")
        self.assertContains(form, "Save release details")
        self.assertNotContains(form, "<html")
        back = self.client.get(self.song_url("release_details") + "?cancel=1", headers=HTMX)
        self.assertContains(back, "Edit release details")

    def test_without_htmx_it_is_a_page_and_saving_goes_back_to_the_song(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get(self.song_url("release_details"))
        self.assertTemplateUsed(page, "songs/release_details.html")
        response = self.client.post(self.song_url("release_details"), {"isrc": "USS1Z9900001"})
        self.assertRedirects(response, self.song.get_absolute_url() + "#release")

    def test_errors_without_htmx_show_the_page_with_the_form(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(self.song_url("release_details"), {"isrc": "nope"})
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "songs/release_details.html")
        self.assertContains(response, "“nope” is not an ISRC")

    def test_only_the_owner_may_change_them(self) -> None:
        for user in [self.bob, self.frank, *self.other_users()]:
            self.client.force_login(user)
            for method in ("get", "post"):
                response = getattr(self.client, method)(
                    self.song_url("release_details"), {"isrc": ""}
                )
                self.assertEqual(response.status_code, 404, (user, method))

    def test_wrong_method_is_refused(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.put(self.song_url("release_details")).status_code, 405)

    def test_coaches_see_the_details_without_an_edit_button(self) -> None:
        Song.objects.filter(pk=self.song.pk).update(isrc="USS1Z9900001")
        self.client.force_login(self.bob)
        page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, "US-S1Z-99-00001")
        self.assertNotContains(page, "Edit release details")

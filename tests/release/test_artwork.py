"""Cover artwork: upload, hostile files, re-encoding, thumbnails, checks and serving."""

from __future__ import annotations

import io
from unittest import mock

from django.core.files.storage import default_storage
from PIL import Image

from songs.models import Song
from songs.release import artwork
from tests.base import HTMX
from tests.release.base import (
    ReleaseTestCase,
    eps_bytes,
    image_bytes,
    image_upload,
    jpeg_with_exif,
    png_claiming,
    truncated_png,
)


class UploadTests(ReleaseTestCase):
    def upload(self, name: str, data: bytes, *, htmx: bool = True, user=None):  # noqa: ANN001, ANN201
        self.client.force_login(user or self.alice)
        return self.client.post(
            self.song_url("upload_artwork"),
            {"file": image_upload(name, data)},
            headers=HTMX if htmx else {},
        )

    def stored(self) -> Song:
        return Song.objects.get(pk=self.song.pk)

    def test_a_square_jpeg_is_stored_with_its_facts(self) -> None:
        response = self.upload("cover.jpg", image_bytes(3000))
        self.assertEqual(response.status_code, 200)
        song = self.stored()
        self.assertEqual(
            (song.artwork_format, song.artwork_mode, song.artwork_width_px),
            ("JPEG", "RGB", 3000),
        )
        self.assertEqual(song.artwork_size_bytes, song.artwork.size)
        self.assertContains(response, "New cover saved.")

    def test_the_stored_names_are_generated_not_the_uploads(self) -> None:
        self.upload("../../etc/my cover<script>.jpg", image_bytes(1600))
        song = self.stored()
        self.assertRegex(song.artwork.name, rf"^artwork/{song.pk}/[0-9a-f]{{32}}\.jpg$")
        self.assertRegex(
            song.artwork_thumbnail.name, rf"^artwork/{song.pk}/[0-9a-f]{{32}}-thumb\.jpg$"
        )

    def test_the_name_does_not_decide_the_format(self) -> None:
        self.upload("cover.jpg", image_bytes(1600, fmt="PNG"))
        song = self.stored()
        self.assertEqual(song.artwork_format, "PNG")
        self.assertTrue(song.artwork.name.endswith(".png"))

    def test_the_cover_is_re_encoded_without_its_metadata(self) -> None:
        self.upload("phone.jpg", jpeg_with_exif())
        with default_storage.open(self.stored().artwork.name) as handle:
            data = handle.read()
            image = Image.open(io.BytesIO(data))
            self.assertEqual(len(image.getexif()), 0)
            self.assertNotIn(b"PhoneMaker", data)
            self.assertNotIn(b"secret note", data)

    def test_a_thumbnail_is_made_for_the_board_and_song_page(self) -> None:
        self.upload("cover.png", image_bytes(3000, fmt="PNG", mode="RGBA"))
        with default_storage.open(self.stored().artwork_thumbnail.name) as handle:
            thumb = Image.open(handle)
            self.assertEqual((thumb.format, thumb.mode, thumb.size), ("JPEG", "RGB", (400, 400)))

    def test_the_boards_show_the_cover_on_the_songs_card(self) -> None:
        self.upload("cover.jpg", image_bytes(3000))
        song = self.stored()
        thumbnail = f"{self.song_url('artwork_thumbnail')}?v={song.artwork_version}"
        for user in (self.alice, self.bob):  # her own board, her coach's
            self.client.force_login(user)
            board = self.client.get("/")
            self.assertContains(board, f'<img class="cover-mini" src="{thumbnail}"', count=1)
            self.assertContains(board, f'<span class="title">{song.title}</span>', count=1)
        self.assertContains(board, '<span class="meta owner">')

    def test_a_new_cover_replaces_the_old_files(self) -> None:
        self.upload("one.jpg", image_bytes(1600))
        first = self.stored()
        with self.captureOnCommitCallbacks(execute=True):
            self.upload("two.jpg", image_bytes(3000))
        second = self.stored()
        self.assertNotEqual(first.artwork.name, second.artwork.name)
        self.assertFalse(default_storage.exists(first.artwork.name))
        self.assertFalse(default_storage.exists(first.artwork_thumbnail.name))
        self.assertTrue(default_storage.exists(second.artwork.name))

    def test_the_htmx_answer_tells_the_readiness_panel_to_update(self) -> None:
        response = self.upload("cover.jpg", image_bytes(3000))
        self.assertEqual(response["HX-Trigger"], "release-changed")
        self.assertTemplateUsed(response, "songs/_artwork_panel.html")
        self.assertNotContains(response, "<html")

    def test_without_htmx_it_goes_back_to_the_song(self) -> None:
        response = self.upload("cover.jpg", image_bytes(1600), htmx=False)
        self.assertRedirects(response, self.song.get_absolute_url() + "#release")

    def test_a_refused_file_without_htmx_shows_the_form_page_with_the_reason(self) -> None:
        response = self.upload("cover.tif", image_bytes(100, fmt="TIFF"), htmx=False)
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "songs/release_artwork.html")
        self.assertContains(response, "This is a TIFF image")

    def test_no_file_is_refused_with_a_sentence(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(self.song_url("upload_artwork"), {}, headers=HTMX)
        self.assertContains(response, "Choose a JPEG or PNG image to upload.")


class HostileArtworkTests(ReleaseTestCase):
    def refused(self, name: str, data: bytes) -> str:
        self.client.force_login(self.alice)
        response = self.client.post(
            self.song_url("upload_artwork"), {"file": image_upload(name, data)}, headers=HTMX
        )
        # htmx swaps only 2xx answers: the fragment comes back with the reason.
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Song.objects.get(pk=self.song.pk).artwork)
        self.assertFalse(response.has_header("HX-Trigger"))
        return response.context["artwork_form"].errors["file"][0]

    def test_a_50000_pixel_square_png_is_refused_before_decoding(self) -> None:
        with mock.patch.object(Image.Image, "load", side_effect=AssertionError("decoded")):
            reason = self.refused("bomb.png", png_claiming(50_000, 50_000))
        self.assertIn("far too many pixels", reason)
        self.assertIn("3000 x 3000", reason)

    def test_an_image_over_our_own_limit_is_refused_with_its_size(self) -> None:
        with mock.patch.object(Image.Image, "load", side_effect=AssertionError("decoded")):
            reason = self.refused("big.png", png_claiming(9000, 9000))
        self.assertIn("9000 x 9000 pixels; covers here can be up to 8000 x 8000", reason)

    def test_a_tiff_named_png_is_refused_by_its_content(self) -> None:
        reason = self.refused("cover.png", image_bytes(100, fmt="TIFF"))
        self.assertIn("This is a TIFF image, whatever its name says.", reason)
        self.assertIn("Covers must be JPEG or PNG", reason)

    def test_an_eps_named_jpg_is_refused_by_its_content(self) -> None:
        with mock.patch("PIL.EpsImagePlugin.Ghostscript", side_effect=AssertionError("ran gs")):
            reason = self.refused("cover.jpg", eps_bytes())
        self.assertIn("This is an EPS or PostScript file", reason)

    def test_a_gif_is_refused(self) -> None:
        self.assertIn("a GIF image", self.refused("cover.gif", image_bytes(100, fmt="GIF")))

    def test_a_truncated_png_is_refused_with_a_clear_message(self) -> None:
        reason = self.refused("cover.png", truncated_png())
        self.assertIn("ends early (it is truncated or damaged)", reason)

    def test_an_empty_file_is_refused(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            self.song_url("upload_artwork"), {"file": image_upload("c.jpg", b"")}, headers=HTMX
        )
        self.assertContains(response, "The submitted file is empty.")

    def test_text_pretending_to_be_a_jpeg_is_refused(self) -> None:
        self.assertIn("This is not an image.", self.refused("cover.jpg", b"hello " * 50))

    def test_a_cmyk_jpeg_is_kept_but_fails_the_rgb_check(self) -> None:
        self.client.force_login(self.alice)
        response = self.client.post(
            self.song_url("upload_artwork"),
            {"file": image_upload("print.jpg", image_bytes(3000, mode="CMYK"))},
            headers=HTMX,
        )
        song = Song.objects.get(pk=self.song.pk)
        self.assertEqual(song.artwork_mode, "CMYK")
        colour = next(c for c in artwork.checks_for(song) if c.id == "colour")
        self.assertEqual(colour.status, "fail")
        self.assertContains(response, "Convert it to RGB (sRGB) in your image editor")

    def test_an_upload_over_the_size_limit_is_stopped_while_it_streams(self) -> None:
        with mock.patch.object(artwork, "MAX_UPLOAD_BYTES", 50_000):
            reason = self.refused("huge.jpg", b"\xff\xd8\xff" + b"\x00" * 200_000)
        self.assertIn("covers can be up to 49 KB", reason)

    def test_the_upload_hint_states_the_limits_the_checks_use(self) -> None:
        self.client.force_login(self.alice)
        with (
            mock.patch.object(artwork, "MAX_UPLOAD_BYTES", 50_000),
            mock.patch.object(artwork, "MAX_FILE_BYTES", 20_000),
        ):
            page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, "up to 49 KB to upload; distributors take covers of up to 20 KB")
        self.assertNotContains(page, "30 MB")


class CheckTests(ReleaseTestCase):
    def checks(self, **facts: object) -> dict[str, tuple[str, str]]:
        values = {"width_px": 3000, "height_px": 3000, "mode": "RGB", "size_bytes": 2_000_000}
        values.update(facts)
        return {c.id: (c.status, c.message) for c in artwork.checks(**values)}  # type: ignore[arg-type]

    def test_a_3000_pixel_square_rgb_cover_passes_everything(self) -> None:
        self.assertEqual({s for s, _ in self.checks().values()}, {"pass"})

    def test_each_check_says_what_to_fix(self) -> None:
        self.assertIn("Crop it to a square", self.checks(height_px=2000)["square"][1])
        self.assertIn("at least 1400", self.checks(width_px=1000, height_px=1000)["size"][1])
        self.assertEqual(self.checks(width_px=1400, height_px=1400)["size"][0], "warn")
        self.assertIn("Flatten it", self.checks(mode="RGBA")["colour"][1])
        self.assertIn("greyscale", self.checks(mode="L")["colour"][1])
        big = self.checks(size_bytes=14 * 1024 * 1024, fmt="PNG")["file_size"]
        self.assertEqual(big[0], "fail")
        self.assertIn("14 MB; many distributors accept up to 10 MB", big[1])
        self.assertIn("as a high-quality JPEG", big[1])

    def test_the_song_page_shows_the_checks_beside_the_cover(self) -> None:
        self.cover(size=2000)
        self.client.force_login(self.alice)
        page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, 'data-check="size"')
        self.assertContains(page, "stores recommend 3000 x 3000")
        self.assertContains(page, f"/songs/{self.song.pk}/cover/thumbnail/?v=")


class PermissionTests(ReleaseTestCase):
    def test_only_the_owner_may_upload(self) -> None:
        for user in [self.bob, self.frank, *self.other_users()]:
            self.client.force_login(user)
            response = self.client.post(
                self.song_url("upload_artwork"),
                {"file": image_upload("c.jpg", image_bytes(1600))},
                headers=HTMX,
            )
            self.assertEqual(response.status_code, 404, user)
        self.assertFalse(Song.objects.get(pk=self.song.pk).artwork)

    def test_the_artwork_upload_refuses_get(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.song_url("upload_artwork")).status_code, 405)

    def test_the_owner_coaches_and_admins_may_fetch_the_cover(self) -> None:
        self.cover(size=1600)
        for user in [self.alice, self.bob, self.frank]:
            self.client.force_login(user)
            for name, content_type in [
                ("artwork", "image/jpeg"),
                ("artwork_thumbnail", "image/jpeg"),
            ]:
                response = self.client.get(self.song_url(name))
                self.assertEqual(response.status_code, 200, (user, name))
                self.assertEqual(response["Content-Type"], content_type)
                self.assertEqual(response["Content-Security-Policy"], "default-src 'none'; sandbox")
                self.assertIn("inline", response["Content-Disposition"])
                b"".join(response.streaming_content)

    def test_everyone_else_gets_404_for_the_cover(self) -> None:
        self.cover(size=1600)
        for user in self.other_users():
            self.client.force_login(user)
            self.assertEqual(self.client.get(self.song_url("artwork")).status_code, 404, user)
            self.assertEqual(
                self.client.get(self.song_url("artwork_thumbnail")).status_code, 404, user
            )

    def test_a_song_without_a_cover_answers_404(self) -> None:
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.song_url("artwork")).status_code, 404)

    def test_a_png_cover_is_served_as_png(self) -> None:
        self.cover(size=1600, fmt="PNG")
        self.client.force_login(self.alice)
        self.assertEqual(self.client.get(self.song_url("artwork"))["Content-Type"], "image/png")

    def test_coaches_see_the_cover_but_no_upload_form(self) -> None:
        self.cover(size=1600)
        self.client.force_login(self.bob)
        page = self.client.get(self.song.get_absolute_url())
        self.assertContains(page, "Cover of Paper Lanterns")
        self.assertNotContains(page, "Upload cover")

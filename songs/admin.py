from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from songs.models import Bounce, DeliveryProfile, GenreProfile, ReferenceTrack, Song
from songs.storage import DeletesStoredFilesMixin


@admin.register(Song)
class SongAdmin(DeletesStoredFilesMixin, admin.ModelAdmin[Song]):
    list_display = ["title", "owner", "cohort", "isrc", "released_at", "updated_at"]
    list_filter = ["cohort", "released_at", "archived_at"]
    list_select_related = ["owner", "cohort"]
    search_fields = ["title", "owner__username", "owner__email", "isrc"]
    readonly_fields = [
        "created_at",
        "updated_at",
        "artwork_format",
        "artwork_mode",
        "artwork_width_px",
        "artwork_height_px",
        "artwork_size_bytes",
        "artwork_uploaded_at",
        "released_at",
        "retrospective_at",
    ]
    raw_id_fields = ["owner"]


@admin.register(Bounce)
class BounceAdmin(DeletesStoredFilesMixin, admin.ModelAdmin[Bounce]):
    list_display = [
        "__str__",
        "audio_format",
        "analysis_state",
        "integrated_lufs",
        "true_peak_dbtp",
        "uploaded_by",
        "created_at",
        "hidden_at",
    ]
    list_filter = ["audio_format", "analysis_state", ("hidden_at", admin.EmptyFieldListFilter)]
    list_select_related = ["record__song", "record__stage", "uploaded_by"]
    search_fields = ["original_name", "record__song__title", "sha256"]
    # Uploads and their analyses are records of what happened: only the note is editable.
    readonly_fields = [f.name for f in Bounce._meta.fields if f.name not in {"id", "note"}]
    actions = ["restore"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bounce]:
        # Staff see the versions students set aside too, to bring them back.
        return Bounce.everything.get_queryset()

    @admin.action(description="Bring back the selected versions a student set aside")
    def restore(self, request: HttpRequest, queryset: QuerySet[Bounce]) -> None:
        for bounce in queryset.filter(hidden_at__isnull=False):
            bounce.restore()


@admin.register(DeliveryProfile)
class DeliveryProfileAdmin(admin.ModelAdmin[DeliveryProfile]):
    list_display = ["name", "description", "min_sample_rate_hz", "min_bit_depth", "is_default"]
    list_editable = ["is_default"]
    ordering = ["position", "name"]


@admin.register(GenreProfile)
class GenreProfileAdmin(admin.ModelAdmin[GenreProfile]):
    """Profiles are data: measure one from records with `manage.py measure_genre_profile`,
    or edit the figures here; the source says where they come from."""

    list_display = ["name", "measured_tracks", "source"]
    search_fields = ["name", "source"]


@admin.register(ReferenceTrack)
class ReferenceTrackAdmin(DeletesStoredFilesMixin, admin.ModelAdmin[ReferenceTrack]):
    """Reference tracks are the student's: staff see their state and reasons, and may not
    change the analysis by hand."""

    list_display = ["title", "song", "analysis_state", "music_state", "created_at"]
    list_filter = ["analysis_state", "music_state"]
    search_fields = ["title", "song__title"]
    readonly_fields = ["report", "music", "analysis_error", "music_error"]

from __future__ import annotations

from django.contrib import admin

from songs.models import Bounce, DeliveryProfile, Song


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
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
class BounceAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "audio_format",
        "analysis_state",
        "integrated_lufs",
        "true_peak_dbtp",
        "uploaded_by",
        "created_at",
    ]
    list_filter = ["audio_format", "analysis_state"]
    list_select_related = ["record__song", "record__stage", "uploaded_by"]
    search_fields = ["original_name", "record__song__title", "sha256"]
    readonly_fields = [
        "record",
        "version",
        "file",
        "original_name",
        "size_bytes",
        "sha256",
        "audio_format",
        "uploaded_by",
        "created_at",
        "analysis_state",
        "analysis_error",
        "analysis_attempts",
        "analysis_task_id",
        "analysis_queued_at",
        "analysis_started_at",
        "analysed_at",
        "report",
        "waveform",
        "integrated_lufs",
        "true_peak_dbtp",
        "loudness_range_lu",
        "duration_s",
        "sample_rate",
        "checks_failed",
        "checks_warned",
    ]


@admin.register(DeliveryProfile)
class DeliveryProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "min_sample_rate_hz", "min_bit_depth", "is_default"]
    list_editable = ["is_default"]
    ordering = ["position", "name"]

from __future__ import annotations

from django.contrib import admin

from songs.models import Bounce, Song


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "cohort", "updated_at"]
    list_filter = ["cohort"]
    list_select_related = ["owner", "cohort"]
    search_fields = ["title", "owner__username", "owner__email"]
    readonly_fields = ["created_at", "updated_at"]
    raw_id_fields = ["owner"]


@admin.register(Bounce)
class BounceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "audio_format", "size_bytes", "uploaded_by", "created_at"]
    list_filter = ["audio_format"]
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
    ]

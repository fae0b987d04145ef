from __future__ import annotations

from django.contrib import admin

from songs.storage import DeletesStoredFilesMixin
from stages.models import CoreAction, Stage, StageRecord


class CoreActionInline(admin.TabularInline[CoreAction, Stage]):
    model = CoreAction
    extra = 0


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin[Stage]):
    list_display = ["order", "name", "theme", "left_pole", "right_pole"]
    list_display_links = ["name"]
    inlines = [CoreActionInline]


@admin.register(StageRecord)
class StageRecordAdmin(DeletesStoredFilesMixin, admin.ModelAdmin[StageRecord]):
    list_display = ["song", "stage", "status", "submitted_at", "updated_at"]
    list_filter = ["status", "stage"]
    list_select_related = ["song", "stage"]
    search_fields = ["song__title", "song__owner__username"]
    readonly_fields = ["started_at", "submitted_at", "approved_at", "reopened_count", "updated_at"]
    raw_id_fields = ["song"]

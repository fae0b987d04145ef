from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from coaching.models import (
    ActionMark,
    Activity,
    Cohort,
    Comment,
    Invite,
    Membership,
    Notification,
    Review,
    Snippet,
    StageDeadline,
    User,
)
from songs.storage import DeletesStoredFilesMixin


@admin.register(User)
class UserAdmin(DeletesStoredFilesMixin, BaseUserAdmin[User]):
    list_display = ["username", "email", "first_name", "last_name", "is_course_admin", "is_staff"]
    list_filter = ["is_course_admin", "is_staff", "is_active"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        ("Stagecoach", {"fields": ["is_course_admin"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]


class MembershipInline(admin.TabularInline[Membership, Cohort]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["joined_at"]


class DeadlineInline(admin.TabularInline[StageDeadline, Cohort]):
    model = StageDeadline
    extra = 0


@admin.register(Cohort)
class CohortAdmin(DeletesStoredFilesMixin, admin.ModelAdmin[Cohort]):
    list_display = ["name", "course", "starts_on", "ends_on", "archived_at"]
    list_filter = ["archived_at", "course"]
    search_fields = ["name", "course"]
    readonly_fields = ["created_at"]
    inlines = [DeadlineInline, MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "cohort", "role", "joined_at"]
    list_filter = ["role", "cohort"]
    list_select_related = ["user", "cohort"]
    search_fields = ["user__username", "user__email", "cohort__name"]
    autocomplete_fields = ["user"]
    readonly_fields = ["joined_at"]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin[Invite]):
    list_display = ["cohort", "role", "uses", "max_uses", "expires_at", "revoked_at"]
    list_filter = ["role", "cohort"]
    list_select_related = ["cohort"]
    readonly_fields = ["key", "uses", "created_by", "created_at"]


class ActionMarkInline(admin.TabularInline[ActionMark, Review]):
    model = ActionMark
    extra = 0


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin[Review]):
    list_display = ["record", "round", "coach", "verdict", "created_at"]
    list_filter = ["verdict", "record__stage"]
    list_select_related = ["record__song", "record__stage", "coach"]
    search_fields = ["record__song__title", "coach__username", "summary"]
    readonly_fields = ["record", "round", "coach", "submitted_at", "created_at", "self_balance"]
    inlines = [ActionMarkInline]


@admin.register(Comment)
class CommentAdmin(DeletesStoredFilesMixin, admin.ModelAdmin[Comment]):
    list_display = ["__str__", "author", "at_s", "blocking", "resolved_at", "created_at"]
    list_filter = ["blocking"]
    list_select_related = ["author", "record__song"]
    search_fields = ["body", "author__username", "record__song__title"]
    readonly_fields = ["record", "bounce", "parent", "author", "created_at", "resolved_by"]


@admin.register(Snippet)
class SnippetAdmin(admin.ModelAdmin[Snippet]):
    list_display = ["title", "coach", "check_id"]
    list_filter = ["check_id"]
    list_select_related = ["coach"]
    search_fields = ["title", "body"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["message", "recipient", "kind", "read_at", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    search_fields = ["message", "recipient__username"]
    readonly_fields = ["recipient", "kind", "message", "url", "created_at"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin[Activity]):
    list_display = ["created_at", "actor", "verb", "message", "cohort"]
    list_filter = ["verb", "cohort"]
    list_select_related = ["actor", "cohort"]
    search_fields = ["message"]
    readonly_fields = ["actor", "verb", "message", "cohort", "song", "created_at"]

from __future__ import annotations

from django.urls import path

from coaching import cohort_views, views

app_name = "coaching"

urlpatterns = [
    path("coach/queue/", views.queue, name="queue"),
    path("coach/review/<int:pk>/", views.review, name="review"),
    path("coach/review/<int:pk>/blocking/", views.review_blocking, name="review_blocking"),
    path("coach/review/<int:pk>/draft/", views.review_draft, name="review_draft"),
    path("coach/snippets/", views.snippets, name="snippets"),
    path("coach/snippets/<int:pk>/delete/", views.delete_snippet, name="delete_snippet"),
    path("records/<int:record_pk>/comments/", views.add_comment, name="add_comment"),
    path("comments/<int:pk>/resolve/", views.resolve_comment, name="resolve_comment"),
    path("comments/<int:pk>/voice/", views.comment_voice, name="comment_voice"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/<int:pk>/", views.open_notification, name="open_notification"),
    path("notifications/read/", views.read_all, name="read_all"),
    path("people/<int:pk>/tendencies/", views.student_tendencies, name="tendencies"),
    path("people/tendencies/", views.tendencies_people, name="tendencies_people"),
    # Cohort administration
    path("cohorts/", cohort_views.cohort_list, name="cohorts"),
    path("cohorts/new/", cohort_views.cohort_new, name="cohort_new"),
    path("cohorts/<int:pk>/", cohort_views.cohort_detail, name="cohort"),
    path("cohorts/<int:pk>/edit/", cohort_views.cohort_edit, name="cohort_edit"),
    path("cohorts/<int:pk>/archive/", cohort_views.cohort_archive, name="cohort_archive"),
    path("cohorts/<int:pk>/duplicate/", cohort_views.cohort_duplicate, name="cohort_duplicate"),
    path("cohorts/<int:pk>/invites/", cohort_views.invite_create, name="invite_create"),
    path("invites/<int:pk>/revoke/", cohort_views.invite_revoke, name="invite_revoke"),
    path("join/<str:token>/", cohort_views.join, name="join"),
    path("cohorts/<int:pk>/import/", cohort_views.cohort_import, name="cohort_import"),
    path("cohorts/<int:pk>/coaches/", cohort_views.coach_add, name="coach_add"),
    path(
        "cohorts/<int:pk>/members/<int:membership_pk>/remove/",
        cohort_views.member_remove,
        name="member_remove",
    ),
    path(
        "cohorts/<int:pk>/members/<int:membership_pk>/move/",
        cohort_views.member_move,
        name="member_move",
    ),
    path("cohorts/<int:pk>/progress/", cohort_views.cohort_progress, name="progress"),
    path("cohorts/<int:pk>/analytics/", cohort_views.cohort_analytics, name="analytics"),
    path("cohorts/<int:pk>/export.csv", cohort_views.cohort_export, name="export"),
]

from __future__ import annotations

from django.urls import path

from coaching import views

app_name = "coaching"

urlpatterns = [
    path("coach/queue/", views.queue, name="queue"),
    path("coach/review/<int:pk>/", views.review, name="review"),
    path("coach/snippets/", views.snippets, name="snippets"),
    path("coach/snippets/<int:pk>/delete/", views.delete_snippet, name="delete_snippet"),
    path("records/<int:record_pk>/comments/", views.add_comment, name="add_comment"),
    path("comments/<int:pk>/resolve/", views.resolve_comment, name="resolve_comment"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/<int:pk>/", views.open_notification, name="open_notification"),
    path("notifications/read/", views.read_all, name="read_all"),
    path("people/<int:pk>/tendencies/", views.student_tendencies, name="tendencies"),
]

from __future__ import annotations

from django.urls import path

from stages import views

app_name = "stages"

record = "songs/<int:song_pk>/stages/<slug:stage>/"

urlpatterns = [
    path(record, views.record_detail, name="record"),
    path(record + "actions/<int:action_pk>/", views.tick_action, name="tick"),
    path(record + "journal/", views.save_journal, name="journal"),
    path(record + "balance/", views.place_balance, name="balance"),
    path(record + "start/", views.start_record, name="start"),
    path(record + "submit/", views.submit_record, name="submit"),
    path(record + "reopen/", views.reopen_record, name="reopen"),
]

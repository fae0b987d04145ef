from __future__ import annotations

from django.urls import path

from songs import views

app_name = "songs"

urlpatterns = [
    path("", views.home, name="home"),
    path("songs/new/", views.new_song, name="new"),
    path("songs/<int:pk>/", views.song_detail, name="detail"),
    path("songs/<int:pk>/edit/", views.edit_song, name="edit"),
    path("bounces/<int:pk>/", views.bounce_detail, name="bounce"),
    path("bounces/<int:pk>/compare/<int:other_pk>/", views.compare_bounces, name="compare"),
    path("bounces/<int:pk>/analysis/", views.bounce_analysis, name="bounce_analysis"),
    path("bounces/<int:pk>/analyse/", views.reanalyse_bounce, name="reanalyse"),
    path("bounces/<int:pk>/waveform.png", views.bounce_waveform, name="bounce_waveform"),
    path("bounces/<int:pk>/audio/", views.bounce_audio, name="bounce_audio"),
    path("bounces/<int:pk>/download/", views.bounce_download, name="bounce_download"),
]

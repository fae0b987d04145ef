from __future__ import annotations

from django.urls import path

from songs import views
from songs.references import views as reference_views
from songs.release import views as release_views

app_name = "songs"

urlpatterns = [
    path("", views.home, name="home"),
    path("songs/new/", views.new_song, name="new"),
    path("songs/<int:pk>/", views.song_detail, name="detail"),
    path("songs/<int:pk>/edit/", views.edit_song, name="edit"),
    # Release: artwork, details, readiness, dossier, retrospective (songs/release/views.py).
    path("songs/<int:pk>/artwork/", release_views.upload_artwork, name="upload_artwork"),
    path("songs/<int:pk>/cover/", release_views.artwork_image, name="artwork"),
    path(
        "songs/<int:pk>/cover/thumbnail/",
        release_views.artwork_thumbnail,
        name="artwork_thumbnail",
    ),
    path("songs/<int:pk>/release-details/", release_views.release_details, name="release_details"),
    path("songs/<int:pk>/readiness/", release_views.readiness_panel, name="readiness"),
    path("songs/<int:pk>/release/", release_views.release_song, name="release"),
    path("songs/<int:pk>/archive/", release_views.archive_song, name="archive"),
    path("songs/<int:pk>/retrospective/", release_views.retrospective, name="retrospective"),
    path("songs/<int:pk>/dossier/", release_views.dossier, name="dossier"),
    path("songs/<int:pk>/dossier.json", release_views.dossier_json, name="dossier_json"),
    # The upload lives with bounces; its URL sits under the stage it adds a version to.
    path("songs/<int:song_pk>/stages/<slug:stage>/bounces/", views.upload_bounce, name="upload"),
    path(
        "songs/<int:song_pk>/stages/<slug:stage>/bounces/earlier/",
        views.earlier_bounces,
        name="earlier_bounces",
    ),
    path("bounces/<int:pk>/", views.bounce_detail, name="bounce"),
    path("bounces/<int:pk>/compare/<int:other_pk>/", views.compare_bounces, name="compare"),
    path("bounces/<int:pk>/analysis/", views.bounce_analysis, name="bounce_analysis"),
    path("bounces/<int:pk>/analyse/", views.reanalyse_bounce, name="reanalyse"),
    path("bounces/<int:pk>/set-aside/", views.hide_bounce, name="hide_bounce"),
    path("bounces/<int:pk>/fill-song/", views.fill_song, name="fill_song"),
    path("bounces/<int:pk>/waveform.png", views.bounce_waveform, name="bounce_waveform"),
    path("bounces/<int:pk>/peaks.json", views.bounce_peaks, name="bounce_peaks"),
    path("bounces/<int:pk>/audio/", views.bounce_audio, name="bounce_audio"),
    path("bounces/<int:pk>/download/", views.bounce_download, name="bounce_download"),
    # Reference tracks: released records beside the song (songs/references/views.py). They
    # play inline and are never offered for download.
    path("songs/<int:pk>/references/", reference_views.add_reference, name="add_reference"),
    path("references/<int:pk>/remove/", reference_views.remove_reference, name="remove_reference"),
    path("references/<int:pk>/retry/", reference_views.retry_reference, name="retry_reference"),
    path(
        "references/<int:pk>/analysis/",
        reference_views.reference_analysis,
        name="reference_analysis",
    ),
    path("references/<int:pk>/audio/", reference_views.reference_audio, name="reference_audio"),
    path("references/<int:pk>/peaks.json", reference_views.reference_peaks, name="reference_peaks"),
    path(
        "bounces/<int:pk>/against/<int:reference_pk>/",
        reference_views.compare_reference,
        name="compare_reference",
    ),
]

"""Releasing a song: cover artwork, release details (artist, ISRC, delivery profile), the
readiness panel, the release dossier, and the retrospective that starts the next song.

Everything is looked up through Song's permission-scoped queryset (`visible_to`: the
owner, the cohort's coaches and course admins), then the song's own rule says who may change
it (`Song.editable_by`, `Song.finishable_by`); anyone else gets a 404.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from coaching import limits
from coaching.http import AuthenticatedHttpRequest
from coaching.models import Review, User
from coaching.statements import Statement
from songs import display
from songs.analysis.units import size as format_size
from songs.media import protected_file_response
from songs.models import IsrcTaken, ReleaseRuleError, Song, shown_song
from songs.release import artwork, services
from songs.release import dossier as dossiers
from songs.release.forms import ArtworkForm, ReleaseDetailsForm, RetrospectiveForm
from songs.release.readiness import Readiness, readiness_for
from songs.targets import audio_targets
from songs.uploads import SizeLimitUploadHandler

# Tells the readiness panel (hx-trigger="release-changed from:body") to fetch itself again.
RELEASE_CHANGED = "release-changed"


def _song(request: AuthenticatedHttpRequest, pk: int) -> Song:
    songs = Song.objects.visible_to(request.user)
    return get_object_or_404(songs.select_related("owner", "cohort", "delivery_profile"), pk=pk)


def _owned(request: AuthenticatedHttpRequest, pk: int) -> Song:
    song = _song(request, pk)
    if song.owner_id != request.user.pk:
        raise Http404("Only the song's owner changes it.")
    return song


def _editable(request: AuthenticatedHttpRequest, pk: int) -> Song:
    """The owner's song while its release data may change (else the ReadOnly refusal)."""
    song = _owned(request, pk)
    song.ensure_open()
    return song


def _finishable(request: AuthenticatedHttpRequest, pk: int) -> Song:
    """The owner's song while its cohort is open: to release it, set it aside or look back
    on it (else the ReadOnly refusal)."""
    song = _owned(request, pk)
    song.cohort.ensure_open()
    return song


def readiness_of(song: Song) -> Readiness:
    return readiness_for(song, targets=audio_targets())


def artwork_context(song: Song) -> dict[str, Any]:
    """What the cover panel shows: the stored cover's checks and the rules for a new one."""
    return {
        "artwork_checks": artwork.checks_for(song),
        "cover_rules": {
            "min_px": artwork.MIN_PX,
            "recommended_px": artwork.RECOMMENDED_PX,
            "max_upload": format_size(artwork.MAX_UPLOAD_BYTES),
            "max_file": format_size(artwork.MAX_FILE_BYTES),
            "accept": artwork.ACCEPT_ATTRIBUTE,
        },
    }


def release_context(song: Song, user: User) -> dict[str, Any]:
    """What the song page's release section shows `user` (the song's work loaded, as
    Song.load_work loads it)."""
    return artwork_context(song) | {
        "readiness": readiness_of(song),
        "can_edit": song.editable_by(user),
        "can_finish": song.finishable_by(user),
    }


def _song_anchor(song: Song) -> str:
    return song.get_absolute_url() + "#release"


# --- Artwork --------------------------------------------------------------------------------


@csrf_exempt
@login_required
@require_POST
def upload_artwork(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # The size guard must be in place before anything (the CSRF check included) reads the
    # body, so CSRF is checked just below, once the handler is installed.
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request, artwork.MAX_UPLOAD_BYTES))
    return _upload_artwork(request, pk)


@csrf_protect
def _upload_artwork(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    song = _editable(request, pk)
    form = ArtworkForm(request.POST, request.FILES)
    refused = getattr(request, "upload_refused", "")
    stored = False
    limited = limits.upload_limited(request, kept="your current cover stays as it is")
    if refused or limited:
        form.is_valid()
        form.errors.pop("file", None)
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        form.add_error(
            "file", limited.message if limited else artwork.refused_size_message(declared)
        )
    elif form.is_valid():
        try:
            artwork.store(song=song, processed=form.cleaned_data["processed"])
            stored = True
        except artwork.ArtworkError as exc:
            form.add_error("file", str(exc))

    if not request.htmx:
        if stored:
            messages.success(request, "The new cover is saved.")
            return redirect(_song_anchor(song))
        response = render(
            request,
            "songs/release_artwork.html",
            {"song": song, "artwork_form": form, "can_edit": True} | artwork_context(song),
        )
    else:
        context = {"song": song, "can_edit": True, "uploaded": stored} | artwork_context(song)
        if not stored:
            context["artwork_form"] = form
        response = render(request, "songs/_artwork_panel.html", context)
        if stored:
            response["HX-Trigger"] = RELEASE_CHANGED
    return limits.answer(response, limited) if limited else response


def _artwork_file(
    request: AuthenticatedHttpRequest, pk: int, *, thumbnail: bool
) -> HttpResponseBase:
    song = get_object_or_404(Song.objects.visible_to(request.user), pk=pk)
    stored = song.artwork_thumbnail if thumbnail else song.artwork
    if not stored.name or not stored.storage.exists(stored.name):
        raise Http404("This song has no cover yet.")
    if thumbnail or song.artwork_format == "JPEG":
        content_type, extension = "image/jpeg", "jpg"
    else:
        content_type, extension = "image/png", "png"
    name = slugify(song.title) or "cover"
    return protected_file_response(
        request,
        stored,
        content_type=content_type,
        filename=f"{name}-cover{'-thumbnail' if thumbnail else ''}.{extension}",
        as_attachment=False,
    )


@login_required
@require_safe
def artwork_image(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    return _artwork_file(request, pk, thumbnail=False)


@login_required
@require_safe
def artwork_thumbnail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    return _artwork_file(request, pk, thumbnail=True)


# --- Release details ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def release_details(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: the form (htmx: in place of the details card; `?cancel` puts the card back).
    POST: save; errors come back in the form with what was typed, status 200."""
    song = _editable(request, pk)
    if request.method != "POST":
        if request.htmx and "cancel" in request.GET:
            return render(request, "songs/_release_details.html", {"song": song, "can_edit": True})
        form = ReleaseDetailsForm(song=song, viewer=request.user)
        return _details_response(request, song, form)

    form = ReleaseDetailsForm(request.POST, song=song, viewer=request.user)
    if form.is_valid():
        try:
            services.save_release_details(
                song=song,
                artist_name=form.cleaned_data["artist_name"],
                isrc=form.cleaned_data["isrc"],
                delivery_profile=form.cleaned_data["delivery_profile"],
            )
        except IsrcTaken:
            # Another song took the code between the check and the save.
            form.add_error("isrc", "This ISRC was just given to another song; check the code.")
        else:
            if not request.htmx:
                messages.success(request, "Release details saved.")
                return redirect(_song_anchor(song))
            response = render(
                request,
                "songs/_release_details.html",
                {"song": song, "can_edit": True, "saved": True},
            )
            response["HX-Trigger"] = RELEASE_CHANGED
            return response
    return _details_response(request, song, form)


def _details_response(
    request: AuthenticatedHttpRequest, song: Song, form: ReleaseDetailsForm
) -> HttpResponse:
    context = {"song": song, "can_edit": True, "details_form": form}
    template = "songs/_release_details.html" if request.htmx else "songs/release_details.html"
    return render(request, template, context)


# --- Readiness ------------------------------------------------------------------------------


@login_required
@require_safe
def readiness_panel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The readiness panel alone, for htmx to swap in after a change."""
    song = shown_song(request.user, pk, newest_first=False)
    if not request.htmx:
        return redirect(_song_anchor(song))
    return render(
        request,
        "songs/_release_readiness.html",
        {"song": song} | release_context(song, request.user),
    )


# --- Release, archive, retrospective --------------------------------------------------------


@login_required
@require_POST
def release_song(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    song = _finishable(request, pk)
    try:
        if services.release_song(song=song):
            messages.success(
                request, f"“{song.title}” is released. Now look back before the next song."
            )
        return redirect("songs:retrospective", pk=song.pk)
    except ReleaseRuleError as error:
        messages.error(request, str(error))
        return redirect(_song_anchor(song))


@login_required
@require_POST
def archive_song(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    song = _finishable(request, pk)
    try:
        if song.archive():
            messages.success(
                request, f"“{song.title}” is archived. Look back on it before the next song."
            )
    except ReleaseRuleError as error:
        messages.error(request, str(error))
        return redirect(_song_anchor(song))
    return redirect("songs:retrospective", pk=song.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def retrospective(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    song = _finishable(request, pk)
    form = RetrospectiveForm(request.POST or None, song=song)
    if request.method == "POST" and form.is_valid():
        try:
            song.write_retrospective(
                worked=form.cleaned_data["worked"],
                change=form.cleaned_data["change"],
                habit=form.cleaned_data["habit"],
            )
        except ReleaseRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Retrospective saved. Your next song opens with that habit.")
            return redirect(_song_anchor(song))
    return render(request, "songs/release_retrospective.html", {"song": song, "form": form})


# --- The dossier ----------------------------------------------------------------------------


_DOSSIER_REVIEWS: Statement[Review] = Statement(
    lambda song_pk: Review.objects.filter(record__song_id=song_pk).select_related("coach")
)


def _dossier(request: AuthenticatedHttpRequest, pk: int) -> dict[str, Any]:
    song = shown_song(request.user, pk, newest_first=False)
    records = song.ordered_records()
    reviews = _DOSSIER_REVIEWS(song.pk)
    versions = dossiers.history(records)
    readiness = readiness_of(song)
    stages = dossiers.journey(records, reviews)
    return {
        "song": song,
        "started": dossiers.started(song, records),
        "stages": stages,
        "any_reviews": any(step.reviews for step in stages),
        "versions": versions,
        "readiness": readiness,
        "master": readiness.master,
    }


@login_required
@require_safe
def dossier(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One printable page: the song's journey, loudness across versions, the final
    technical report and the readiness list."""
    context = _dossier(request, pk)
    master = context["master"]
    report = master.analysis if master is not None else None
    targets = audio_targets()
    context |= {
        "chart": dossiers.history_chart(
            context["versions"], target_lufs=targets.master_integrated_lufs
        ),
        "balance": dossiers.balance_chart(context["stages"]),
        "balance_narrow": dossiers.balance_chart(context["stages"], narrow=True),
        "figures": display.figures(report) if report else [],
        "checks": display.ordered(master.judge(targets)) if master else [],
        "can_edit": context["song"].editable_by(request.user),
    }
    if master is not None:
        context |= display.music_context(master, request.user)
    return render(request, "songs/release_dossier.html", context)


@login_required
@require_safe
def dossier_json(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    context = _dossier(request, pk)
    song = context["song"]
    master = context["master"]
    data = dossiers.dossier_json(
        song=song,
        stages=context["stages"],
        versions=context["versions"],
        readiness=context["readiness"],
        master_checks=master.judge(audio_targets()) if master else (),
    )
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    name = slugify(song.title) or f"song-{song.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}-dossier.json"'
    return response

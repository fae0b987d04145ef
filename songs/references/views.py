"""Reference tracks on a song: the card on the song page (attach, play, remove, try
again), the files its player and the compare page read, and the compare page of a bounce
against a reference.

Everything is looked up through a permission-scoped queryset (`visible_to`: the owner, the
cohort's coaches and course admins), so anyone else gets a 404; only the owner changes a
song's references, and a settled song refuses every change (Song.ensure_open). The audio
leaves inline, for the player, and is never offered for download: a reference is someone
else's record.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from coaching import limits
from coaching.http import AuthenticatedHttpRequest
from coaching.models import User
from coaching.statements import Statement
from songs import display
from songs.analysis.formats import ACCEPTED_LABELS
from songs.analysis.units import size as format_size
from songs.media import protected_file_response
from songs.models import AnalysisState, Bounce, ReferenceTrack, Song
from songs.references import services
from songs.references.forms import ReferenceForm
from songs.services import MAX_NAME_CHARS
from songs.uploads import SizeLimitUploadHandler

FORM_IDS = "id_reference_%s"


def reference_too_large(size_bytes: int, limit_bytes: int) -> str:
    return (
        f"This file is about {format_size(size_bytes)}; reference tracks can be up to "
        f"{format_size(limit_bytes)}. Attach a compressed copy of the record (FLAC, or a "
        "high-bit-rate MP3 or M4A)."
    )


def reference_form(data: Any = None, files: Any = None) -> ReferenceForm:
    return ReferenceForm(data, files, auto_id=FORM_IDS)


# --- The song page's card -------------------------------------------------------------------


def latest_bounces(song: Song) -> list[Bounce]:
    """The latest version of each stage that has one, the most recent first: what a
    reference is compared with."""
    latest: dict[int, Bounce] = {}
    bounces = (
        Bounce.objects.filter(record__song=song)
        .select_related("record__stage")
        .only("pk", "version", "created_at", "record__stage__name", "record__stage__order")
        .order_by("-created_at", "-pk")
    )
    for bounce in bounces:
        latest.setdefault(bounce.record_id, bounce)
    return list(latest.values())


_REFERENCES: Statement[ReferenceTrack] = Statement(
    lambda song_pk: (
        ReferenceTrack.objects.filter(song_id=song_pk).defer("report").order_by("created_at", "pk")
    )
)


def references_context(song: Song, user: User, form: ReferenceForm | None = None) -> dict[str, Any]:
    """The card's references, what each compares with, and the form to attach another."""
    limit = settings.BOUNCE_MAX_UPLOAD_BYTES
    references = _REFERENCES(song.pk)
    for reference in references:
        reference.song = song
    return {
        "song": song,
        "references": references,
        # Each reference offers the comparisons; without one there is nothing to look up.
        "compare_with": latest_bounces(song) if references else [],
        "is_owner": song.owner_id == user.pk,
        "can_edit": song.editable_by(user),
        "reference_form": form or reference_form(),
        "reference_rules": {
            "max_bytes": limit,
            "max_label": format_size(limit),
            "accepted": ACCEPTED_LABELS,
            "too_large": f"This file is over {format_size(limit)}, the largest reference "
            "track Stagecoach takes. Attach a compressed copy of the record (FLAC, or a "
            "high-bit-rate MP3 or M4A).",
            "max_name_chars": MAX_NAME_CHARS,
            "too_long_name_message": f"This file's name is over {MAX_NAME_CHARS} characters, "
            "longer than Stagecoach can take. Rename the file and choose it again.",
        },
    }


def _song(request: AuthenticatedHttpRequest, pk: int) -> Song:
    songs = Song.objects.visible_to(request.user).select_related("owner", "cohort")
    return get_object_or_404(songs, pk=pk)


def _editable_song(request: AuthenticatedHttpRequest, pk: int) -> Song:
    """The owner's song while its work may change (else the ReadOnly refusal)."""
    song = _song(request, pk)
    if song.owner_id != request.user.pk:
        raise Http404("Only the song's owner attaches references to it.")
    song.ensure_open()
    return song


def _reference(request: AuthenticatedHttpRequest, pk: int) -> ReferenceTrack:
    references = ReferenceTrack.objects.visible_to(request.user).select_related(
        "song__owner", "song__cohort"
    )
    return get_object_or_404(references, pk=pk)


def _owned_reference(request: AuthenticatedHttpRequest, pk: int) -> ReferenceTrack:
    reference = _reference(request, pk)
    if reference.song.owner_id != request.user.pk:
        raise Http404("Only the song's owner changes its references.")
    return reference


def _card_anchor(song: Song) -> str:
    return song.get_absolute_url() + "#references"


@csrf_exempt
@login_required
@require_POST
def add_reference(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # The size guard must be in place before anything (the CSRF check included) reads the
    # body, so CSRF is checked just below, once the handler is installed.
    request.upload_handlers.insert(
        0,
        SizeLimitUploadHandler(request, settings.BOUNCE_MAX_UPLOAD_BYTES, reference_too_large),
    )
    return _add_reference(request, pk)


@csrf_protect
def _add_reference(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    song = _editable_song(request, pk)  # refused before a byte of the upload is read
    form = reference_form(request.POST, request.FILES)
    refused = getattr(request, "upload_refused", "")
    reference = None
    limited = limits.upload_limited(request, kept="the title you typed is kept")
    if limited:
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", limited.message)
    elif form.is_valid() and not refused:
        try:
            reference = services.upload_reference(
                song=song,
                uploaded_by=request.user,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
            )
        except services.UploadRejected as exc:
            form.add_error("file", str(exc))
    elif refused:
        form.errors.pop("file", None)
        form.add_error("file", refused)

    if reference is not None:
        if not request.htmx:
            messages.success(request, f"“{reference.title}” is attached as a reference.")
            return redirect(_card_anchor(song))
        form = reference_form()
    context = references_context(song, request.user, form) | {"added": reference}
    # Without htmx a refused file gets a page of its own: the reason, the title as typed,
    # and the form to try again.
    template = "songs/_references.html" if request.htmx else "songs/add_reference.html"
    response = render(request, template, context)
    return limits.answer(response, limited) if limited else response


@login_required
@require_POST
def remove_reference(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reference = _owned_reference(request, pk)
    song = reference.song
    services.remove_reference(reference=reference, by=request.user)
    if request.htmx:
        context = references_context(song, request.user) | {"removed": reference.title}
        return render(request, "songs/_references.html", context)
    messages.success(request, f"“{reference.title}” is no longer a reference for this song.")
    return redirect(_card_anchor(song))


def _analysis_panel(request: AuthenticatedHttpRequest, reference: ReferenceTrack) -> HttpResponse:
    song = reference.song
    context = {
        "reference": reference,
        "song": song,
        "compare_with": latest_bounces(song),
        "can_edit": song.editable_by(request.user),
    }
    return render(request, "songs/_reference_analysis.html", context)


@login_required
@require_POST
def retry_reference(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reference = _owned_reference(request, pk)
    queued = services.retry_reference(reference=reference)
    if request.htmx:
        return _analysis_panel(request, reference)
    if queued:
        messages.success(request, f"“{reference.title}” is queued for analysis again.")
    return redirect(_card_anchor(reference.song))


@login_required
@require_safe
def reference_analysis(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A reference's analysis alone; the card polls it while the analysis is pending."""
    return _analysis_panel(request, _reference(request, pk))


# --- Files: inline only ---------------------------------------------------------------------


@login_required
@require_safe
def reference_audio(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The record, for the player (range requests answered): inline, never an attachment."""
    reference = get_object_or_404(ReferenceTrack.objects.visible_to(request.user), pk=pk)
    if not reference.file.name or not reference.file.storage.exists(reference.file.name):
        raise Http404("The stored file for this reference is missing.")
    return protected_file_response(
        request,
        reference.file,
        content_type=reference.content_type,
        filename=reference.download_name,
        as_attachment=False,
    )


@login_required
@require_safe
def reference_peaks(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    reference = get_object_or_404(ReferenceTrack.objects.visible_to(request.user), pk=pk)
    if not reference.peaks.name or not reference.peaks.storage.exists(reference.peaks.name):
        raise Http404("This reference has no peaks yet.")
    return protected_file_response(
        request,
        reference.peaks,
        content_type="application/json",
        filename=f"reference-{reference.pk}-peaks.json",
        as_attachment=False,
    )


# --- A bounce against a reference -----------------------------------------------------------


def reference_side(reference: ReferenceTrack, which: str) -> display.CompareSide:
    return display.CompareSide(
        which=which,
        label=reference.title,
        audio_url=reverse("songs:reference_audio", args=[reference.pk]),
        peaks_url=reverse("songs:reference_peaks", args=[reference.pk]) if reference.peaks else "",
        waveform_url="",
        link_url=reference.song.get_absolute_url() + f"#reference-{reference.pk}",
        link_text="on the song page",
        report_text="The song's reference tracks",
    )


@login_required
@require_safe
def compare_reference(
    request: AuthenticatedHttpRequest, pk: int, reference_pk: int
) -> HttpResponse:
    """A bounce against one of its song's reference tracks: the A/B player, loudness-matched
    unless asked otherwise, and how the measurements differ."""
    bounces = Bounce.objects.visible_to(request.user).select_related(
        "record__song__owner", "record__song__cohort", "record__song__genre", "record__stage"
    )
    bounce = get_object_or_404(bounces, pk=pk)
    song = bounce.record.song
    reference = get_object_or_404(
        ReferenceTrack.objects.visible_to(request.user), pk=reference_pk, song=song
    )
    reference.song = song
    a, b = display.bounce_side(bounce, "a"), reference_side(reference, "b")
    others = list(
        song.references.filter(analysis_state=AnalysisState.DONE)
        .exclude(pk=reference.pk)
        .only("pk", "title", "song")
    )
    return render(
        request,
        "songs/compare.html",
        {
            "a": a,
            "b": b,
            "sides": [a, b],
            "bounce": bounce,
            "reference": reference,
            "other_references": others,
            "record": bounce.record,
            "song": song,
            "match": display.loudness_match(bounce, reference),
            "differences": display.reference_differences(bounce, reference),
            "loudness_chart": display.loudness_overlay(
                bounce.analysis, reference.analysis, reference.title
            ),
        }
        | display.music_overlays(bounce, reference.music_report, reference.title),
    )

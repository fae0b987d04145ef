"""The student's board, songs, and bounces: the upload (with its size guard), the bounce
page with its analysis, the files themselves, and the A/B comparison of two versions."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from coaching import limits, threads
from coaching.http import AuthenticatedHttpRequest
from coaching.models import Activity, User
from coaching.statements import Statement
from songs import boards, display, quota, services
from songs.analysis.formats import ACCEPT_ATTRIBUTE, ACCEPTED_LABELS
from songs.analysis.units import size as format_size
from songs.forms import BounceForm, SongForm
from songs.media import protected_file_response
from songs.models import AnalysisState, Bounce, BounceQuerySet, Song, SongProgress, shown_song
from songs.references.views import references_context
from songs.release.views import release_context
from songs.uploads import SizeLimitUploadHandler
from stages.models import (
    StageRecord,
    StageRuleError,
    Status,
    catalogue,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


# The board's questions, asked on every visit of everyone's home page.
_OWN_SONGS: Statement[Song] = Statement(
    lambda user: Song.objects.filter(owner=user).select_related("owner").with_progress()
)
_WAITING: Statement[StageRecord] = Statement(
    lambda user: (
        StageRecord.objects.filter(
            song__owner=user, status__in=[Status.CHANGES_REQUESTED, Status.SUBMITTED]
        )
        .at_work()
        .select_related("song", "stage")
        .order_by("submitted_at")
    )
)


@login_required
@require_safe
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    # django-stubs drops annotate()'s fields from the rows of a custom QuerySet
    # (typeddjango/django-stubs#1049), so the rows' type is named here.
    own = cast("list[WithAnnotations[Song, SongProgress]]", _OWN_SONGS(user))
    stages = catalogue()
    can_start_song = user.studies_in_an_active_cohort()
    waiting = _WAITING(user)
    return render(
        request,
        "songs/home.html",
        {
            "board": boards.board_of(stages, own),
            # The board names a coached song's owner; it shows nothing of the cohort.
            "coached_board": (
                boards.coached_board(user, stages) if user.coaches_anyone() else None
            ),
            "changes_requested": [r for r in waiting if r.status == Status.CHANGES_REQUESTED],
            "in_review": [r for r in waiting if r.status == Status.SUBMITTED],
            "can_start_song": can_start_song,
            "own_count": len(own),
            # A student's storage: what their files take of their quota.
            "storage": quota.usage(user) if own or can_start_song else None,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def new_song(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SongForm(request.POST or None, owner=request.user)
    enrolled = bool(form.cohorts)
    if request.method == "POST" and enrolled and form.is_valid():
        song = form.save(commit=False)
        song.owner = request.user
        song = services.create_song(song=song, request_key=form.cleaned_data["request_key"])
        messages.success(request, f"“{song.title}” is on your board. Start with its vision.")
        return redirect(song)
    archived = (
        [] if enrolled else list(request.user.student_cohorts().filter(archived_at__isnull=False))
    )
    return render(
        request,
        "songs/new.html",
        {"form": form, "enrolled": enrolled, "archived_cohorts": archived},
    )


_SONG_ACTIVITY: Statement[Activity] = Statement(
    lambda song_pk: Activity.objects.filter(song_id=song_pk).select_related("actor")[:20]
)


@login_required
@require_safe
def song_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # The timeline shows each stage's latest version first.
    song = shown_song(request.user, pk, newest_first=True)
    context = {
        "song": song,
        "records": song.ordered_records(),
        "current": song.current_record(),
        "is_owner": song.owner_id == request.user.pk,
        "can_start_song": song.owner_id == request.user.pk
        and request.user.studies_in_an_active_cohort(),
        "activity": _SONG_ACTIVITY(song.pk),
    }
    context |= release_context(song, request.user) | references_context(song, request.user)
    return render(request, "songs/detail.html", context)


def owned_song(request: AuthenticatedHttpRequest, pk: int) -> Song:
    """The song, if it is this person's own; anyone else gets a 404."""
    song = get_object_or_404(
        Song.objects.visible_to(request.user).select_related("owner", "cohort"), pk=pk
    )
    if song.owner_id != request.user.pk:
        raise Http404("Only the song's owner changes it.")
    return song


def editable_song(request: AuthenticatedHttpRequest, pk: int) -> Song:
    """The owner's song, while its work may change (else the ReadOnly refusal)."""
    song = owned_song(request, pk)
    song.ensure_open()
    return song


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_song(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    song = editable_song(request, pk)
    # The form edits a copy, so a rejected edit does not show up in the page's own heading.
    form = SongForm(request.POST or None, instance=copy.copy(song), owner=request.user)
    if request.method == "POST" and form.is_valid():
        services.save_song_details(song=form.save(commit=False))
        messages.success(request, "Song details saved.")
        return redirect(song)
    return render(request, "songs/edit.html", {"form": form, "song": song})


# --- Uploading a bounce ---------------------------------------------------------------------


def upload_rules() -> dict[str, Any]:
    """The limit and formats the upload form states, from the one place each is set."""
    limit = settings.BOUNCE_MAX_UPLOAD_BYTES
    return {
        "max_upload_bytes": limit,
        "max_upload_label": format_size(limit),
        "accepted_formats": ACCEPTED_LABELS,
        "accept_attribute": ACCEPT_ATTRIBUTE,
        "too_large_message": f"This file is over {format_size(limit)}, the largest bounce "
        "Stagecoach takes. Export a shorter or compressed version (FLAC keeps full quality "
        "at about half the size of WAV).",
    } | name_rules()


def name_rules() -> dict[str, Any]:
    """The longest file name the upload forms send (what a bounce keeps of a name), and the
    sentence the browser shows for a longer one."""
    return {
        "max_name_chars": services.MAX_NAME_CHARS,
        "too_long_name_message": f"This file's name is over {services.MAX_NAME_CHARS} "
        "characters, longer than Stagecoach can take. Rename the file and choose it again.",
    }


def _stage_bounces(record_pk: int) -> BounceQuerySet:
    open_threads = Q(comments__parent__isnull=True, comments__resolved_at__isnull=True)
    return (
        Bounce.objects.filter(record_id=record_pk)
        .annotate(
            open_comments=Count("comments", filter=open_threads, distinct=True),
            blocking_comments=Count(
                "comments", filter=open_threads & Q(comments__blocking=True), distinct=True
            ),
        )
        .order_by("-version")
        # The list shows the key-figure columns; the full reports stay in the database.
        .defer("report", "music")
    )


_STAGE_BOUNCES: Statement[Bounce] = Statement(_stage_bounces)


def bounces_context(
    user: User, record: StageRecord, form: BounceForm | None = None
) -> dict[str, Any]:
    """The stage's bounces and the upload form, for the stage page and its fragment."""
    bounces = _STAGE_BOUNCES(record.pk)
    for bounce in bounces:
        bounce.record = record
    # The list offers to analyse again only a version whose analysis failed, so only those
    # ask who may (none failed: no query).
    failed = [bounce.pk for bounce in bounces if bounce.analysis_state == AnalysisState.FAILED]
    allowed = (
        set(Bounce.objects.reanalysable_by(user).filter(pk__in=failed).values_list("pk", flat=True))
        if failed
        else set()
    )
    for bounce in bounces:
        # What with_reanalyse_permission would annotate (the stubs type only that).
        setattr(bounce, "can_reanalyse", bounce.pk in allowed)  # noqa: B010
    return {
        "bounces": bounces,
        "bounce_form": form or BounceForm(),
        "can_edit": record.editable_by(user),
    } | upload_rules()


@login_required
@require_safe
def earlier_bounces(request: AuthenticatedHttpRequest, song_pk: int, stage: str) -> HttpResponse:
    """The stage's earlier versions in full, fetched when its list is opened."""
    records = StageRecord.objects.visible_to(request.user).select_related(
        "song__owner", "song__cohort", "stage"
    )
    record = get_object_or_404(records, song_id=song_pk, stage__slug=stage)
    context = {"record": record} | bounces_context(request.user, record)
    return render(request, "songs/_earlier_bounces.html", context)


def _record_for_upload(request: AuthenticatedHttpRequest, song_pk: int, stage: str) -> StageRecord:
    records = StageRecord.objects.visible_to(request.user).select_related(
        "song__owner", "song__cohort", "stage"
    )
    record = get_object_or_404(records, song_id=song_pk, stage__slug=stage)
    if record.song.owner_id != request.user.pk:
        raise Http404("Only the song's owner uploads to it.")
    # Refused before a byte of the upload is read (nothing reads the body before this).
    record.song.ensure_open()
    return record


@csrf_exempt
@login_required
@require_POST
def upload_bounce(request: AuthenticatedHttpRequest, song_pk: int, stage: str) -> HttpResponse:
    # The size guard must be in place before anything (the CSRF check included) reads the
    # body, so CSRF is checked just below, once the handler is installed.
    request.upload_handlers.insert(
        0, SizeLimitUploadHandler(request, settings.BOUNCE_MAX_UPLOAD_BYTES)
    )
    return _upload_bounce(request, song_pk, stage)


@csrf_protect
def _upload_bounce(request: AuthenticatedHttpRequest, song_pk: int, stage: str) -> HttpResponse:
    record = _record_for_upload(request, song_pk, stage)
    form = BounceForm(request.POST, request.FILES)
    refused = getattr(request, "upload_refused", "")
    bounce = None
    limited = limits.upload_limited(request, kept="your note is kept")
    if limited:
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", limited.message)
    elif form.is_valid() and not refused:
        try:
            bounce = services.upload_bounce(
                record=record,
                uploaded_by=request.user,
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
                request_key=form.cleaned_data["request_key"],
            )
        except services.UploadRejected as exc:
            form.add_error("file", str(exc))
    elif refused:
        form.errors.pop("file", None)
        form.add_error("file", refused)

    if bounce is not None:
        message = f"{bounce.label} of {record.stage.name} is uploaded."
        if not request.htmx:
            messages.success(request, message)
            return redirect("stages:record", song_pk=song_pk, stage=stage)
        form = BounceForm()
    context = {"record": record, "uploaded": bounce} | bounces_context(request.user, record, form)
    # Without htmx a refused upload gets a page of its own: the reason, the note as typed,
    # and the form to try again.
    template = "songs/_bounces.html" if request.htmx else "songs/upload.html"
    response = render(request, template, context)
    return limits.answer(response, limited) if limited else response


def _visible_bounce(user: User, pk: int) -> BounceQuerySet:
    return (
        Bounce.objects.visible_to(user)
        .with_reanalyse_permission(user)
        .select_related(
            "record__song__owner", "record__song__cohort", "record__stage", "uploaded_by"
        )
        .filter(pk=pk)
    )


_VISIBLE_BOUNCE: Statement[Bounce] = Statement(_visible_bounce)
_VERSIONS: Statement[Bounce] = Statement(
    lambda record_pk: (
        Bounce.objects.filter(record_id=record_pk)
        .order_by("version")
        .only("pk", "version", "record")
    )
)


def _get_bounce(request: AuthenticatedHttpRequest, pk: int) -> Bounce:
    return _VISIBLE_BOUNCE.get_or_404(request.user, pk)


@login_required
@require_safe
def bounce_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    bounce = _get_bounce(request, pk)
    versions = _VERSIONS(bounce.record_id)
    context = (
        display.analysis_context(bounce, request.user)
        | threads.bounce_threads(bounce, request.user)
        | {
            "record": bounce.record,
            "song": bounce.record.song,
            "versions": versions,
            "start_at": _moment(request.GET.get("at"), bounce.duration_s),
        }
    )
    return render(request, "songs/bounce.html", context)


def _moment(value: str | None, duration_s: float | None) -> float | None:
    """A moment asked for in the address (`?at=12.5`, as the compare page's C sends), when
    it is one inside the bounce; anything else is ignored."""
    try:
        at = float(value or "")
    except ValueError:
        return None
    if duration_s is None or not 0 <= at <= duration_s:
        return None
    return at


def _analysis_panel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    bounce = _get_bounce(request, pk)
    summary = request.GET.get("view") == "summary"
    template = "songs/_analysis_summary.html" if summary else "songs/_analysis.html"
    return render(request, template, display.analysis_context(bounce, request.user))


@login_required
@require_safe
def bounce_analysis(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The analysis panel alone; pages poll it while the analysis is queued or running."""
    return _analysis_panel(request, pk)


@login_required
@require_POST
def hide_bounce(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The student sets a failed or unwanted version aside (staff can restore it)."""
    bounce = get_object_or_404(
        Bounce.objects.visible_to(request.user).select_related(
            "record__song__owner", "record__song__cohort", "record__stage"
        ),
        pk=pk,
    )
    record = bounce.record
    if record.song.owner_id != request.user.pk:
        raise Http404("Only the song's owner sets its versions aside.")
    error = ""
    try:
        if services.hide_bounce(bounce=bounce, by=request.user):
            messages.success(request, f"{bounce.label} is set aside.")
    except StageRuleError as exc:
        error = str(exc)
        messages.error(request, error)
    if request.htmx:
        context = {"record": record, "bounce_error": error}
        return render(
            request, "songs/_bounces.html", context | bounces_context(request.user, record)
        )
    return redirect("stages:record", song_pk=record.song_id, stage=record.stage.slug)


@login_required
@require_POST
def fill_song(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The student takes the tempo and key the musical pass heard into the song's empty
    fields."""
    bounce = get_object_or_404(
        Bounce.objects.visible_to(request.user).select_related(
            "record__song__owner", "record__song__cohort", "record__stage"
        ),
        pk=pk,
    )
    song = bounce.record.song
    if song.owner_id != request.user.pk:
        raise Http404("Only the song's owner changes its details.")
    filled = services.fill_song_from_music(bounce=bounce)
    if filled:
        shown = {"tempo_bpm": f"tempo {song.tempo_bpm} BPM", "key": f"key {song.key}"}
        said = " and ".join(shown[name] for name in filled)
        messages.success(request, f"“{song.title}” now has the {said}, as {bounce.label} plays.")
    else:
        messages.info(request, "Nothing to fill: the song's tempo and key are already set.")
    return redirect("songs:bounce", pk=bounce.pk)


# --- The bounce page -------------------------------------------------------------------------


@login_required
@require_POST
def reanalyse_bounce(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    bounce = get_object_or_404(Bounce.objects.reanalysable_by(request.user), pk=pk)
    services.rerun_analysis(bounce)
    if request.htmx:
        return _analysis_panel(request, pk)
    messages.success(request, f"{bounce.label} is queued for analysis again.")
    return redirect("songs:bounce", pk=pk)


@login_required
@require_safe
def bounce_waveform(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    bounce = get_object_or_404(Bounce.objects.visible_to(request.user), pk=pk)
    if not bounce.waveform.name or not bounce.waveform.storage.exists(bounce.waveform.name):
        raise Http404("This bounce has no waveform yet.")
    return protected_file_response(
        request,
        bounce.waveform,
        content_type="image/png",
        filename=f"{bounce.label}-waveform.png",
        as_attachment=False,
    )


@login_required
@require_safe
def bounce_peaks(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The waveform's peaks at every resolution, for the interactive player."""
    bounce = get_object_or_404(Bounce.objects.visible_to(request.user), pk=pk)
    if not bounce.peaks.name or not bounce.peaks.storage.exists(bounce.peaks.name):
        raise Http404("This bounce has no peaks yet.")
    return protected_file_response(
        request,
        bounce.peaks,
        content_type="application/json",
        filename=f"{bounce.label}-peaks.json",
        as_attachment=False,
    )


def _bounce_file(
    request: AuthenticatedHttpRequest, pk: int, *, as_attachment: bool
) -> HttpResponseBase:
    bounce = get_object_or_404(Bounce.objects.visible_to(request.user), pk=pk)
    if not bounce.file.name or not bounce.file.storage.exists(bounce.file.name):
        raise Http404("The stored file for this bounce is missing.")
    return protected_file_response(
        request,
        bounce.file,
        content_type=bounce.content_type,
        filename=bounce.download_name,
        as_attachment=as_attachment,
    )


@login_required
@require_safe
def bounce_audio(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    return _bounce_file(request, pk, as_attachment=False)


@login_required
@require_safe
def bounce_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    return _bounce_file(request, pk, as_attachment=True)


@login_required
@require_safe
def compare_bounces(request: AuthenticatedHttpRequest, pk: int, other_pk: int) -> HttpResponse:
    """Two versions of one stage's bounce, side by side: an A/B player (loudness-matched
    unless asked otherwise) and what changed in the measurements."""
    a = _get_bounce(request, pk)
    b = get_object_or_404(Bounce.objects.visible_to(request.user), pk=other_pk, record=a.record)
    if a.pk == b.pk:
        raise Http404("Choose two different versions.")
    b.record = a.record  # the same record (the filter says so), read once
    first, second = sorted([a, b], key=lambda bounce: bounce.version)
    side_a, side_b = display.bounce_side(first, "a"), display.bounce_side(second, "b")
    return render(
        request,
        "songs/compare.html",
        {
            "a": side_a,
            "b": side_b,
            "sides": [side_a, side_b],
            "record": a.record,
            "song": a.record.song,
            "match": display.loudness_match(first, second),
            "differences": display.differences(first, second),
            "loudness_chart": display.loudness_overlay(
                first.analysis, second.analysis, second.label
            ),
        }
        | display.music_overlays(first, second.music_report, second.label),
    )

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from coaching import limits, services, threads, voice
from coaching.forms import CommentForm, ReviewForm, SnippetForm
from coaching.http import AuthenticatedHttpRequest, search_text
from coaching.models import ActionMark, Cohort, Comment, Mark, Role, Snippet, User
from coaching.statements import Statement
from coaching.tendencies import tendencies
from songs.analysis import CHECK_IDS
from songs.display import analysis_context
from songs.media import protected_file_response
from songs.models import Bounce
from songs.uploads import SizeLimitUploadHandler
from stages.models import Stage, StageRecord, catalogue

QUEUE_PAGE_SIZE = 50
_FURTHEST_PAGE = 2**31 // QUEUE_PAGE_SIZE
COMMENTS_CHANGED = "comments-changed"
"""The event a resolved or reopened thread sends, for panels that count open comments."""


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --- Review queue and review page ---------------------------------------------------------


def _queue_filters(request: AuthenticatedHttpRequest) -> services.QueueFilters:
    """The queue's filters, from its own form or from a review page's links."""
    return services.QueueFilters(
        cohort=_int(request.GET.get("cohort")),
        stage=search_text(request, "stage", limit=40),
        student=_int(request.GET.get("student")),
    )


class _CountedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator given the count of its objects, already read with other figures."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # what the cached property would have stored


def _queue_page(
    coach: User,
    chosen: services.QueueFilters,
    requested: str | None,
    *,
    stages: list[Stage],
    cohorts: list[Cohort],
) -> tuple[Page[services.QueueRow], int]:
    """The page of the queue asked for, chosen as Paginator.get_page chooses (not a number:
    the first; out of range: the last), and how many are late. The rows and the counts
    come in one query; only a page out of range costs the first page (for the count) and
    the last."""
    stage_by_pk = {stage.pk: stage for stage in stages}
    cohort_by_pk = {cohort.pk: cohort for cohort in cohorts}

    def rows(number: int) -> services.QueuePage:
        return services.queue_page(
            coach=coach,
            filters=chosen,
            offset=(number - 1) * QUEUE_PAGE_SIZE,
            limit=QUEUE_PAGE_SIZE,
            stages=stage_by_pk,
            cohorts=cohort_by_pk,
        )

    try:
        number = int(requested or 1)
    except ValueError:
        number = 1
    # Past any queue there could be (and past what an OFFSET can hold): out of range.
    found = rows(number) if 1 <= number <= _FURTHEST_PAGE else None
    if found is None or (number > 1 and not found.rows):
        number = max(math.ceil(rows(1).total / QUEUE_PAGE_SIZE), 1)
        found = rows(number)
    paginator = _CountedPaginator(found.rows, QUEUE_PAGE_SIZE, count=found.total)
    return Page(found.rows, number, paginator), found.late


# The queue's filters' choices: the cohorts the coach oversees that are at work, and their
# students as plain rows (a school has thousands).
_QUEUE_COHORTS: Statement[Cohort] = Statement(
    lambda user: Cohort.objects.overseen_by(user).active().order_by("name")
)
_QUEUE_STUDENTS: Statement[tuple[int, str, str, str]] = Statement(
    lambda user: (
        User.objects.filter(
            memberships__cohort__in=Cohort.objects.overseen_by(user).active(),
            memberships__role=Role.STUDENT,
        )
        .distinct()
        .order_by("first_name", "username", "pk")
        .values_list("pk", "first_name", "last_name", "username")
    )
)


@login_required
@require_safe
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Submitted stages across the cohorts this coach coaches, oldest first."""
    user = request.user
    if not user.coaches_anyone():
        raise Http404("The review queue is for coaches.")
    cohorts = _QUEUE_COHORTS(user)
    students = [
        (pk, f"{first} {last}".strip() or username)
        for pk, first, last, username in _QUEUE_STUDENTS(user)
    ]
    chosen = _queue_filters(request)
    stages = catalogue()
    page, late_count = _queue_page(
        user, chosen, request.GET.get("page"), stages=stages, cohorts=cohorts
    )
    return render(
        request,
        "coaching/queue.html",
        {
            "page": page,
            "late_count": late_count,
            "cohorts": cohorts,
            "stages": stages,
            "students": students,
            "chosen": chosen,
            "now": timezone.now(),
        },
    )


def _review_context(
    request: AuthenticatedHttpRequest, record: StageRecord, form: ReviewForm
) -> dict[str, Any]:
    user = request.user
    done = set(record.completed_actions.values_list("pk", flat=True))
    bounces = list(record.bounces.with_reanalyse_permission(user).order_by("-version"))
    latest = bounces[0] if bounces else None
    marks = Prefetch("marks", queryset=ActionMark.objects.select_related("action"))
    context = {
        "record": record,
        "song": record.song,
        "stage": record.stage,
        "checklist": [(a, a.pk in done) for a in form.actions],
        "done_count": len(done),
        "bounces": bounces,
        "reviews": list(record.reviews.select_related("coach").prefetch_related(marks)),
        "form": form,
        "coach_value": _int(str(form["coach_balance"].value() or 0)) or 0,
        "blocking": services.blocking_comments(record),
        "read_only_reason": record.song.read_only_reason,
        "can_edit": False,
    }
    context |= threads.record_threads(record, user)
    if latest is not None:
        context |= analysis_context(latest, user)
        context |= threads.bounce_threads(latest, user)
    return context


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    records = StageRecord.objects.reviewable_by(request.user).select_related(
        "song__owner", "song__cohort", "stage"
    )
    record = get_object_or_404(records, pk=pk)
    actions = list(record.stage.core_actions.all())
    filters = _queue_filters(request)
    place = services.queue_place(record=record, coach=request.user, filters=filters)
    draft = services.review_draft(record=record, coach=request.user)
    form = ReviewForm(request.POST or None, initial=draft.data if draft else None, actions=actions)
    approval_refused = False
    if "all_done_well" in request.POST:
        # Without JavaScript, "All done well" sends the form back with every mark set.
        typed = form.typed() | form.every_mark(Mark.DONE_WELL)
        form = ReviewForm(initial=typed, actions=actions)
    elif request.method == "POST" and form.is_valid():
        try:
            verdict = services.review_record(
                record=record,
                coach=request.user,
                verdict=form.cleaned_data["verdict"],
                summary=form.cleaned_data["summary"],
                coach_balance=form.cleaned_data["coach_balance"],
                balance_comment=form.cleaned_data["balance_comment"],
                marks=form.marks(),
            )
        except services.ApprovalBlocked:
            # The blocking notice says what is open; saying it again as an error is noise.
            approval_refused = True
        except services.CoachingError as exc:
            form.add_error(None, str(exc))
        else:
            outcome = "approved" if verdict.verdict == "approved" else "sent back for changes"
            messages.success(
                request,
                f"{record.stage.name} of “{record.song.title}” {outcome}; the student is told.",
            )
            if place.skip_to is not None:
                following = reverse("coaching:review", args=[place.skip_to])
                return redirect(following + filters.query_string)
            return redirect(reverse("coaching:queue") + filters.query_string)
    context = _review_context(request, record, form) | {
        "approval_refused": approval_refused,
        "place": place,
        "filters": filters,
        "restored": draft if request.method != "POST" else None,
    }
    return render(request, "coaching/review.html", context)


@login_required
@require_POST
def review_draft(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The verdict form as typed so far, saved while the coach writes (the page sends it
    a moment after each change) and given back when they return."""
    records = StageRecord.objects.reviewable_by(request.user).select_related(
        "song__cohort", "stage"
    )
    record = get_object_or_404(records, pk=pk)
    form = ReviewForm(request.POST, actions=list(record.stage.core_actions.all()))
    draft, error = None, ""
    try:
        draft = services.save_review_draft(record=record, coach=request.user, data=form.typed())
    except services.CoachingError as exc:
        error = str(exc)
    if request.htmx:
        context = {"draft": draft, "error": error}
        return render(request, "coaching/_review_draft_status.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Draft saved.")
    return redirect("coaching:review", pk=record.pk)


@login_required
@require_safe
def review_blocking(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The verdict panel's blocking-comments notice alone: the review page fetches it
    again whenever a comment is resolved or reopened, so it is never out of date."""
    record = get_object_or_404(StageRecord.objects.reviewable_by(request.user), pk=pk)
    return render(
        request,
        "coaching/_review_blocking.html",
        {"record": record, "blocking": services.blocking_comments(record)},
    )


# --- Comments -------------------------------------------------------------------------------


def _thread_response(
    request: AuthenticatedHttpRequest,
    record: StageRecord,
    bounce: Bounce | None,
    form: CommentForm | None = None,
) -> HttpResponse:
    if bounce is not None:
        context = threads.bounce_threads(bounce, request.user)
        if form is not None:
            context["comment_form"] = form
        return render(request, "coaching/_bounce_threads_response.html", context)
    context = threads.record_threads(record, request.user) | {"record": record}
    if form is not None:
        context["record_comment_form"] = form
    return render(request, "coaching/_record_comments.html", context)


@csrf_exempt
@login_required
@require_POST
def add_comment(request: AuthenticatedHttpRequest, record_pk: int) -> HttpResponse:
    # A voice note's size limit must be in place before anything (the CSRF check included)
    # reads the body, so CSRF is checked just below, once the handler is installed.
    request.upload_handlers.insert(
        0, SizeLimitUploadHandler(request, settings.VOICE_MAX_BYTES, refusal=voice.too_large)
    )
    return _add_comment(request, record_pk)


@csrf_protect
def _add_comment(request: AuthenticatedHttpRequest, record_pk: int) -> HttpResponse:
    record = get_object_or_404(
        StageRecord.objects.visible_to(request.user).select_related("song__owner", "stage"),
        pk=record_pk,
    )
    record.song.ensure_open()  # settled first: before a refused recording is explained
    form: CommentForm | None  # None once the comment is saved: there is no form to show again
    form = CommentForm(request.POST, request.FILES)
    # A voice note over the size limit was stopped while it streamed in: the text stays.
    refused = getattr(request, "upload_refused", "")
    bounce = None
    if form.is_valid():
        if form.cleaned_data["bounce"]:
            bounce = get_object_or_404(record.bounces.all(), pk=form.cleaned_data["bounce"])
        parent = None
        if form.cleaned_data["parent"]:
            parent = get_object_or_404(record.comments.all(), pk=form.cleaned_data["parent"])
        try:
            if refused:
                raise services.VoiceNoteRefused(refused)
            services.add_comment(
                record=record,
                author=request.user,
                body=form.cleaned_data["body"],
                bounce=bounce,
                parent=parent,
                at_s=form.cleaned_data["at_s"],
                until_s=form.cleaned_data["until_s"],
                blocking=form.cleaned_data["blocking"],
                voice_note=form.cleaned_data["voice"],
            )
        except services.CoachingError as exc:
            field = "voice" if isinstance(exc, services.VoiceNoteRefused) else "body"
            form.add_error(field, str(exc))
        else:
            form = None
    elif bounce_pk := _int(request.POST.get("bounce")):
        bounce = get_object_or_404(record.bounces.all(), pk=bounce_pk)
    if request.htmx:
        return _thread_response(request, record, bounce, form)
    if form is not None:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    if bounce is not None:
        return redirect("songs:bounce", pk=bounce.pk)
    return redirect("stages:record", song_pk=record.song_id, stage=record.stage.slug)


@login_required
@require_POST
def resolve_comment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(
        Comment.objects.visible_to(request.user).select_related("record__song", "record__stage"),
        pk=pk,
    )
    viewing = _int(request.POST.get("bounce"))
    shown = (
        Bounce.objects.filter(record_id=comment.record_id, pk=viewing).first()
        if viewing is not None
        else None
    )
    bounce = shown or comment.bounce
    try:
        services.resolve_comment(
            comment=comment, by=request.user, resolved=request.POST.get("resolved") != "0"
        )
    except services.CoachingError as exc:
        messages.error(request, str(exc))
    if request.htmx:
        response = _thread_response(request, comment.record, bounce)
        response["HX-Trigger"] = COMMENTS_CHANGED
        return response
    if bounce is not None:
        return redirect("songs:bounce", pk=bounce.pk)
    record = comment.record
    return redirect("stages:record", song_pk=record.song_id, stage=record.stage.slug)


@login_required
@require_safe
def comment_voice(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """A comment's voice note, for whoever may see its stage (with range requests, for the
    player); anyone else gets a 404."""
    comment = get_object_or_404(Comment.objects.visible_to(request.user).exclude(voice=""), pk=pk)
    name = comment.voice.name or ""
    if not name or not comment.voice.storage.exists(name):
        raise Http404("The stored voice note is missing.")
    extension = name.rsplit(".", 1)[-1]
    return protected_file_response(
        request,
        comment.voice,
        content_type=voice.served_type(comment.voice_content_type),
        filename=f"voice-note-{comment.pk}.{extension}",
        as_attachment=False,
    )


# --- Snippets -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def snippets(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.coaches_anyone():
        raise Http404("Snippets are for coaches.")
    form = SnippetForm(request.POST or None, check_ids=list(CHECK_IDS))
    if request.method == "POST" and form.is_valid():
        snippet = form.save(commit=False)
        snippet.coach = request.user
        snippet.save()
        messages.success(request, f"Snippet “{snippet.title}” saved.")
        return redirect("coaching:snippets")
    return render(
        request,
        "coaching/snippets.html",
        {
            "form": form,
            "own": list(Snippet.objects.filter(coach=request.user)),
            "ready": list(Snippet.objects.filter(coach__isnull=True)),
        },
    )


@login_required
@require_POST
def delete_snippet(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    snippet = get_object_or_404(Snippet.objects.filter(coach=request.user), pk=pk)
    snippet.delete()
    messages.success(request, f"Snippet “{snippet.title}” deleted.")
    return redirect("coaching:snippets")


# --- Notifications --------------------------------------------------------------------------


@login_required
@require_safe
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    notes = list(request.user.notifications.all()[:100])
    return render(request, "coaching/notifications.html", {"notes": notes})


@login_required
@require_safe
def bell(request: AuthenticatedHttpRequest) -> HttpResponse:
    unread = request.user.notifications.filter(read_at__isnull=True).count()
    return render(request, "coaching/_bell.html", {"unread": unread})


@login_required
@require_safe
def open_notification(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(request.user.notifications.all(), pk=pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return redirect(note.url if note.url.startswith("/") else "coaching:notifications")


@login_required
@require_POST
def read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("coaching:notifications")


# --- Balance tendencies ---------------------------------------------------------------------


_VIEWABLE_STUDENT: Statement[User] = Statement(
    lambda viewer, pk: User.objects.viewable_students(viewer).filter(pk=pk)
)


@login_required
@require_safe
def student_tendencies(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    student = _VIEWABLE_STUDENT.get_or_404(request.user, pk)
    return render(
        request,
        "coaching/tendencies.html",
        {"student": student, "stages": tendencies(student, reader=request.user)},
    )


PICKER_PAGE_SIZE = 100


@login_required
@require_safe
def tendencies_people(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Whose tendencies to open: a coach's or admin's students (searchable); a student
    goes straight to their own."""
    user = request.user
    if not user.coaches_anyone():
        return redirect("coaching:tendencies", pk=user.pk)
    query = search_text(request)
    students = (
        User.objects.viewable_students(user)
        .filter(memberships__role=Role.STUDENT)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    if query:
        students = students.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(username__icontains=query)
            | Q(email__icontains=query)
        )
    page = Paginator(students, PICKER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "coaching/tendencies_people.html", {"page": page, "q": query})


# --- Password reset -------------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with e-mails limited per address and per client
    (coaching.limits): over either, the form comes back with the address as typed, a
    sentence saying when to try again, status 429 and Retry-After, and no e-mail goes."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        limited = limits.password_reset_limited(self.request, form.cleaned_data["email"])
        if limited is None:
            return super().form_valid(form)
        form.add_error("email", limited.message)
        return limits.answer(self.render_to_response(self.get_context_data(form=form)), limited)


# --- Errors ---------------------------------------------------------------------------------

LONG_FORM_PART = (
    "A file name (or another part of the form) was too long for Stagecoach to read, so "
    "nothing was saved. Rename the file to something shorter (up to 255 characters) and "
    "choose it again."
)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 400 page (config.urls.handler400). A form part whose headers are over Django's
    limit (a file named with thousands of characters) gets a sentence of its own; for
    anything else the page says what can be said without repeating the request back."""
    reason = LONG_FORM_PART if isinstance(exception, MultiPartParserError) else ""
    return render(request, "400.html", {"reason": reason}, status=400)

"""The stage record page and the changes a student makes on it: ticks, journal, balance,
start, submit, reopen. (Its bounces and their upload belong to songs; its comments and
reviews to coaching: this page shows them.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from coaching import services as coaching_services
from coaching import threads
from coaching.http import AuthenticatedHttpRequest
from coaching.models import ActionMark, Review, StageDeadline, User
from coaching.statements import Statement
from songs.views import bounces_context
from stages import services as stage_services
from stages.balance import BALANCE_MAX, BALANCE_MIN
from stages.forms import BalanceForm, JournalForm, TickForm
from stages.models import CoreAction, StageRecord, StageRuleError, Status


def _get_record(
    request: AuthenticatedHttpRequest, song_pk: int, stage: str, *, editable: bool = False
) -> StageRecord:
    records = StageRecord.objects.visible_to(request.user).select_related(
        "song__owner", "song__cohort", "stage"
    )
    record = get_object_or_404(records, song_id=song_pk, stage__slug=stage)
    if editable and record.song.owner_id != request.user.pk:
        raise Http404("Only the song's owner works on its stages.")
    return record


def _timeline(user: User, song_pk: int) -> QuerySet[StageRecord]:
    deadlines = StageDeadline.objects.filter(
        cohort_id=OuterRef("song__cohort_id"), stage_id=OuterRef("stage_id")
    ).order_by()
    return (
        StageRecord.objects.visible_to(user)
        .select_related("song__owner", "song__cohort", "stage")
        .annotate(due_on=Subquery(deadlines.values("due_on")[:1]))
        .filter(song_id=song_pk)
        .order_by("stage__order")
    )


_TIMELINE: Statement[StageRecord] = Statement(_timeline)


def _get_timeline(
    request: AuthenticatedHttpRequest, song_pk: int, stage: str
) -> tuple[StageRecord, list[StageRecord]]:
    """The record and the song's seven records in stage order, in one query: each carries
    its cohort's deadline for its stage (`due_on`, None when the schedule sets none)."""
    timeline = _TIMELINE(request.user, song_pk)
    record = next((step for step in timeline if step.stage.slug == stage), None)
    if record is None:
        raise Http404("No such stage record.")
    return record, timeline


def _page_context(
    request: AuthenticatedHttpRequest,
    record: StageRecord,
    timeline: list[StageRecord] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    if timeline is None:
        timeline = list(record.song.records.select_related("stage").order_by("stage__order"))
        due_on = _due_on(record)
    else:
        due_on = getattr(record, "due_on", None)  # annotated by _get_timeline
    position = next(i for i, step in enumerate(timeline) if step.pk == record.pk)
    context = {
        "record": record,
        "song": record.song,
        "stage": record.stage,
        "is_owner": record.song.owner_id == request.user.pk,
        "timeline": timeline,
        "previous": timeline[position - 1] if position else None,
        "journal_form": JournalForm(initial={"journal": record.journal}),
        "deadline": _deadline(record, due_on),
    }
    context.update(_checklist_context(record))
    context.update(bounces_context(request.user, record))
    context.update(threads.record_threads(record, request.user))
    context["reviews"] = _REVIEWS(record.pk)
    context.update(extra)
    return context


def _due_on(record: StageRecord) -> dt.date | None:
    return (
        StageDeadline.objects.filter(cohort_id=record.song.cohort_id, stage_id=record.stage_id)
        .values_list("due_on", flat=True)
        .first()
    )


def _deadline(record: StageRecord, due: dt.date | None) -> dict[str, Any] | None:
    """When the cohort's schedule wants this stage approved, and whether that has passed."""
    if due is None:
        return None
    return {
        "due_on": due,
        "late": due < timezone.localdate() and record.status != Status.APPROVED,
    }


def _checklist(record_pk: int, stage_pk: int) -> QuerySet[CoreAction]:
    ticked = StageRecord.completed_actions.through.objects.filter(
        stagerecord_id=record_pk, coreaction_id=OuterRef("pk")
    )
    return CoreAction.objects.filter(stage_id=stage_pk).annotate(done=Exists(ticked))


# Any: the stubs type a model's fields, not annotate()'s `done` (django-stubs#1049).
_CHECKLIST: Statement[Any] = Statement(_checklist)
_REVIEWS: Statement[Review] = Statement(
    lambda record_pk: (
        Review.objects.filter(record_id=record_pk)
        .select_related("coach")
        .prefetch_related(Prefetch("marks", queryset=ActionMark.objects.select_related("action")))
    )
)


def _checklist_context(record: StageRecord) -> dict[str, Any]:
    """The stage's core actions, each with whether this record has it ticked (one query)."""
    checklist = [(action, action.done) for action in _CHECKLIST(record.pk, record.stage_id)]
    return {"checklist": checklist, "done_count": sum(done for _, done in checklist)}


@login_required
@require_safe
def record_detail(request: AuthenticatedHttpRequest, song_pk: int, stage: str) -> HttpResponse:
    record, timeline = _get_timeline(request, song_pk, stage)
    return render(request, "stages/record.html", _page_context(request, record, timeline))


@login_required
@require_POST
def tick_action(
    request: AuthenticatedHttpRequest, song_pk: int, stage: str, action_pk: int
) -> HttpResponse:
    record = _get_record(request, song_pk, stage, editable=True)
    action = get_object_or_404(record.stage.core_actions, pk=action_pk)
    form = TickForm(request.POST)
    form.is_valid()  # a checkbox: absent means "not done", so nothing can be invalid
    error = ""
    try:
        record.set_action_done(action, form.cleaned_data.get("done", False))
    except StageRuleError as exc:
        error = str(exc)
    if request.htmx:
        context = {"record": record, "can_edit": True, "checklist_error": error}
        context.update(_checklist_context(record))
        return render(request, "stages/_checklist.html", context)
    if error:
        messages.error(request, error)
    return redirect("stages:record", song_pk=song_pk, stage=stage)


@login_required
@require_POST
def save_journal(request: AuthenticatedHttpRequest, song_pk: int, stage: str) -> HttpResponse:
    record = _get_record(request, song_pk, stage, editable=True)
    form = JournalForm(request.POST)
    if form.is_valid():
        try:
            record.write_journal(form.cleaned_data["journal"])
        except StageRuleError as exc:
            form.add_error(None, str(exc))
    saved_at = None if form.errors else timezone.now()
    if request.htmx:
        return render(request, "stages/_journal_status.html", {"form": form, "saved_at": saved_at})
    if form.errors:
        return render(
            request, "stages/record.html", _page_context(request, record, journal_form=form)
        )
    messages.success(request, "Journal saved.")
    return redirect("stages:record", song_pk=song_pk, stage=stage)


@login_required
@require_POST
def place_balance(request: AuthenticatedHttpRequest, song_pk: int, stage: str) -> HttpResponse:
    record = _get_record(request, song_pk, stage, editable=True)
    form = BalanceForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            record.place_balance(form.cleaned_data["self_balance"])
        except StageRuleError as exc:
            error = str(exc)
    else:
        error = f"Choose a place on the scale from {BALANCE_MIN} to +{BALANCE_MAX}."
    if request.htmx:
        # Only the status is swapped: the slider stays under the student's hand (a whole
        # new block swapped in while arrow keys still arrive lost steps).
        return render(
            request,
            "stages/_balance_status.html",
            {
                "record": record,
                "stage": record.stage,
                "balance_error": error,
                "balance_saved": not error,
            },
        )
    if error:
        messages.error(request, error)
    return redirect("stages:record", song_pk=song_pk, stage=stage)


def _change_status(
    request: AuthenticatedHttpRequest,
    song_pk: int,
    stage: str,
    change: Callable[..., bool],
    done: str,
) -> HttpResponse:
    record = _get_record(request, song_pk, stage, editable=True)
    try:
        if change(record=record, by=request.user):
            messages.success(request, done.format(stage=record.stage.name))
    except StageRuleError as exc:
        messages.error(request, str(exc))
    return redirect("stages:record", song_pk=song_pk, stage=stage)


@login_required
@require_POST
def start_record(request: AuthenticatedHttpRequest, song_pk: int, stage: str) -> HttpResponse:
    return _change_status(
        request,
        song_pk,
        stage,
        stage_services.start_record,
        "{stage} started. Work through the core actions.",
    )


@login_required
@require_POST
def submit_record(request: AuthenticatedHttpRequest, song_pk: int, stage: str) -> HttpResponse:
    # Submitting tells the cohort's coaches, so it goes through the coaching workflow.
    return _change_status(
        request,
        song_pk,
        stage,
        coaching_services.submit_record,
        "{stage} is submitted; your coach will review it.",
    )


@login_required
@require_POST
def reopen_record(request: AuthenticatedHttpRequest, song_pk: int, stage: str) -> HttpResponse:
    return _change_status(
        request, song_pk, stage, stage_services.reopen_record, "{stage} is open again."
    )

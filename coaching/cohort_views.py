"""Cohort administration: cohorts, enrolment, schedule, progress, analytics, export."""

from __future__ import annotations

import copy
import itertools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from coaching import enrolment, progress
from coaching.dates import day_month_year
from coaching.forms import (
    CoachForm,
    CohortForm,
    DuplicateForm,
    ImportForm,
    InviteForm,
    MoveForm,
    ScheduleForm,
    SignUpForm,
)
from coaching.http import AuthenticatedHttpRequest, search_text
from coaching.links import url_maker
from coaching.models import Activity, Cohort, Invite, Membership, Role, StageDeadline
from coaching.statements import Statement
from stages.models import catalogue


def _managed(request: AuthenticatedHttpRequest, pk: int) -> Cohort:
    return get_object_or_404(Cohort.objects.managed_by(request.user), pk=pk)


_OVERSEEN: Statement[Cohort] = Statement(
    lambda user, pk: Cohort.objects.overseen_by(user).filter(pk=pk)
)


def _overseen(request: AuthenticatedHttpRequest, pk: int) -> Cohort:
    return _OVERSEEN.get_or_404(request.user, pk)


# --- Cohorts --------------------------------------------------------------------------------


@login_required
@require_safe
def cohort_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    cohorts = Cohort.objects.overseen_by(request.user)
    if not request.user.is_course_admin and not cohorts.exists():
        raise Http404("Cohorts are for coaches and course admins.")
    cohorts = cohorts.annotate(
        students=Count("memberships", filter=Q(memberships__role=Role.STUDENT), distinct=True),
        coaches=Count("memberships", filter=Q(memberships__role=Role.COACH), distinct=True),
    ).order_by("archived_at", "-starts_on", "name")
    return render(request, "coaching/cohorts.html", {"cohorts": list(cohorts)})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cohort_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_course_admin:
        raise Http404("Only course admins create cohorts.")
    form = CohortForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cohort = enrolment.create_cohort(cohort=form.save(commit=False), by=request.user)
        messages.success(request, f"“{cohort.name}” is ready. Invite its students and coaches.")
        return redirect("coaching:cohort", pk=cohort.pk)
    return render(request, "coaching/cohort_form.html", {"form": form})


MEMBERS_PER_PAGE = 50


BY_NAME = ("user__first_name", "user__last_name", "user__username", "user_id")
"""Members in the order the cohort page lists them."""

# The cohort page's lists, on every visit.
_COACHES: Statement[Membership] = Statement(
    lambda cohort_pk: (
        Membership.objects.filter(cohort_id=cohort_pk, role=Role.COACH)
        .select_related("user")
        .order_by(*BY_NAME)
    )
)
_DEADLINES: Statement[StageDeadline] = Statement(
    lambda cohort_pk: StageDeadline.objects.filter(cohort_id=cohort_pk).select_related("stage")
)
_ACTIVITY: Statement[Activity] = Statement(
    lambda cohort_pk: Activity.objects.filter(cohort_id=cohort_pk).select_related("actor")[:30]
)
_MOVE_TARGETS: Statement[Cohort] = Statement(
    lambda cohort_pk: Cohort.objects.active().exclude(pk=cohort_pk).order_by("name")
)


def _found(cohort_pk: int, *words: str) -> QuerySet[Membership]:
    """The cohort's students with every word somewhere in their name or e-mail."""
    students = Membership.objects.filter(cohort_id=cohort_pk, role=Role.STUDENT)
    for word in words:
        students = students.filter(
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__username__icontains=word)
            | Q(user__email__icontains=word)
        )
    return students


# A statement per number of words: each is another SQL.
_FOUND: Statement[Membership] = Statement(
    lambda cohort_pk, *words: _found(cohort_pk, *words).select_related("user").order_by(*BY_NAME)
)
_FOUND_COUNT: Statement[int] = Statement(
    lambda cohort_pk, *words: (
        _found(cohort_pk, *words)
        .values("cohort_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
)


@login_required
@require_safe
def cohort_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _overseen(request, pk)
    student_count = progress.student_count(cohort.pk)
    query = search_text(request)
    words = query.split()
    # Every student is listed unless searched: counted above.
    shown = sum(_FOUND_COUNT(cohort.pk, *words)) if words else student_count
    # A page of students at a time: a cohort of thousands stays one quick page.
    paginator = Paginator(_FOUND.rows(shown, cohort.pk, *words), MEMBERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    manages = request.user.is_course_admin
    can_change = cohort.editable_by(request.user)
    return render(
        request,
        "coaching/cohort.html",
        {
            "cohort": cohort,
            "manages": manages,
            "students": _student_rows(list(page)),
            "student_page": page,
            "student_count": student_count,
            "q": query,
            "coaches": _COACHES(cohort.pk),
            "invites": list(cohort.invites.select_related("created_by")) if manages else [],
            "deadlines": _DEADLINES(cohort.pk),
            "activity": _ACTIVITY(cohort.pk),
            "can_change": can_change,
            "invite_form": InviteForm(),
            "coach_form": CoachForm(),
            # Only whoever may change the cohort moves students out of it.
            "move_targets": _MOVE_TARGETS(cohort.pk) if can_change else [],
            "site_url": settings.SITE_URL,
        },
    )


def _student_rows(members: list[Membership]) -> list[tuple[Membership, str, str]]:
    """The page's students, each with the link to their tendencies and the day they joined
    written out, as `{% url %}` and `|date:"j M Y"` write them, without a URL reversed and
    a date formatted through the template per row."""
    tendencies = url_maker("coaching:tendencies")
    return [
        (member, tendencies(member.user_id), day_month_year(member.joined_at)) for member in members
    ]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cohort_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _managed(request, pk)
    cohort.ensure_open()
    stages = catalogue()
    current = progress.schedule(cohort.pk)
    # The form edits a copy, so a rejected name does not show up in the page's heading.
    form = CohortForm(request.POST or None, instance=copy.copy(cohort), prefix="cohort")
    schedule = ScheduleForm(
        request.POST or None,
        stages=stages,
        prefix="schedule",
        initial={f"due_{pk}": due for pk, due in current.items()},
    )
    if request.method == "POST" and form.is_valid() and schedule.is_valid():
        enrolment.save_cohort(
            cohort=form.save(commit=False), due_dates=schedule.dates(), by=request.user
        )
        messages.success(request, "Cohort and schedule saved.")
        return redirect("coaching:cohort", pk=cohort.pk)
    return render(
        request,
        "coaching/cohort_edit.html",
        {"cohort": cohort, "form": form, "schedule": schedule},
    )


@login_required
@require_POST
def cohort_archive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _managed(request, pk)
    archive = request.POST.get("archive") != "0"
    enrolment.set_archived(cohort=cohort, archived=archive, by=request.user)
    messages.success(
        request,
        f"“{cohort.name}” is archived: read-only, still browsable."
        if archive
        else f"“{cohort.name}” is open again.",
    )
    return redirect("coaching:cohort", pk=cohort.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cohort_duplicate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _managed(request, pk)
    form = DuplicateForm(
        request.POST or None,
        initial={"name": f"{cohort.name} (next term)", "starts_on": cohort.starts_on},
    )
    if request.method == "POST" and form.is_valid():
        copy = enrolment.duplicate_cohort(
            cohort=cohort,
            name=form.cleaned_data["name"],
            starts_on=form.cleaned_data["starts_on"],
            by=request.user,
        )
        messages.success(request, f"“{copy.name}” has the coaches and schedule of “{cohort.name}”.")
        return redirect("coaching:cohort", pk=copy.pk)
    return render(request, "coaching/cohort_duplicate.html", {"cohort": cohort, "form": form})


# --- Enrolment ------------------------------------------------------------------------------


@login_required
@require_POST
def invite_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _managed(request, pk)
    cohort.ensure_open()
    form = InviteForm(request.POST)
    if form.is_valid():
        enrolment.create_invite(
            cohort=cohort,
            role=form.cleaned_data["role"],
            valid_days=form.cleaned_data["valid_days"],
            max_uses=form.cleaned_data["max_uses"],
            by=request.user,
        )
        messages.success(request, "Invite link created: copy it from the list below.")
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(reverse("coaching:cohort", args=[cohort.pk]) + "#invites")


@login_required
@require_POST
def invite_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invite = get_object_or_404(
        Invite.objects.filter(cohort__in=Cohort.objects.managed_by(request.user)).select_related(
            "cohort"
        ),
        pk=pk,
    )
    enrolment.revoke_invite(invite=invite, by=request.user)
    messages.success(request, "The link no longer works.")
    return redirect(reverse("coaching:cohort", args=[invite.cohort_id]) + "#invites")


@require_http_methods(["GET", "HEAD", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """Follow an invite link: sign up, or (logged in) join straight away."""
    invite = enrolment.invite_from_token(token)
    if invite is None or invite.state != "active":
        return render(request, "coaching/join_invalid.html", {"invite": invite}, status=410)
    user = request.user
    if user.is_authenticated:
        if request.method == "POST":
            try:
                enrolment.join(invite=invite, user=user)
            except enrolment.EnrolmentError as exc:
                messages.error(request, str(exc))
                return redirect("songs:home")
            messages.success(request, f"Welcome to “{invite.cohort.name}”.")
            return redirect("songs:home")
        member = Membership.objects.filter(cohort=invite.cohort, user=user).first()
        return render(request, "coaching/join.html", {"invite": invite, "member": member})
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            new_user = enrolment.sign_up(
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
            try:
                enrolment.join(invite=invite, user=new_user)
            except enrolment.EnrolmentError as exc:
                transaction.set_rollback(True)
                form.add_error(None, str(exc))
        if not form.errors:
            login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Stagecoach and to “{invite.cohort.name}”.")
            return redirect("songs:home")
    return render(request, "coaching/join.html", {"invite": invite, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def cohort_import(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _managed(request, pk)
    cohort.ensure_open()
    form = ImportForm(request.POST or None, request.FILES or None)
    results = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > enrolment.MAX_IMPORT_BYTES:
            form.add_error(
                "file",
                f"The file is {upload.size / 1024:.0f} KB; a class list can be "
                f"up to {enrolment.MAX_IMPORT_BYTES // 1024} KB.",
            )
        else:
            try:
                results = enrolment.import_students(
                    cohort=cohort, data=upload.read(), by=request.user
                )
            except enrolment.EnrolmentError as exc:
                form.add_error("file", str(exc))
    summary = None
    if results is not None:
        summary = {
            o: sum(r.outcome == o for r in results)
            for o in ("created", "added", "already", "invalid")
        } | {"unsent": sum(bool(r.mail_error) for r in results)}
    return render(
        request,
        "coaching/cohort_import.html",
        {"cohort": cohort, "form": form, "results": results, "summary": summary},
    )


@login_required
@require_POST
def coach_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _managed(request, pk)
    form = CoachForm(request.POST)
    if form.is_valid():
        try:
            enrolment.add_coach(cohort=cohort, user=form.cleaned_data["who"], by=request.user)
            messages.success(
                request, f"{form.cleaned_data['who'].display_name} coaches “{cohort.name}” now."
            )
        except enrolment.EnrolmentError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors["who"]))
    return redirect("coaching:cohort", pk=cohort.pk)


def _membership(request: AuthenticatedHttpRequest, pk: int, membership_pk: int) -> Membership:
    cohort = _managed(request, pk)
    return get_object_or_404(cohort.memberships.select_related("user", "cohort"), pk=membership_pk)


@login_required
@require_POST
def member_remove(request: AuthenticatedHttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = _membership(request, pk, membership_pk)
    enrolment.remove_member(membership=membership, by=request.user)
    messages.success(
        request, f"{membership.user.display_name} is no longer in the cohort; their songs are kept."
    )
    return redirect("coaching:cohort", pk=pk)


@login_required
@require_POST
def member_move(request: AuthenticatedHttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = _membership(request, pk, membership_pk)
    form = MoveForm(request.POST, current=membership.cohort)
    if form.is_valid():
        try:
            enrolment.move_student(
                membership=membership, to=form.cleaned_data["to"], by=request.user
            )
            messages.success(
                request,
                f"{membership.user.display_name} and their songs moved to "
                f"“{form.cleaned_data['to'].name}”.",
            )
        except enrolment.EnrolmentError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Choose an open cohort to move to.")
    return redirect("coaching:cohort", pk=pk)


# --- Progress -------------------------------------------------------------------------------


@login_required
@require_safe
def cohort_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _overseen(request, pk)
    sort = request.GET.get("sort", "name")
    only = request.GET.get("only", "")
    query = search_text(request)
    now = timezone.now()
    matrix = progress.progress(
        cohort,
        today=timezone.localdate(),
        now=now,
        inactive_days=settings.INACTIVE_AFTER_DAYS,
        sort=sort,
        only=only,
        query=query,
        page=request.GET.get("page", 1),
    )
    return render(
        request,
        "coaching/progress.html",
        {"cohort": cohort, "matrix": matrix, "sort": sort, "only": only, "q": query},
    )


@login_required
@require_safe
def cohort_analytics(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cohort = _overseen(request, pk)
    figures = progress.analytics(
        cohort, now=timezone.now(), inactive_days=settings.INACTIVE_AFTER_DAYS
    )
    return render(request, "coaching/analytics.html", {"cohort": cohort, "figures": figures})


BYTE_ORDER_MARK = "\ufeff"


@login_required
@require_safe
def cohort_export(request: AuthenticatedHttpRequest, pk: int) -> StreamingHttpResponse:
    cohort = _overseen(request, pk)
    chunks = progress.export_csv(cohort, today=timezone.localdate())
    response = StreamingHttpResponse(
        # A byte-order mark first: spreadsheet programs then read the file as UTF-8 and
        # show accented names as they are (and CSV readers skip it).
        itertools.chain([BYTE_ORDER_MARK], chunks),
        content_type="text/csv; charset=utf-8",
    )
    slug = "".join(c if c.isalnum() else "-" for c in cohort.name.lower()).strip("-")[:60]
    response["Content-Disposition"] = (
        f'attachment; filename="progress-{slug or cohort.pk}-{timezone.localdate()}.csv"'
    )
    return response

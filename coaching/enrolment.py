"""Getting people into cohorts: invite links, CSV imports, coaches, moves and removals."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from coaching import activity
from coaching.models import INVITE_SALT, Cohort, Invite, Membership, Role, StageDeadline, User
from songs.models import Song

logger = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 2000
NAME_MAX = 150


class EnrolmentError(Exception):
    """An enrolment the rules refuse; the message is for the person acting."""


# --- Invite links ---------------------------------------------------------------------------


def invite_from_token(token: str) -> Invite | None:
    """The invite a link's token names, if the signature holds (usable or not)."""
    try:
        data = signing.loads(token, salt=INVITE_SALT)
    except signing.BadSignature:
        return None
    invite = Invite.objects.select_related("cohort").filter(pk=data.get("invite")).first()
    if invite is None or invite.key != data.get("key"):
        return None
    return invite


def join(*, invite: Invite, user: User) -> Membership:
    """Enrol `user` through `invite`. Joining a cohort twice is harmless and uses nothing."""
    with transaction.atomic():
        existing = Membership.objects.filter(cohort=invite.cohort, user=user).first()
        if existing is not None:
            return existing
        if not invite.take_one_use():
            raise EnrolmentError(
                "This invitation has expired, been withdrawn or been used up. Ask your course "
                "admin for a new link."
            )
        membership = Membership.objects.create(cohort=invite.cohort, user=user, role=invite.role)
        activity.log(
            actor=user,
            verb="joined",
            message=f"{user.display_name} joined as {invite.get_role_display().lower()} "
            "through an invitation link.",
            cohort=invite.cohort,
        )
    return membership


def sign_up(*, name: str, email: str, password: str) -> User:
    first, _, last = name.strip().partition(" ")
    return User.objects.create_user(
        username=email.lower(),
        email=email.lower(),
        password=password,
        first_name=first[:NAME_MAX],
        last_name=last[:NAME_MAX],
    )


# --- CSV import -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    line: int
    name: str
    email: str
    outcome: str  # "created", "added", "already", "invalid"
    reason: str = ""
    mail_error: str = ""  # why the e-mail to this person could not be sent


def read_csv(data: bytes) -> list[tuple[int, str, str]]:
    """(line, name, e-mail) per data row. Raises EnrolmentError for a file it cannot read."""
    if len(data) > MAX_IMPORT_BYTES:
        raise EnrolmentError(
            f"The file is {len(data) / 1024:.0f} KB; a class list can be up to "
            f"{MAX_IMPORT_BYTES // 1024} KB. Split it into smaller files."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EnrolmentError(
            "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” and "
            "upload it again."
        ) from None
    if "\x00" in text:
        raise EnrolmentError("The file is not a CSV text file.")
    try:
        read = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise EnrolmentError(f"The file is not a readable CSV: {exc}.") from None
    rows = [(line, row) for line, row in enumerate(read, start=1) if any(c.strip() for c in row)]
    if rows and _is_header(rows[0][1]):
        name_at, email_at = _columns(rows[0][1])
        rows = rows[1:]
    else:
        name_at, email_at = 0, 1
    if len(rows) > MAX_IMPORT_ROWS:
        raise EnrolmentError(
            f"The file has {len(rows)} rows; import up to {MAX_IMPORT_ROWS} at a time."
        )
    return [
        (
            line,
            row[name_at].strip() if len(row) > name_at else "",
            row[email_at].strip() if len(row) > email_at else "",
        )
        for line, row in rows
    ]


def _is_header(row: list[str]) -> bool:
    cells = [cell.strip().lower() for cell in row]
    return any("mail" in cell for cell in cells) and not any("@" in cell for cell in cells)


def _columns(header: list[str]) -> tuple[int, int]:
    cells = [cell.strip().lower() for cell in header]
    email_at = next(i for i, cell in enumerate(cells) if "mail" in cell)
    name_at = next((i for i, cell in enumerate(cells) if "name" in cell), 0 if email_at else 1)
    return name_at, email_at


def import_students(*, cohort: Cohort, data: bytes, by: User) -> list[ImportRow]:
    """Create accounts and memberships for a class list; safe to upload twice.

    New accounts get an e-mail with a link to choose their password; existing accounts are
    added to the cohort and told.
    """
    cohort.ensure_open()
    results: list[ImportRow] = []
    mails = []
    seen: set[str] = set()
    with transaction.atomic():
        for line, name, email in read_csv(data):
            email = email.lower()
            reason = _invalid(name, email, seen)
            if reason:
                results.append(ImportRow(line, name, email, "invalid", reason))
                continue
            seen.add(email)
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User.objects.create_user(
                    username=email,
                    email=email,
                    first_name=name.partition(" ")[0],
                    last_name=name.partition(" ")[2],
                )
                Membership.objects.create(cohort=cohort, user=user, role=Role.STUDENT)
                results.append(ImportRow(line, name, email, "created"))
                mails.append((len(results) - 1, _invitation_mail(user, cohort)))
                continue
            membership, created = Membership.objects.get_or_create(
                cohort=cohort, user=user, defaults={"role": Role.STUDENT}
            )
            if created:
                results.append(ImportRow(line, name, email, "added"))
                mails.append((len(results) - 1, _added_mail(user, cohort)))
            else:
                role = membership.get_role_display().lower()
                results.append(ImportRow(line, name, email, "already", f"already a {role}"))
        counts = {o: sum(r.outcome == o for r in results) for o in ("created", "added", "already")}
        activity.log(
            actor=by,
            verb="imported",
            message=f"{by.display_name} imported a class list: {counts['created']} accounts "
            f"created, {counts['added']} existing accounts added, {counts['already']} already "
            "enrolled.",
            cohort=cohort,
        )
    # Sent once the accounts are committed, one by one, so that each failure is logged and
    # reported on its own row instead of dropped.
    for index, error in _send(mails):
        results[index] = dataclasses.replace(results[index], mail_error=error)
    return results


Mail = tuple[str, str, str, list[str]]


def _send(mails: list[tuple[int, Mail]]) -> list[tuple[int, str]]:
    """Send each mail; (index, what went wrong) for each one that was not sent."""
    if not mails:
        return []
    failed: list[tuple[int, str]] = []
    try:
        connection = get_connection()
        connection.open()
    except Exception as exc:
        logger.exception("Import e-mails not sent: the mail server could not be reached.")
        return [(index, _mail_failure(exc)) for index, _ in mails]
    try:
        for index, (subject, body, sender, to) in mails:
            try:
                EmailMessage(subject, body, sender, to, connection=connection).send()
            except Exception as exc:
                logger.exception("Import e-mail to %s not sent.", ", ".join(to))
                failed.append((index, _mail_failure(exc)))
    finally:
        connection.close()
    return failed


def _mail_failure(exc: Exception) -> str:
    return (
        f"the e-mail could not be sent ({type(exc).__name__}, details in the log); they can "
        "ask for a link with “Forgot your password?” on the log-in page"
    )


def _subject(text: str) -> str:
    """A subject is one line: a control character in a name must not break the header."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _invalid(name: str, email: str, seen: set[str]) -> str:
    if not email:
        return "no e-mail address"
    try:
        validate_email(email)
    except ValidationError:
        return "not an e-mail address"
    if email in seen:
        return "listed twice in this file"
    if not name:
        return "no name"
    if len(name) > 2 * NAME_MAX:
        return "name too long"
    if any(ord(char) < 32 for char in name):
        return "control characters in the name"
    return ""


def _invitation_mail(user: User, cohort: Cohort) -> tuple[str, str, str, list[str]]:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token])
    body = (
        f"Hello {user.first_name or user.email},\n\n"
        f"You have a place in “{cohort.name}” on Stagecoach, where you will take your songs "
        "from idea to release with a coach at every stage.\n\n"
        f"Choose your password here to start:\n{link}\n\n"
        f"Your login is {user.username}.\n"
    )
    return (
        _subject(f"Your place in {cohort.name}"),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
    )


def _added_mail(user: User, cohort: Cohort) -> tuple[str, str, str, list[str]]:
    body = (
        f"Hello {user.display_name},\n\nYou have been added to “{cohort.name}” on Stagecoach. "
        f"Log in as usual: {settings.SITE_URL}{reverse('songs:home')}\n"
    )
    return (_subject(f"You are in {cohort.name}"), body, settings.DEFAULT_FROM_EMAIL, [user.email])


# --- Coaches, moves, removals ---------------------------------------------------------------


def create_invite(*, cohort: Cohort, role: str, valid_days: int, max_uses: int, by: User) -> Invite:
    """A new invite link into `cohort` with `role`, valid for `valid_days`."""
    cohort.ensure_open()
    invite = Invite.objects.create(
        cohort=cohort,
        role=role,
        expires_at=timezone.now() + dt.timedelta(days=valid_days),
        max_uses=max_uses,
        created_by=by,
    )
    activity.log(
        actor=by,
        verb="invite_created",
        cohort=cohort,
        message=f"{by.display_name} created a {invite.get_role_display().lower()} invite link.",
    )
    return invite


def revoke_invite(*, invite: Invite, by: User) -> bool:
    """Withdraw an invite link; withdrawing it twice is a quiet no-op."""
    invite.cohort.ensure_open()
    if invite.revoked_at is not None:
        return False
    invite.revoked_at = timezone.now()
    invite.save(update_fields=["revoked_at"])
    activity.log(
        actor=by,
        verb="invite_revoked",
        cohort=invite.cohort,
        message=f"{by.display_name} withdrew a {invite.get_role_display().lower()} invite link.",
    )
    return True


def add_coach(*, cohort: Cohort, user: User, by: User) -> Membership:
    cohort.ensure_open()
    membership, created = Membership.objects.get_or_create(
        cohort=cohort, user=user, defaults={"role": Role.COACH}
    )
    if not created and membership.role != Role.COACH:
        raise EnrolmentError(f"{user.display_name} is a student in this cohort.")
    if created:
        activity.log(
            actor=by,
            verb="coach_added",
            cohort=cohort,
            message=f"{by.display_name} made {user.display_name} a coach.",
        )
    return membership


def remove_member(*, membership: Membership, by: User) -> None:
    """Take someone out of a cohort. Their songs stay theirs, and stay in the cohort's
    history for its coaches."""
    cohort, user = membership.cohort, membership.user
    cohort.ensure_open()
    membership.delete()
    activity.log(
        actor=by,
        verb="removed",
        cohort=cohort,
        message=f"{by.display_name} removed {user.display_name} "
        f"({membership.get_role_display().lower()}).",
    )


def move_student(*, membership: Membership, to: Cohort, by: User) -> None:
    """Move a student, with their songs, to another cohort (whose coaches take over)."""
    membership.cohort.ensure_open()
    if membership.role != Role.STUDENT:
        raise EnrolmentError("Only students move between cohorts; coaches are assigned.")
    if to.pk == membership.cohort_id:
        raise EnrolmentError("The student is already in that cohort.")
    if to.is_archived:
        raise EnrolmentError(f"“{to.name}” is archived.")
    user, source = membership.user, membership.cohort
    with transaction.atomic():
        if Membership.objects.filter(cohort=to, user=user).exists():
            raise EnrolmentError(f"{user.display_name} is already in “{to.name}”.")
        moved = Song.objects.filter(owner=user, cohort=source).update(cohort=to)
        membership.cohort = to
        membership.joined_at = timezone.now()  # they join the new cohort now
        membership.save(update_fields=["cohort", "joined_at"])
        for cohort in (source, to):
            activity.log(
                actor=by,
                verb="moved",
                cohort=cohort,
                message=f"{by.display_name} moved {user.display_name} and "
                f"{moved} song{'s' if moved != 1 else ''} from “{source.name}” to "
                f"“{to.name}”.",
            )


# --- Cohorts --------------------------------------------------------------------------------


def create_cohort(*, cohort: Cohort, by: User) -> Cohort:
    cohort.save()
    activity.log(
        actor=by, verb="created", cohort=cohort, message=f"{by.display_name} created the cohort."
    )
    return cohort


def save_cohort(*, cohort: Cohort, due_dates: dict[int, dt.date | None], by: User) -> None:
    """Save a cohort's details and its schedule: a date per stage, or none."""
    cohort.ensure_open()
    with transaction.atomic():
        cohort.save()
        for stage_pk, due in due_dates.items():
            if due:
                StageDeadline.objects.update_or_create(
                    cohort=cohort, stage_id=stage_pk, defaults={"due_on": due}
                )
            else:
                StageDeadline.objects.filter(cohort=cohort, stage_id=stage_pk).delete()
        activity.log(
            actor=by,
            verb="edited",
            cohort=cohort,
            message=f"{by.display_name} changed the cohort's details and schedule.",
        )


def set_archived(*, cohort: Cohort, archived: bool, by: User) -> None:
    cohort.archived_at = timezone.now() if archived else None
    cohort.save(update_fields=["archived_at"])
    activity.log(
        actor=by,
        verb="archived" if archived else "unarchived",
        cohort=cohort,
        message=f"{by.display_name} {'archived' if archived else 'unarchived'} the cohort.",
    )


def duplicate_cohort(*, cohort: Cohort, name: str, starts_on: dt.date | None, by: User) -> Cohort:
    """A new cohort for the next term: same course and coaches, the schedule shifted to the
    new start date; no students."""
    shift = starts_on - cohort.starts_on if starts_on and cohort.starts_on else dt.timedelta(0)
    with transaction.atomic():
        copy = Cohort.objects.create(
            name=name,
            course=cohort.course,
            starts_on=starts_on,
            ends_on=cohort.ends_on + shift if cohort.ends_on else None,
        )
        StageDeadline.objects.bulk_create(
            StageDeadline(cohort=copy, stage_id=d.stage_id, due_on=d.due_on + shift)
            for d in cohort.deadlines.all()
        )
        Membership.objects.bulk_create(
            Membership(cohort=copy, user_id=m.user_id, role=Role.COACH)
            for m in cohort.memberships.filter(role=Role.COACH)
        )
        activity.log(
            actor=by,
            verb="created",
            cohort=copy,
            message=f"{by.display_name} created the cohort from “{cohort.name}”.",
        )
    return copy

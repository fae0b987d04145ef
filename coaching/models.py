"""People and cohorts: one account per person, the role comes from cohort membership."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import models
from django.db.models.functions import Lower

if TYPE_CHECKING:
    from django.db.models import QuerySet


class User(AbstractUser):
    is_course_admin = models.BooleanField(
        "course admin",
        default=False,
        help_text="Runs cohorts: sees every cohort, its students, songs and progress.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message="Another account already uses this e-mail address.",
            )
        ]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def coached_cohorts(self) -> QuerySet[Cohort]:
        return Cohort.objects.filter(memberships__user=self, memberships__role=Role.COACH)

    def student_cohorts(self) -> QuerySet[Cohort]:
        return Cohort.objects.filter(memberships__user=self, memberships__role=Role.STUDENT)


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    COACH = "coach", "Coach"


class CohortQuerySet(models.QuerySet["Cohort"]):
    def visible_to(self, user: User | AnonymousUser) -> CohortQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.is_course_admin:
            return self.all()
        return self.filter(pk__in=Membership.objects.filter(user=user).values("cohort"))


class Cohort(models.Model):
    name = models.CharField(max_length=120)
    course = models.CharField(max_length=120, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(User, through="Membership", related_name="cohorts")

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Membership(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "user"], name="membership_once_per_cohort")
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.cohort}"

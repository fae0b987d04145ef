from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.db import models

from coaching.models import Cohort, Mark, Role, Snippet, User, Verdict
from coaching.validators import single_line, single_line_fields
from stages.balance import BALANCE_MAX, BALANCE_MIN
from stages.models import CoreAction, Stage


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose: approve, or request changes."},
    )
    summary = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write a summary: what works, and what to do next."},
    )
    coach_balance = forms.IntegerField(min_value=BALANCE_MIN, max_value=BALANCE_MAX, initial=0)
    balance_comment = forms.CharField(
        label="Why there",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why you place the work there."},
    )

    def __init__(self, *args: Any, actions: list[CoreAction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actions = actions
        for action in actions:
            self.fields[f"mark_{action.pk}"] = forms.ChoiceField(
                label=action.title,
                choices=Mark.choices,
                widget=forms.RadioSelect,
                error_messages={"required": f"Mark “{action.title}”."},
            )

    def mark_fields(self) -> list[forms.BoundField]:
        return [self[f"mark_{action.pk}"] for action in self.actions]

    def marks(self) -> dict[int, str]:
        return {action.pk: self.cleaned_data[f"mark_{action.pk}"] for action in self.actions}

    def typed(self) -> dict[str, str]:
        """The review as typed so far, complete or not (what a draft keeps): this form's
        fields only, text cut to its field's length, and a mark, verdict or place kept only
        when it is one the form takes."""
        typed: dict[str, str] = {}
        for name, field in self.fields.items():
            value = self.data.get(name)
            if not isinstance(value, str):
                continue
            if isinstance(field, forms.CharField):
                typed[name] = value[: field.max_length]
                continue
            try:
                field.clean(value)
            except forms.ValidationError:
                continue
            typed[name] = value
        return typed

    def every_mark(self, mark: str) -> dict[str, str]:
        """The same mark for every core action, as the form's fields ("All done well")."""
        return {f"mark_{action.pk}": mark for action in self.actions}


class CommentForm(forms.Form):
    # Text, a voice note or both: the service refuses a comment with neither.
    body = forms.CharField(
        label="Comment",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    voice = forms.FileField(
        label="Voice note",
        required=False,
        error_messages={"empty": "The recording is empty: nothing was recorded. Record it again."},
    )
    bounce = forms.IntegerField(required=False, widget=forms.HiddenInput)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    at_s = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)
    until_s = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)
    blocking = forms.BooleanField(
        required=False, label="Blocking: the stage cannot be approved until this is resolved"
    )


class SnippetForm(forms.ModelForm[Snippet]):
    class Meta:
        model = Snippet
        fields = ["title", "body", "check_id"]
        labels = {"check_id": "Offer it when this check does not pass"}
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, check_ids: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        single_line_fields(self, "title")
        self.fields["check_id"] = forms.ChoiceField(
            label=self.fields["check_id"].label,
            required=False,
            choices=[("", "Any time")] + [(c, c.replace("_", " ")) for c in check_ids],
        )


# --- Cohort administration --------------------------------------------------------------


def date_picker() -> forms.DateInput:
    """A browser date picker. It only shows values in ISO form (YYYY-MM-DD), whatever the
    site's locale, so an existing date would otherwise come back empty and be lost."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CohortForm(forms.ModelForm[Cohort]):
    class Meta:
        model = Cohort
        fields = ["name", "course", "starts_on", "ends_on"]
        widgets = {
            "starts_on": date_picker(),
            "ends_on": date_picker(),
        }
        error_messages = {"name": {"required": "Give the cohort a name."}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        single_line_fields(self, "name", "course")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The cohort cannot end before it starts.")
        return cleaned


class ScheduleForm(forms.Form):
    """One optional date per stage: when it should be approved by."""

    def __init__(self, *args: Any, stages: list[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stages = stages
        for stage in stages:
            self.fields[f"due_{stage.pk}"] = forms.DateField(
                label=f"{stage.order}. {stage.name}",
                required=False,
                widget=date_picker(),
            )

    def dates(self) -> dict[int, Any]:
        return {stage.pk: self.cleaned_data.get(f"due_{stage.pk}") for stage in self.stages}


class InviteForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.STUDENT)
    valid_days = forms.IntegerField(
        label="Valid for (days)", min_value=1, max_value=365, initial=14
    )
    max_uses = forms.IntegerField(label="Most uses", min_value=1, max_value=5000, initial=200)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Class list (CSV)",
        help_text="Two columns: name and e-mail, with or without a header row. UTF-8.",
        error_messages={"required": "Choose the CSV file of your class list."},
    )


class CoachForm(forms.Form):
    who = forms.CharField(label="Coach's e-mail or username", max_length=254)

    def clean_who(self) -> User:
        who = self.cleaned_data["who"].strip()
        user = User.objects.filter(
            models.Q(username__iexact=who) | models.Q(email__iexact=who)
        ).first()
        if user is None:
            raise forms.ValidationError(
                "No account has that e-mail or username; send them a coach invite link instead."
            )
        return user


class MoveForm(forms.Form):
    to = forms.ModelChoiceField(queryset=Cohort.objects.none(), label="Move to")

    def __init__(self, *args: Any, current: Cohort, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        to = self.fields["to"]
        assert isinstance(to, forms.ModelChoiceField)
        to.queryset = Cohort.objects.active().exclude(pk=current.pk)


class DuplicateForm(forms.Form):
    name = forms.CharField(max_length=120, validators=[single_line])
    starts_on = forms.DateField(label="Starts on", required=False, widget=date_picker())


class SignUpForm(forms.Form):
    name = forms.CharField(max_length=150, validators=[single_line])
    email = forms.EmailField(label="E-mail")
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].lower()
        if User.objects.filter(models.Q(email__iexact=email) | models.Q(username=email)).exists():
            raise forms.ValidationError(
                "An account already uses this e-mail: log in instead, then open the link again."
            )
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                password_validation.validate_password(
                    first, User(email=cleaned.get("email", ""), first_name=cleaned.get("name", ""))
                )
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned

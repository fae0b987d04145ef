from __future__ import annotations

from typing import Any

from django import forms

from coaching.models import Mark, Snippet, Verdict
from stages.models import BALANCE_MAX, BALANCE_MIN, CoreAction


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


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write something first."},
    )
    bounce = forms.IntegerField(required=False, widget=forms.HiddenInput)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    at_s = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)
    until_s = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)
    blocking = forms.BooleanField(
        required=False, label="Blocking: the stage cannot be approved until this is resolved"
    )


class SnippetForm(forms.ModelForm):
    class Meta:
        model = Snippet
        fields = ["title", "body", "check_id"]
        labels = {"check_id": "Offer it when this check does not pass"}
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, check_ids: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["check_id"] = forms.ChoiceField(
            label=self.fields["check_id"].label,
            required=False,
            choices=[("", "Any time")] + [(c, c.replace("_", " ")) for c in check_ids],
        )

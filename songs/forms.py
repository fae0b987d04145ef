from __future__ import annotations

import uuid
from typing import Any

from django import forms

from coaching.models import User
from coaching.validators import single_line_fields
from songs.analysis.formats import ACCEPT_ATTRIBUTE
from songs.models import KEY_CHOICES, TEMPO_MAX_BPM, TEMPO_MIN_BPM, Song


class SongForm(forms.ModelForm[Song]):
    # A fresh key per rendered form: submitting the same form twice creates one song.
    request_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Song
        fields = [
            "title",
            "cohort",
            "purpose",
            "core_emotion",
            "hook",
            "tempo_bpm",
            "key",
            "genre",
        ]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}
        labels = {"purpose": "Purpose (the story)"}
        error_messages = {
            "title": {"required": "Give the song a working title."},
            "purpose": {"required": "Say in a sentence what the song is for."},
        }

    def __init__(self, *args: Any, owner: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        single_line_fields(self, "title", "core_emotion", "hook")
        self.fields["tempo_bpm"].widget.attrs.update(min=TEMPO_MIN_BPM, max=TEMPO_MAX_BPM)
        key = self.fields["key"]
        assert isinstance(key, forms.TypedChoiceField)
        key.choices = [("", "Not decided yet"), *KEY_CHOICES]
        genre = self.fields["genre"]
        assert isinstance(genre, forms.ModelChoiceField)
        genre.empty_label = "Not chosen"
        if self.instance.pk:
            # A song stays in its cohort; moving students is a course admin's job.
            del self.fields["cohort"]
            del self.fields["request_key"]
            return
        active = owner.student_cohorts().active()
        self.cohorts = list(active)
        cohort = self.fields["cohort"]
        assert isinstance(cohort, forms.ModelChoiceField)  # the ForeignKey's form field
        cohort.queryset = active
        cohort.empty_label = None
        if len(self.cohorts) == 1:
            self.fields["cohort"].widget = forms.HiddenInput()
            self.initial.setdefault("cohort", self.cohorts[0].pk)
        if not self.is_bound:
            self.initial.setdefault("request_key", uuid.uuid4())


class BounceForm(forms.Form):
    # Fields before the file: the browser sends them first, so they survive an upload
    # that is cut off for being too large.
    note = forms.CharField(
        label="What changed",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
        help_text="For example: re-recorded the second verse vocal, lowered the kick.",
    )
    request_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    file = forms.FileField(label="Audio file", required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("request_key", uuid.uuid4())
        self.fields["file"].error_messages["required"] = "Choose an audio file to upload."
        self.fields["file"].widget.attrs["accept"] = ACCEPT_ATTRIBUTE

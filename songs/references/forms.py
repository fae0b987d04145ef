from __future__ import annotations

from typing import Any

from django import forms

from coaching.validators import single_line
from songs.analysis.formats import ACCEPT_ATTRIBUTE
from songs.models import ReferenceTrack


class ReferenceForm(forms.Form):
    # The title before the file: the browser sends it first, so it survives an upload that
    # is cut off for being too large.
    title = forms.CharField(
        label="Artist and title",
        max_length=ReferenceTrack._meta.get_field("title").max_length,
        help_text="A released record you aim for, as you would name it to your coach.",
        error_messages={"required": "Name the record: its artist and title."},
        validators=[single_line],
    )
    file = forms.FileField(label="Audio file", required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].error_messages["required"] = "Choose the record's audio file."
        self.fields["file"].widget.attrs["accept"] = ACCEPT_ATTRIBUTE

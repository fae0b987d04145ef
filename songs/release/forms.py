"""Forms for releasing a song: they parse and validate, the views and models act."""

from __future__ import annotations

from typing import Any

from django import forms

from coaching.models import User
from coaching.validators import single_line
from songs.analysis.metadata import format_isrc, isrc_is_valid
from songs.analysis.units import size as format_size
from songs.models import (
    HABIT_MAX_CHARS,
    RETRO_MAX_CHARS,
    DeliveryProfile,
    Song,
    normalise_isrc_input,
)
from songs.release import artwork


class ReleaseDetailsForm(forms.Form):
    artist_name = forms.CharField(
        label="Artist",
        max_length=120,
        required=False,
        help_text="The name the song is released under; your own name when empty.",
        validators=[single_line],
    )
    isrc = forms.CharField(
        label="ISRC",
        max_length=40,
        required=False,
        help_text="As your distributor gave it, e.g. GB-ABC-24-00001.",
    )
    delivery_profile = forms.ModelChoiceField(
        label="Delivery profile",
        queryset=DeliveryProfile.objects.all(),
        required=False,
        help_text="What the master must be to deliver.",
    )

    def __init__(self, *args: Any, song: Song, viewer: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "artist_name": song.artist_name,
                "isrc": song.isrc_display,
                "delivery_profile": song.delivery_profile_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.song = song
        self.viewer = viewer
        self.taken_by: Song | None = None
        """The song that already has the ISRC, when the viewer may open it."""
        self.fields["isrc"].widget.attrs.update(autocomplete="off", spellcheck="false")
        profile_field = self.fields["delivery_profile"]
        assert isinstance(profile_field, forms.ModelChoiceField)
        profile_field.empty_label = "Default profile"

    def clean_isrc(self) -> str:
        raw = self.cleaned_data["isrc"].strip()
        if not raw:
            return ""
        code = normalise_isrc_input(raw)
        if not isrc_is_valid(code):
            raise forms.ValidationError(
                f"“{raw}” is not an ISRC. An ISRC has 12 characters: a 2-letter country code, "
                "3 letters or digits for the registrant, 2 digits for the year and 5 for the "
                "recording, e.g. GB-ABC-24-00001.",
                code="invalid",
            )
        other = Song.objects.filter(isrc=code).exclude(pk=self.song.pk).only("pk", "title")
        holder = other.first()
        if holder is not None:
            if Song.objects.visible_to(self.viewer).filter(pk=holder.pk).exists():
                self.taken_by = holder
                message = (
                    f"{format_isrc(code)} is already the ISRC of “{holder.title}”. Each "
                    "recording has its own ISRC: check the code, or take it off the other song."
                )
            else:
                # Someone else's song: say the code is taken, never whose.
                message = (
                    f"{format_isrc(code)} is already registered to another song. Each "
                    "recording has its own ISRC: check the code with your distributor."
                )
            raise forms.ValidationError(message, code="taken")
        return code


class ArtworkForm(forms.Form):
    file = forms.FileField(label="Cover image")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].error_messages["required"] = "Choose a JPEG or PNG image to upload."
        self.fields["file"].widget.attrs["accept"] = artwork.ACCEPT_ATTRIBUTE

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > artwork.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"This image is {format_size(upload.size)}; covers can be up to "
                f"{format_size(artwork.MAX_UPLOAD_BYTES)}."
            )
        try:
            self.cleaned_data["processed"] = artwork.process(upload)
        except artwork.ArtworkError as error:
            raise forms.ValidationError(str(error), code="artwork") from None
        return upload


class RetrospectiveForm(forms.Form):
    worked = forms.CharField(
        label="What worked?",
        required=False,
        max_length=RETRO_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A decision, a tool or a habit that made this song better.",
    )
    change = forms.CharField(
        label="What would you change?",
        required=False,
        max_length=RETRO_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where time went, what you would do differently next time.",
    )
    habit = forms.CharField(
        label="One habit for the next song",
        max_length=HABIT_MAX_CHARS,
        help_text="One sentence. It opens the Vision stage of your next song.",
        error_messages={"required": "Name one habit to take into your next song."},
    )

    def __init__(self, *args: Any, song: Song, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"worked": song.retro_worked, "change": song.retro_change, "habit": song.next_habit},
        )
        super().__init__(*args, **kwargs)

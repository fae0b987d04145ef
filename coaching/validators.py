"""Checks on what people type that every form shares."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def single_line(value: str) -> None:
    """A name (a cohort's, a course's, a song's title, a person's) is one line of text: a
    line break or another control character in it breaks e-mail subjects and exports."""
    if _CONTROL.search(value or ""):
        raise ValidationError(
            "Keep this to one line: remove the line break, tab or other control character.",
            code="control_characters",
        )


def single_line_fields(form: forms.BaseForm, *names: str) -> None:
    """Give the named fields of `form` the one-line check (in its __init__)."""
    for name in names:
        field: Any = form.fields.get(name)
        if field is not None and single_line not in field.validators:
            field.validators.append(single_line)

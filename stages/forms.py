from __future__ import annotations

from django import forms

from stages.balance import BALANCE_MAX, BALANCE_MIN
from stages.models import JOURNAL_MAX_CHARS


class JournalForm(forms.Form):
    journal = forms.CharField(
        required=False,
        strip=False,
        max_length=JOURNAL_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class BalanceForm(forms.Form):
    self_balance = forms.IntegerField(min_value=BALANCE_MIN, max_value=BALANCE_MAX)


class TickForm(forms.Form):
    done = forms.BooleanField(required=False)

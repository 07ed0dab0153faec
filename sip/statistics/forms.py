"""The report's choices: whose statistics, which period, rows by what, columns by what."""

import calendar as month_calendar
import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sip.statistics.selectors import (
    Dimension,
    Period,
    ReportQuery,
    Scope,
    Split,
    default_dimension,
)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(value: str) -> tuple[int, int] | None:
    match = _MONTH.match(value or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return int(match.group(1)), int(match.group(2))


class ReportForm(forms.Form):
    """Periods are whole months or a year: finer periods would let two reports be subtracted down
    to a single day."""

    scope = forms.ChoiceField(label=_("Urval"))
    year = forms.IntegerField(label=_("År"), required=False, min_value=2000, max_value=2100)
    from_month = forms.CharField(
        label=_("Från och med månad"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "ÅÅÅÅ-MM"}),
    )
    to_month = forms.CharField(
        label=_("Till och med månad"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "ÅÅÅÅ-MM"}),
    )
    dimension = forms.ChoiceField(label=_("Rader"), choices=Dimension.choices, required=False)
    split = forms.ChoiceField(
        label=_("Fördela på"), choices=Split.choices, required=False, initial=Split.GENDER
    )

    def __init__(self, data=None, *, scopes: list[Scope]):
        self.scopes = {scope.key: scope for scope in scopes}
        if data is not None:
            data = data.copy()
            data.setdefault("scope", scopes[0].key)
        super().__init__(data)
        self.fields["scope"].choices = [(scope.key, scope.label) for scope in scopes]
        self.fields["scope"].initial = scopes[0].key
        self.fields["year"].initial = timezone.localdate().year

    def clean(self) -> dict:
        data = super().clean()
        first, last = data.get("from_month"), data.get("to_month")
        if first or last:
            start, end = _month(first), _month(last)
            if start is None or end is None:
                raise forms.ValidationError(
                    _("Ange både från- och till-månad som ÅÅÅÅ-MM, t.ex. 2025-01.")
                )
            if end < start:
                raise forms.ValidationError(_("Till-månaden kan inte ligga före från-månaden."))
            data["period"] = Period(
                dt.date(*start, 1), dt.date(*end, month_calendar.monthrange(*end)[1])
            )
        else:
            year = data.get("year") or timezone.localdate().year
            data["period"] = Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
        return data

    def report_query(self) -> ReportQuery:
        scope = self.scopes[self.cleaned_data["scope"]]
        return ReportQuery(
            scope=scope,
            period=self.cleaned_data["period"],
            dimension=self.cleaned_data.get("dimension") or default_dimension(scope),
            split=self.cleaned_data.get("split") or Split.GENDER,
        )

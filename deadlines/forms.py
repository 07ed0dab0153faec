"""The overdue page's filter form: units limited to those the manager answers for."""

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from actors.models import Unit
from agreements.models import DeadlineRule
from deadlines.selectors import OverdueState


class OverdueFilterForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Verksamhet"), required=False, queryset=Unit.objects.none(), empty_label=_("Alla")
    )
    kind = forms.ChoiceField(
        label=_("Typ av frist"),
        required=False,
        choices=[("", _("Alla")), *DeadlineRule.Kind.choices],
    )
    state = forms.ChoiceField(
        label=_("Läge"), required=False, choices=[("", _("Alla")), *OverdueState.choices]
    )

    def __init__(self, *args, units: QuerySet[Unit], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def filters(self) -> dict:
        """The valid filters; an invalid one (e.g. a unit that is not yours) is dropped and
        its error shown, so the page falls back to all of the manager's own units."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.errors and value
        }

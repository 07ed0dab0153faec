from django import forms
from django.utils.translation import gettext_lazy as _

from actors.models import County
from agreements.models import DeadlineRule


class RuleFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Typ av frist"),
        required=False,
        choices=[("", _("Alla typer")), *DeadlineRule.Kind.choices],
    )
    county = forms.ChoiceField(
        label=_("Län"), required=False, choices=[("", _("Alla län")), *County.choices]
    )

"""Thin forms: they check shape and Swedish input; the services decide what is allowed."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from sip.deviations.models import DeviationReport

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _text(label, *, required: bool = True, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows})
    )


class ReportForm(forms.Form):
    reporting_unit = forms.ModelChoiceField(label=_("Rapporterande verksamhet"), queryset=None)
    concerned_units = forms.ModelMultipleChoiceField(
        label=_("Berörda verksamheter"),
        queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    category = forms.ChoiceField(label=_("Kategori"), choices=DeviationReport.Category.choices)
    agreement = forms.ModelChoiceField(
        label=_("Styrande överenskommelse"),
        queryset=Agreement.objects.order_by("county", "code", "-version"),
    )
    occurred_at = forms.DateTimeField(label=_("När hände det"), widget=_DATETIME)
    description = _text(_("Vad hände"), rows=5)

    def __init__(self, *args, reporting_units, concerned_units, with_agreement: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporting_unit"].queryset = reporting_units
        self.fields["concerned_units"].queryset = concerned_units
        if not with_agreement:
            # A report on a case is governed by the case's agreement; nothing to choose.
            del self.fields["agreement"]

    def clean_occurred_at(self):
        occurred_at = self.cleaned_data["occurred_at"]
        if occurred_at > timezone.now():
            raise forms.ValidationError(_("Tidpunkten kan inte ligga i framtiden."))
        return occurred_at


class ConfirmForm(forms.Form):
    description = _text(_("Vad hände"), rows=4)


class DismissForm(forms.Form):
    reason = _text(_("Varför avfärdas utkastet"), rows=2)


class NoteForm(forms.Form):
    """A step that needs no input; an optional note goes into the timeline with it."""

    text = _text(_("Anteckning (valfri)"), required=False, rows=2)


class AnswerForm(forms.Form):
    answer = _text(_("Svar"), rows=4)
    measures = _text(_("Åtgärder"), rows=3)


class EscalateForm(forms.Form):
    reason = _text(_("Varför lyfts rapporten"), rows=2)


class CommentForm(forms.Form):
    text = _text(_("Kommentar"), rows=2)


class InboxFilterForm(forms.Form):
    visa = forms.ChoiceField(
        label=_("Visa"),
        required=False,
        choices=[("", _("Till mina verksamheter")), ("fran", _("Från mina verksamheter"))],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Alla")), *DeviationReport.Status.choices],
    )
    category = forms.ChoiceField(
        label=_("Kategori"),
        required=False,
        choices=[("", _("Alla")), *DeviationReport.Category.choices],
    )


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("År"), min_value=2000, max_value=2100)

"""Thin forms for placements: shape and Swedish input only; the services decide what is allowed."""

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from actors.models import Unit
from sip.models import Case
from sip.placements.models import CostSplit, ExaminationRequest, Placement

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitWithHuvudmanField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name} ({obj.huvudman.name})"


class PlacementForm(forms.Form):
    responsible_unit = forms.ModelChoiceField(
        label=_("Ansvarig socialtjänst (placerande kommun)"), queryset=Unit.objects.none()
    )
    case = forms.ModelChoiceField(
        label=_("SIP-ärende"), queryset=Case.objects.none(), required=False
    )
    placement_type = forms.ChoiceField(label=_("Placeringsform"), choices=Placement.Form.choices)
    legal_basis = forms.ChoiceField(label=_("Lagrum"), choices=Placement.LegalBasis.choices)
    decided_on = forms.DateField(label=_("Beslutsdatum"), widget=_DATE)
    is_acute = forms.BooleanField(
        label=_("Akut placering (omedelbart omhändertagande enligt 6 § LVU är alltid akut)"),
        required=False,
    )
    starts_on = forms.DateField(label=_("Startdatum"), widget=_DATE)
    planned_end_on = forms.DateField(label=_("Planerat slutdatum"), required=False, widget=_DATE)
    residence_name = forms.CharField(
        label=_("Boende (familjehem/HVB)"), required=False, max_length=200
    )
    residence_address = forms.CharField(
        label=_("Adress"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    protected_residence = forms.BooleanField(
        label=_("Hemlighållen vistelseort (visas bara för behöriga)"), required=False
    )

    def __init__(self, *args, units, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].queryset = units
        self.fields["case"].queryset = cases


class PlacementEndForm(forms.Form):
    ended_on = forms.DateField(label=_("Avslutad"), widget=_DATE)
    reason = forms.CharField(label=_("Skäl"), widget=forms.Textarea(attrs={"rows": 2}))


class JointPlanningForm(forms.Form):
    invited_on = forms.DateField(label=_("Inbjudan skickad"), widget=_DATE)


class AuthoriseForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Kollega"), queryset=None)

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


class CostSplitForm(forms.Form):
    intervention = forms.ModelChoiceField(
        label=_("Insats i SIP (tomt = placeringen som helhet)"), queryset=None, required=False
    )
    description = forms.CharField(
        label=_("Vad kostnaden avser"),
        required=False,
        max_length=300,
        help_text=_("Kan lämnas tomt när en insats är vald."),
    )
    basis = forms.ChoiceField(label=_("Fördelas i"), choices=CostSplit.Basis.choices)
    total_amount = forms.DecimalField(
        label=_("Totalbelopp (kr, vid fördelning i belopp)"),
        required=False,
        max_digits=12,
        decimal_places=2,
    )
    ordered_by = forms.ModelChoiceField(label=_("Beställande huvudman"), queryset=None)
    meeting = forms.ModelChoiceField(
        label=_("Diskuterad på aktörsmöte"), queryset=None, required=False
    )

    def __init__(self, *args, interventions, parties, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intervention"].queryset = interventions
        self.fields["ordered_by"].queryset = parties
        self.fields["meeting"].queryset = meetings


class CostShareForm(forms.Form):
    unit = UnitWithHuvudmanField(label=_("Part (företrädande verksamhet)"), queryset=None)
    value = forms.DecimalField(
        label=_("Andel (% eller kr)"), max_digits=12, decimal_places=2, min_value=0
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


CostShareFormSet = formset_factory(CostShareForm, extra=3, max_num=10, validate_max=True)


class CostShareDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Varför är ni inte överens?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ExaminationRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Undersökning"), choices=ExaminationRequest.Kind.choices)
    unit = UnitWithHuvudmanField(label=_("Till verksamhet"), queryset=None)
    requested_on = forms.DateField(
        label=_("Begäran skickad (LVU: nämndens beslut enligt 32 §)"), widget=_DATE
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class ExaminationAnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Svar"),
        choices=[
            (ExaminationRequest.Status.STATEMENT_RECEIVED, _("Utlåtande mottaget")),
            (ExaminationRequest.Status.DECLINED, _("Undersökningen avböjdes")),
        ],
    )
    answered_on = forms.DateField(label=_("Datum"), widget=_DATE)
    note = forms.CharField(
        label=_("Anteckning"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

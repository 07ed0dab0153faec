"""Forms of the coordinator's pages. They check shape; the services decide what is allowed."""

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.models import Municipality, Unit
from sip.forms import ConsentForm
from sip.identity import IdNumber, parse_id_number
from sip.models import Case
from sip.workspace.selectors import CaseFilters, Role, Sort, StatusFilter


class CaseFilterForm(forms.Form):
    """The worklist's search and filters. Posted, then kept in the session: a name or a
    personnummer never travels in a URL."""

    q = forms.CharField(
        label=_("Sök namn eller personnummer"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (StatusFilter.RUNNING, _("Pågående")),
            (StatusFilter.ALL, _("Alla")),
            *Case.Status.choices,
        ],
    )
    unit = forms.ModelChoiceField(
        label=_("Verksamhet"),
        required=False,
        queryset=None,
        empty_label=_("Alla mina verksamheter"),
    )
    role = forms.ChoiceField(
        label=_("Min roll"), required=False, choices=[("", _("Alla roller")), *Role.choices]
    )
    sort = forms.ChoiceField(
        label=_("Sortering"),
        required=False,
        choices=[
            (Sort.DEADLINE, _("Närmaste frist först")),
            (Sort.NEWEST, _("Senast öppnade först")),
        ],
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        for name in ("status", "unit", "role", "sort"):
            self.fields[name].widget.attrs["class"] = "form-select-sm"

    def session_data(self) -> dict:
        data = self.cleaned_data
        return {
            "q": data["q"].strip(),
            "status": data["status"],
            "unit": data["unit"].pk if data["unit"] else None,
            "role": data["role"],
            "sort": data["sort"],
        }


def filters_from_session(data: dict) -> CaseFilters:
    return CaseFilters(
        query=data.get("q", ""),
        status=data.get("status", StatusFilter.RUNNING),
        unit_id=data.get("unit"),
        role=data.get("role", ""),
        sort=data.get("sort", Sort.DEADLINE),
    )


class PersonLookupForm(forms.Form):
    """Step 1 of a new case: find the person by number. Posted, so the number stays out of URLs."""

    id_number = forms.CharField(
        label=_("Personnummer eller samordningsnummer"),
        max_length=20,
        help_text=_("ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean_id_number(self) -> IdNumber:
        return parse_id_number(self.cleaned_data["id_number"], today=timezone.localdate())


class WizardConsentForm(ConsentForm):
    """Consent with its scope picked from the directory: the chosen units travel as hidden
    inputs that the live search adds, so the form never lists the whole directory."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].widget = forms.MultipleHiddenInput()

    def chosen_units(self) -> QuerySet[Unit]:
        """The units to show as chosen: what was posted (also when the form failed), else the
        initial ones."""
        if self.is_bound:
            ids = [value for value in self.data.getlist("units") if value.isdigit()]
        else:
            ids = [getattr(unit, "pk", unit) for unit in self.initial.get("units", [])]
        return (
            Unit.objects.filter(pk__in=ids, is_active=True)
            .select_related("huvudman")
            .order_by("name")
        )


class UnitSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Verksamhetens namn"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(
        label=_("Typ av verksamhet"),
        required=False,
        choices=[("", _("Alla typer")), *Unit.Kind.choices],
    )
    municipality = forms.ModelChoiceField(
        label=_("Kommun"),
        required=False,
        queryset=Municipality.objects.order_by("name"),
        to_field_name="code",
        empty_label=_("Alla kommuner"),
    )

    def search_arguments(self) -> dict:
        if not self.is_valid():
            return {}
        municipality = self.cleaned_data["municipality"]
        return {
            "query": self.cleaned_data["q"].strip(),
            "kind": self.cleaned_data["kind"],
            "municipality_code": municipality.code if municipality else "",
        }


class InviteForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Verksamhet"),
        queryset=Unit.objects.filter(is_active=True),
        widget=forms.HiddenInput,
    )


class ProposalForm(forms.Form):
    """A proposed meeting time read from the week view's query string."""

    starts_at = forms.DateTimeField()
    duration_minutes = forms.IntegerField(min_value=15, max_value=480, required=False)

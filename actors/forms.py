"""Forms of the actor directory pages: the directory filter and the two import steps."""

from django import forms
from django.utils.translation import gettext_lazy as _

from actors import services
from actors.models import County, Huvudman, Membership, Municipality, Unit
from config.exceptions import ApplicationError


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Sök namn"), required=False, max_length=100)
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
    huvudman = forms.ModelChoiceField(
        label=_("Huvudman"),
        required=False,
        queryset=Huvudman.objects.order_by("name"),
        empty_label=_("Alla huvudmän"),
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV-fil"),
        help_text=_("UTF-8, semikolon- eller kommaseparerad, med rubrikrad."),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > services.MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("Filen är för stor (högst 5 MB)."))
        try:
            return services.decode_csv_bytes(data=upload.read())
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc


class ImportConfirmForm(forms.Form):
    """Carries the previewed file back so the import validates exactly what was shown."""

    content = forms.CharField(widget=forms.HiddenInput, strip=False)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Sök"), required=False, max_length=100)


class ProfessionalFilterForm(SearchForm):
    role = forms.ChoiceField(
        label=_("Roll"), required=False, choices=[("", _("Alla roller")), *Membership.Role.choices]
    )


class SteeringGroupFilterForm(forms.Form):
    county = forms.ChoiceField(
        label=_("Län"), required=False, choices=[("", _("Alla län")), *County.choices]
    )

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.models import Unit, User
from sip.access.models import LogReviewItem
from sip.identity import parse_id_number
from sip.models import Individual

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnmaskForm(forms.Form):
    # The service refuses an empty reason with its own message; the form only carries it.
    reason = forms.CharField(
        label=_("Skäl till att du behöver se de skyddade uppgifterna"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    case = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AuthoriseForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Ge behörighet till skyddade uppgifter"), queryset=User.objects.none()
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


def _user_label(user: User) -> str:
    return f"{user.get_full_name() or user.username} ({user.username})"


class _PersonNumberField(forms.CharField):
    """A personnummer/samordningsnummer that must belong to a registered person."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            parsed = parse_id_number(value, today=timezone.localdate())
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        individual = Individual.objects.filter(id_number=parsed.number).first()
        if individual is None:
            raise ValidationError(_("Ingen person med det numret finns registrerad."))
        return individual


class LogFilterForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Verksamhet"), queryset=Unit.objects.none(), required=False
    )
    user = forms.ModelChoiceField(
        label=_("Användare"), queryset=User.objects.none(), required=False
    )
    person = _PersonNumberField(
        label=_("Personnummer"), required=False, max_length=20, help_text=_("ÅÅÅÅMMDD-NNNN")
    )
    date_from = forms.DateField(label=_("Från och med"), required=False, widget=_DATE)
    date_to = forms.DateField(label=_("Till och med"), required=False, widget=_DATE)
    protected_only = forms.BooleanField(label=_("Bara skyddade personer"), required=False)

    def __init__(self, *args, units, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = _user_label


class LogReviewForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Verksamhet"), queryset=Unit.objects.none())
    period_start = forms.DateField(label=_("Från och med"), widget=_DATE)
    period_end = forms.DateField(label=_("Till och med"), widget=_DATE)
    sample_size = forms.IntegerField(
        label=_("Antal slumpvisa poster"),
        min_value=0,
        initial=20,
        help_text=_("Alla åtkomster till skyddade personer granskas dessutom."),
    )
    user = forms.ModelChoiceField(
        label=_("Bara användare"), queryset=User.objects.none(), required=False
    )
    person = _PersonNumberField(label=_("Bara person (personnummer)"), required=False)

    def __init__(self, *args, units, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = _user_label


class LogReviewItemForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Bedömning"),
        choices=[
            (LogReviewItem.Verdict.JUSTIFIED, LogReviewItem.Verdict.JUSTIFIED.label),
            (LogReviewItem.Verdict.UNJUSTIFIED, LogReviewItem.Verdict.UNJUSTIFIED.label),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Kommentar"), required=False, max_length=2000)

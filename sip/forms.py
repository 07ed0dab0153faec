"""Thin forms: they check shape and Swedish input; the services decide what is allowed."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.models import Municipality, Unit
from sip.access.models import identity_hidden
from sip.identity import parse_id_number
from sip.models import Individual, Invitation, Meeting

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class IndividualForm(forms.Form):
    id_kind = forms.ChoiceField(label=_("Typ av identitet"), choices=Individual.IdKind.choices)
    id_number = forms.CharField(
        label=_("Personnummer/samordningsnummer"), required=False, max_length=20
    )
    reserve_number = forms.CharField(label=_("Reservnummer"), required=False, max_length=40)
    birth_date = forms.DateField(
        label=_("Födelsedatum (om nummer saknas)"), required=False, widget=_DATE
    )
    first_name = forms.CharField(label=_("Förnamn"), max_length=100)
    last_name = forms.CharField(label=_("Efternamn"), max_length=100)
    gender = forms.ChoiceField(label=_("Kön (för statistik)"), choices=Individual.Gender.choices)
    home_municipality = forms.ModelChoiceField(
        label=_("Hemkommun"), queryset=Municipality.objects.order_by("name")
    )
    address = forms.CharField(
        label=_("Adress"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    email = forms.EmailField(label=_("E-post"), required=False)
    phone = forms.CharField(label=_("Telefon"), required=False, max_length=40)
    protected_identity = forms.BooleanField(label=_("Skyddad identitet"), required=False)
    protected_residence = forms.BooleanField(label=_("Hemlighållen vistelseort"), required=False)
    guardian_1 = forms.CharField(label=_("Vårdnadshavare 1"), required=False, max_length=200)
    guardian_1_email = forms.EmailField(label=_("E-post"), required=False)
    guardian_1_custody = forms.BooleanField(label=_("Har vårdnaden"), required=False, initial=True)
    guardian_2 = forms.CharField(label=_("Vårdnadshavare 2"), required=False, max_length=200)
    guardian_2_email = forms.EmailField(label=_("E-post"), required=False)
    guardian_2_custody = forms.BooleanField(label=_("Har vårdnaden"), required=False, initial=True)

    def clean(self):
        data = super().clean()
        kind = data.get("id_kind")
        if kind in (Individual.IdKind.PERSONNUMMER, Individual.IdKind.SAMORDNINGSNUMMER):
            try:
                parse_id_number(data.get("id_number", ""), today=timezone.localdate())
            except ValidationError as exc:
                self.add_error("id_number", exc)
        elif kind == Individual.IdKind.RESERVNUMMER and not data.get("reserve_number"):
            self.add_error("reserve_number", _("Ange reservnumret."))
        return data


class CaseOpenForm(forms.Form):
    convening_unit = forms.ModelChoiceField(
        label=_("Kallande verksamhet"), queryset=Unit.objects.none()
    )
    reason = forms.CharField(label=_("Anledning"), widget=forms.Textarea(attrs={"rows": 3}))
    is_acute = forms.BooleanField(label=_("Akut"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["convening_unit"].queryset = units


class ConsentForm(forms.Form):
    given_at = forms.DateTimeField(label=_("Samtycke lämnat"), widget=_DATETIME)
    given_by_individual = forms.BooleanField(label=_("Den enskilde har samtyckt"), required=False)
    guardians = forms.ModelMultipleChoiceField(
        label=_("Vårdnadshavare som samtyckt"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Verksamheter som samtycket omfattar"),
        queryset=Unit.objects.filter(is_active=True).order_by("name"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    valid_until = forms.DateField(label=_("Gäller till"), required=False, widget=_DATE)

    def __init__(self, *args, individual: Individual, **kwargs):
        super().__init__(*args, **kwargs)
        guardians = individual.guardians.all()
        self.fields["guardians"].queryset = guardians
        if identity_hidden(individual):
            # Guardians' names would reveal a protected identity: number them instead.
            labels = {
                guardian.pk: _("Vårdnadshavare %d") % n
                for n, guardian in enumerate(guardians, start=1)
            }
            self.fields["guardians"].label_from_instance = lambda guardian: labels[guardian.pk]


class ConsentRefuseForm(forms.Form):
    reason = forms.CharField(label=_("Vad framkom"), widget=forms.Textarea(attrs={"rows": 2}))


class ConsentWithdrawForm(forms.Form):
    withdrawn_at = forms.DateTimeField(
        label=_("Återkallat (datum och tid)"), widget=_DATETIME, initial=timezone.now
    )
    withdrawn_by = forms.CharField(label=_("Återkallat av"), max_length=200)


class CaseEndForm(forms.Form):
    """Cancelling and closing a case both need the reason, which is kept on the case."""

    reason = forms.CharField(label=_("Skäl"), widget=forms.Textarea(attrs={"rows": 2}))


class CaseReopenForm(forms.Form):
    """Reopening needs no input; the form carries the service's refusal back to the page."""


class ParticipantForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Verksamhet i katalogen"),
        queryset=Unit.objects.filter(is_active=True).order_by("name"),
        required=False,
    )
    organisation = forms.CharField(
        label=_("Eller extern organisation"), required=False, max_length=200
    )
    person_name = forms.CharField(label=_("Namngiven person"), required=False, max_length=200)
    email = forms.EmailField(label=_("E-post"), required=False)
    phone = forms.CharField(label=_("Telefon"), required=False, max_length=40)
    postal_address = forms.CharField(
        label=_("Postadress"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MeetingTimeForm(forms.Form):
    """When and where: used to reschedule, and as the base of the new-meeting form."""

    starts_at = forms.DateTimeField(label=_("Starttid"), widget=_DATETIME)
    duration_minutes = forms.IntegerField(
        label=_("Längd (minuter)"), min_value=15, max_value=480, initial=60
    )
    place = forms.CharField(label=_("Plats"), required=False, max_length=300)
    video_link = forms.URLField(label=_("Videolänk"), required=False, assume_scheme="https")

    @classmethod
    def for_meeting(cls, meeting: Meeting, **kwargs) -> "MeetingTimeForm":
        return cls(
            initial={
                "starts_at": meeting.starts_at,
                "duration_minutes": meeting.duration_minutes,
                "place": meeting.place,
                "video_link": meeting.video_link,
            },
            **kwargs,
        )


class MeetingForm(MeetingTimeForm):
    field_order = ["kind"]

    kind = forms.ChoiceField(label=_("Typ av möte"), choices=Meeting.Kind.choices)
    send_now = forms.BooleanField(label=_("Skicka kallelsen direkt"), required=False, initial=True)


class MeetingCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Varför ställs mötet in"), widget=forms.Textarea(attrs={"rows": 2})
    )


class InvitationAnswerForm(forms.Form):
    response = forms.ChoiceField(
        label=_("Svar"),
        choices=[
            (Invitation.Response.ACCEPTED, Invitation.Response.ACCEPTED.label),
            (Invitation.Response.DECLINED, Invitation.Response.DECLINED.label),
        ],
        widget=forms.RadioSelect,
    )
    decline_reason = forms.CharField(
        label=_("Skäl till nej"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MeetingHeldForm(forms.Form):
    attended = forms.ModelMultipleChoiceField(
        label=_("Närvarande"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    excused = forms.ModelMultipleChoiceField(
        label=_("Frånvarande med anmält förhinder"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(
        label=_("Anteckningar"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        invited = meeting.case.participants.filter(invitations__meeting=meeting).select_related(
            "unit"
        )
        self.fields["attended"].queryset = invited
        self.fields["excused"].queryset = invited


class PlanForm(forms.Form):
    own_goals = forms.CharField(
        label=_("Mina mål"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    own_views = forms.CharField(
        label=_("Mina synpunkter"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    needs = forms.CharField(label=_("Behov"), widget=forms.Textarea(attrs={"rows": 3}))
    other_measures = forms.CharField(
        label=_("Insatser av andra än region och kommun"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    lead_name = forms.CharField(label=_("Huvudansvarig"), max_length=200)
    lead_unit = forms.ModelChoiceField(label=_("Huvudansvarigs verksamhet"), queryset=None)
    coordinator_name = forms.CharField(label=_("Samordnare"), max_length=200)
    coordinator_unit = forms.ModelChoiceField(label=_("Samordnarens verksamhet"), queryset=None)
    plan_owner_name = forms.CharField(label=_("Planansvarig"), required=False, max_length=200)
    plan_owner_unit = forms.ModelChoiceField(
        label=_("Planansvarigs verksamhet"), queryset=None, required=False
    )
    next_follow_up = forms.DateField(label=_("Nästa uppföljning"), required=False, widget=_DATE)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lead_unit", "coordinator_unit", "plan_owner_unit"):
            self.fields[name].queryset = units


class InterventionForm(forms.Form):
    description = forms.CharField(label=_("Insats"), max_length=1000)
    unit = forms.ModelChoiceField(label=_("Ansvarig verksamhet"), queryset=None)
    performer = forms.CharField(label=_("Utförare"), max_length=200)
    scope = forms.CharField(label=_("Omfattning"), max_length=200)
    starts_on = forms.DateField(label=_("Start"), widget=_DATE)
    ends_on = forms.DateField(label=_("Slut"), required=False, widget=_DATE)
    follow_up = forms.CharField(label=_("Hur följs insatsen upp"), max_length=1000)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class NoInterventionForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Verksamhet"), queryset=None)
    reason = forms.CharField(label=_("Motivering"), max_length=1000)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


InterventionFormSet = formset_factory(InterventionForm, extra=2)
NoInterventionFormSet = formset_factory(NoInterventionForm, extra=1)

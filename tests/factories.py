"""All test factories in one place. Append new factories at the end, grouped by app."""

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory

from actors.models import County, Huvudman, Membership, Municipality, SteeringGroup, Unit, User
from actors.validators import luhn_check_digit
from agreements.models import Agreement, DeadlineRule, EscalationLevel

# --- actors ---------------------------------------------------------------------------------------

# The named person of tests/sip/conftest.py, whose name tests assert is absent from pages (masked,
# or shown to someone who may not see it). A staff member is never given a name containing it.
PERSON_NAMES = ("Astrid", "Lindqvist")


def _staff_name(drawn: str, fallback: str) -> str:
    return fallback if any(name in drawn for name in PERSON_NAMES) else drawn


def _organisationsnummer(n: int) -> str:
    nine = f"212{n:06d}"
    return f"{nine[:6]}-{nine[6:]}{luhn_check_digit(nine)}"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyAttribute(lambda o: _staff_name(o.given, "Kim"))
    last_name = factory.LazyAttribute(lambda o: _staff_name(o.family, "Berg"))
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.se")
    password = factory.django.Password("losenord-123")

    class Params:
        given = factory.Faker("first_name", locale="sv_SE")
        family = factory.Faker("last_name", locale="sv_SE")


class HuvudmanFactory(DjangoModelFactory):
    class Meta:
        model = Huvudman

    name = factory.Sequence(lambda n: f"Testkommun {n}")
    kind = Huvudman.Kind.KOMMUN
    county = County.NORRBOTTEN
    organisationsnummer = factory.Sequence(_organisationsnummer)


class MunicipalityFactory(DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{9000 + n % 1000:04d}")
    name = factory.Sequence(lambda n: f"Kommun {n}")
    county = County.NORRBOTTEN
    county_part = "Luleå/Boden"


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    key = factory.Sequence(lambda n: f"enhet-{n}")
    huvudman = factory.SubFactory(HuvudmanFactory)
    name = factory.Sequence(lambda n: f"Socialtjänst IFO {n}")
    kind = Unit.Kind.SOCIAL_IFO
    municipality = factory.SubFactory(MunicipalityFactory)
    email = factory.LazyAttribute(lambda u: f"{u.key}@example.se")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Membership.Role.COORDINATOR


class SteeringGroupFactory(DjangoModelFactory):
    class Meta:
        model = SteeringGroup

    name = factory.Sequence(lambda n: f"BUS-grupp {n}")
    kind = SteeringGroup.Kind.BUS
    level = SteeringGroup.Level.LOCAL
    county = County.VASTMANLAND


# --- agreements -----------------------------------------------------------------------------------


class AgreementFactory(DjangoModelFactory):
    class Meta:
        model = Agreement

    code = factory.Sequence(lambda n: f"avtal-{n}")
    version = 1
    name = factory.Sequence(lambda n: f"Testöverenskommelse {n}")
    county = County.NORRBOTTEN
    target_group = Agreement.TargetGroup.CHILDREN
    valid_from = factory.Faker("date_between", start_date="-5y", end_date="-1y")
    source_document = "test.txt"


class DeadlineRuleFactory(DjangoModelFactory):
    class Meta:
        model = DeadlineRule

    agreement = factory.SubFactory(AgreementFactory)
    kind = DeadlineRule.Kind.KALLELSE
    start_event = DeadlineRule.StartEvent.CONSENT_GIVEN
    amount = 5
    time_unit = DeadlineRule.TimeUnit.WORKING_DAYS
    responsible = DeadlineRule.Responsible.CONVENING_UNIT
    source_section = "test.txt, avsnitt 1"


class EscalationLevelFactory(DjangoModelFactory):
    class Meta:
        model = EscalationLevel

    agreement = factory.SubFactory(AgreementFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Nivå {n + 1}")
    kind = EscalationLevel.Kind.UNIT_MANAGERS
    source_section = "test.txt, avsnitt 2"


# --- deadlines ------------------------------------------------------------------------------------

import datetime as dt  # noqa: E402 - grouped with the factories that need it

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.utils import timezone  # noqa: E402

from deadlines.models import Deadline, Notification  # noqa: E402


class DeadlineFactory(DjangoModelFactory):
    """A deadline on a unit as its subject; any model can be a subject through the generic FK."""

    class Meta:
        model = Deadline

    class Params:
        subject = factory.SubFactory(UnitFactory)

    rule = factory.SubFactory(DeadlineRuleFactory)
    kind = factory.LazyAttribute(lambda d: d.rule.kind)
    content_type = factory.LazyAttribute(lambda d: ContentType.objects.get_for_model(d.subject))
    object_id = factory.LazyAttribute(lambda d: d.subject.pk)
    responsible_unit = factory.SubFactory(UnitFactory)
    started_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda d: d.started_at + dt.timedelta(days=7))


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    deadline = factory.SubFactory(DeadlineFactory)
    kind = Notification.Kind.BREACH
    text = factory.Sequence(lambda n: f"Fristen för kallelse (ärende #{n}) gick ut.")


# --- sip ------------------------------------------------------------------------------------------

from sip.access.services import case_access_sync  # noqa: E402
from sip.models import Case, Guardian, Individual, Meeting, Participant  # noqa: E402


def personnummer(birth: dt.date, serial: int) -> str:
    """A valid 12-digit personnummer for a birth date and a three-digit serial (001–999)."""
    nine = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y%m%d}{serial:03d}{luhn_check_digit(nine)}"


class IndividualFactory(DjangoModelFactory):
    class Meta:
        model = Individual

    birth_date = dt.date(2015, 3, 14)
    id_kind = Individual.IdKind.PERSONNUMMER
    id_number = factory.Sequence(lambda n: personnummer(dt.date(2015, 3, 14), n % 998 + 1))
    # Double-barrelled, so no staff member (single given name and surname) can share either:
    # tests that assert a person's name is absent from a page must not fail on a namesake.
    first_name = factory.LazyAttribute(lambda o: f"{o.given}-{o.second}")
    last_name = factory.LazyAttribute(lambda o: f"{o.family}-{o.maiden}")
    gender = Individual.Gender.FEMALE
    home_municipality = factory.SubFactory(MunicipalityFactory)

    class Params:
        given = factory.Faker("first_name", locale="sv_SE")
        second = factory.Faker("first_name", locale="sv_SE")
        family = factory.Faker("last_name", locale="sv_SE")
        maiden = factory.Faker("last_name", locale="sv_SE")


class GuardianFactory(DjangoModelFactory):
    class Meta:
        model = Guardian

    individual = factory.SubFactory(IndividualFactory)
    name = factory.Faker("name", locale="sv_SE")
    email = factory.Sequence(lambda n: f"vardnadshavare{n}@example.se")
    has_custody = True


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    individual = factory.SubFactory(IndividualFactory)
    agreement = factory.SubFactory(AgreementFactory)
    convening_unit = factory.SubFactory(UnitFactory)
    coordinator = factory.SubFactory(UserFactory)
    reason = "Behov av samordnade insatser från skola och BUP."
    opened_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def access(case, create, extracted, **kwargs):
        # As case_open does: the convening unit's group gets the case (docs/access-control.md).
        if create:
            case_access_sync(case=case)


class ParticipantFactory(DjangoModelFactory):
    class Meta:
        model = Participant
        skip_postgeneration_save = True

    case = factory.SubFactory(CaseFactory)
    unit = factory.SubFactory(UnitFactory)
    person_name = factory.Faker("name", locale="sv_SE")

    @factory.post_generation
    def access(participant, create, extracted, **kwargs):
        # As participant_add does: the participating unit's group gets the case.
        if create:
            case_access_sync(case=participant.case)


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    case = factory.SubFactory(CaseFactory)
    kind = Meeting.Kind.SIP
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))
    place = "Familjecentralen, rum 2"


class TOTPDeviceFactory(DjangoModelFactory):
    """A confirmed TOTP device; its current code is django_otp.oath.totp(device.bin_key)."""

    class Meta:
        model = TOTPDevice
        django_get_or_create = ("user", "name")

    user = factory.SubFactory(UserFactory)
    name = "Samordna"
    confirmed = True


# --- sip.placements -------------------------------------------------------------------------------

from sip.placements.models import Placement  # noqa: E402


class PlacementFactory(DjangoModelFactory):
    """A planned SoL placement written directly, without clocks: for list and permission tests.
    Tests of clocks register placements through the service."""

    class Meta:
        model = Placement

    individual = factory.SubFactory(IndividualFactory)
    agreement = factory.SubFactory(AgreementFactory)
    responsible_unit = factory.SubFactory(UnitFactory)
    placing_municipality = factory.LazyAttribute(lambda p: p.responsible_unit.municipality)
    coordinator = factory.SubFactory(UserFactory)
    placement_type = Placement.Form.FAMILY_HOME
    legal_basis = Placement.LegalBasis.SOL
    decided_on = dt.date(2026, 3, 2)
    starts_on = dt.date(2026, 3, 16)
    residence_name = "Familjehemmet Andersson"
    residence_address = "Storgatan 1\n972 31 Luleå"


# --- sip.deviations -------------------------------------------------------------------------------

from sip.deviations.models import DeviationEntry, DeviationReport  # noqa: E402


class DeviationReportFactory(DjangoModelFactory):
    """A registered report written straight to the table (lists and counts); workflow tests go
    through the services instead."""

    class Meta:
        model = DeviationReport
        skip_postgeneration_save = True

    agreement = factory.SubFactory(AgreementFactory)
    reporting_unit = factory.SubFactory(UnitFactory)
    reported_by = factory.SubFactory(UserFactory)
    category = DeviationReport.Category.MISSED_DEADLINE
    occurred_at = factory.LazyFunction(timezone.now)
    description = "Kallelsen kom fram efter mötet."
    status = DeviationReport.Status.REGISTERED
    created_at = factory.LazyFunction(timezone.now)
    registered_at = factory.LazyAttribute(lambda report: report.created_at)

    @factory.post_generation
    def concerned_units(self, create, extracted, **kwargs):
        if create and extracted:
            self.concerned_units.set(extracted)


class DeviationEntryFactory(DjangoModelFactory):
    class Meta:
        model = DeviationEntry

    report = factory.SubFactory(DeviationReportFactory)
    kind = DeviationEntry.Kind.COMMENT
    text = factory.Sequence(lambda n: f"Kommentar {n}")
    by = factory.SubFactory(UserFactory)
    at = factory.LazyFunction(timezone.now)


# --- coordinator pages ----------------------------------------------------------------------------

from agreements.models import ClosedDay  # noqa: E402


class ClosedDayFactory(DjangoModelFactory):
    class Meta:
        model = ClosedDay

    agreement = factory.SubFactory(AgreementFactory)
    date = dt.date(2026, 6, 17)
    reason = "Planeringsdag"


# --- sip.access -----------------------------------------------------------------------------------

from sip.access.models import AccessLogEntry  # noqa: E402


class AccessLogEntryFactory(DjangoModelFactory):
    """A logged read; tests of the log review make many of these directly."""

    class Meta:
        model = AccessLogEntry

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    individual = factory.SubFactory(IndividualFactory)
    action = AccessLogEntry.Action.VIEW
    protected = factory.LazyAttribute(lambda e: e.individual.is_protected)


# --- sip statistics -------------------------------------------------------------------------------

from sip.models import Consent  # noqa: E402


class ConsentFactory(DjangoModelFactory):
    class Meta:
        model = Consent

    case = factory.SubFactory(CaseFactory)
    given_at = factory.LazyFunction(timezone.now)
    given_by_individual = True

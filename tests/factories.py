"""All test factories in one place. Append new factories at the end, grouped by app."""

import factory
from factory.django import DjangoModelFactory

from actors.models import County, Huvudman, Membership, Municipality, SteeringGroup, Unit, User
from actors.validators import luhn_check_digit
from agreements.models import Agreement, DeadlineRule, EscalationLevel

# --- actors ---------------------------------------------------------------------------------------


def _organisationsnummer(n: int) -> str:
    nine = f"212{n:06d}"
    return f"{nine[:6]}-{nine[6:]}{luhn_check_digit(nine)}"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="sv_SE")
    last_name = factory.Faker("last_name", locale="sv_SE")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.se")
    password = factory.django.Password("losenord-123")


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

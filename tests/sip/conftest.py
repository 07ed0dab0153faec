"""A small SIP world: an agreement with Norrbus-like clocks, a child with two guardians, units."""

import datetime as dt

import pytest
import time_machine

from actors.models import County, Unit
from agreements.models import Agreement, DeadlineRule
from deadlines.calendar import STOCKHOLM
from sip import services
from tests import factories

# Uppsala has no seeded agreement, so the test agreement is the only one in force there.
TEST_COUNTY = County.UPPSALA


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STOCKHOLM)


@pytest.fixture
def agreement(db):
    agreement = factories.AgreementFactory(
        county=TEST_COUNTY,
        target_group=Agreement.TargetGroup.CHILDREN,
        valid_from=dt.date(2020, 1, 1),
    )
    for kind, start, amount in (
        (DeadlineRule.Kind.KALLELSE, DeadlineRule.StartEvent.CONSENT_GIVEN, 5),
        (DeadlineRule.Kind.MEETING, DeadlineRule.StartEvent.CONSENT_GIVEN, 10),
        (DeadlineRule.Kind.FOLLOW_UP, DeadlineRule.StartEvent.FOLLOW_UP_DATE_SET, 5),
    ):
        factories.DeadlineRuleFactory(
            agreement=agreement, kind=kind, start_event=start, amount=amount
        )
    return agreement


@pytest.fixture
def municipality(db):
    return factories.MunicipalityFactory(code="0380", name="Uppsala", county=TEST_COUNTY)


@pytest.fixture
def child(municipality, unit):
    # Registered by the coordinator's unit, so its members may open the person's page.
    individual = factories.IndividualFactory(
        home_municipality=municipality,
        first_name="Astrid",
        last_name="Lindqvist",
        registered_by_unit=unit,
    )
    factories.GuardianFactory(individual=individual, name="Maria Lindqvist")
    factories.GuardianFactory(individual=individual, name="Jonas Lindqvist")
    return individual


@pytest.fixture
def unit(coordinator):
    return coordinator.memberships.get().unit


@pytest.fixture
def school(db):
    return factories.UnitFactory(
        name="Tallbackens skola",
        kind=Unit.Kind.PRIMARY_SCHOOL,
        has_system_access=False,
        email="tallbacken@example.se",
        postal_address="Skolvägen 1\n752 00 Uppsala",
    )


@pytest.fixture
def bup(db):
    return factories.UnitFactory(name="BUP Uppsala", kind=Unit.Kind.BUP, email="bup@example.se")


@pytest.fixture
def case(agreement, child, unit, coordinator):
    with time_machine.travel(at(2026, 6, 1, 9), tick=False):
        return services.case_open(
            individual=child,
            convening_unit=unit,
            coordinator=coordinator,
            reason="Oro för skolfrånvaro och psykisk ohälsa.",
            by=coordinator,
        )


def consent(case, by, *, when: dt.datetime, units):
    with time_machine.travel(when, tick=False):
        return services.consent_record(
            case=case,
            given_at=when,
            units=units,
            guardians=list(case.individual.guardians.all()),
            given_by_individual=True,
            by=by,
        )


@pytest.fixture
def consented(case, coordinator, unit, school, bup):
    """A case with consent on Friday 12 June 2026 at 10:00 and the school and BUP taking part."""
    consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit, school, bup])
    with time_machine.travel(at(2026, 6, 12, 11), tick=False):
        services.participant_add(case=case, unit=school, person_name="Rektor Berg", by=coordinator)
        services.participant_add(case=case, unit=bup, by=coordinator)
    case.refresh_from_db()
    return case


@pytest.fixture
def convened(consented, coordinator, django_capture_on_commit_callbacks):
    """Kallelse sent Tuesday 16 June 2026 for a SIP meeting on Tuesday 23 June at 13:00."""
    with time_machine.travel(at(2026, 6, 16, 9), tick=False):
        meeting = services.meeting_schedule(
            case=consented,
            kind="sip",
            starts_at=at(2026, 6, 23, 13),
            duration_minutes=90,
            place="Familjecentralen, rum 2",
            by=coordinator,
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.kallelse_send(meeting=meeting, by=coordinator)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def held(convened, coordinator):
    with time_machine.travel(at(2026, 6, 23, 15), tick=False):
        services.meeting_record_held(
            meeting=convened, attended=list(convened.case.participants.all()), by=coordinator
        )
    convened.refresh_from_db()
    return convened

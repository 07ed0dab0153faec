"""A small world of known SIP cases in 2025 whose indicators are worked out by hand in the tests.

Working days are counted by hand in the comments (2025: Easter 18–21 April, National Day Friday
6 June); the children's agreement also closes Monday 11 August 2025.

| case | person, home   | unit | consent    | kallelse   | SIP meeting held | notes              |
|------|----------------|------|------------|------------|------------------|--------------------|
| G1   | girl 9, Norrby | IFO  | Tue 4 Mar  | 6 Mar (2)  | 13 Mar (7)       |                    |
| G2   | girl 9, Norrby | IFO  | Mon 14 Apr | 23 Apr (5) | 30 Apr (10)      | Easter             |
| G3   | girl 9, Norrby | IFO  | Mon 2 Jun  | 12 Jun (7) | –                | late; breached     |
| G4   | girl 9, Norrby | IFO  | –          | –          | –                | refused 20 Mar     |
| G5   | girl 9, Norrby | IFO  | –          | –          | –                | only opened        |
| B1   | boy 16, Norrby | IFO  | Tue 11 Mar | 12 Mar (1) | 25 Mar (10)      | f-up Sep; closed   |
| B2   | boy 16, Norrby | IFO  | Mon 4 Aug  | 5 Aug (1)  | 12 Aug (5)       | 11 Aug closed      |
| W1   | woman 45, Söd. | BUP  | Thu 16 Jan | 20 Jan (2) | 3 Feb (12)       | adults; late       |
| E1   | girl 10, Norr. | IFO  | Nov 2024   | Dec 2024   | 10 Jan 2025      | 2nd consent 2025   |
| X1   | girl 9, Väst.  | Ann. | –          | –          | –                | outside the group  |

Deviation reports (the children's agreement has a ladder of three steps, the adults' none):

| report | unit | case | category                | level reached | registered            |
|--------|------|------|-------------------------|---------------|-----------------------|
| D1     | IFO  | G1   | missad frist            | 1             | 20 Mar 2025           |
| D2     | IFO  | G2   | utebliven närvaro       | 2             | 5 May 2025            |
| D3     | IFO  | B1   | planen följs inte       | 3 (closed)    | 10 Jun 2025           |
| D4     | BUP  | W1   | informationsöverföring  | none (adults) | 10 Feb 2025           |
| D5     | BUP  | –    | tvist om kostnadsansvar | 1             | 1 Sep 2025            |
| D6     | IFO  | G3   | annat                   | 1             | 1 Jan 2025 00:30      |
| D7     | IFO  | G1   | missad frist            | – (draft)     | – (created Apr 2025)  |
| D8     | IFO  | G2   | missad frist            | – (dismissed) | – (created Apr 2025)  |
| D9     | IFO  | B2   | missad frist            | 1             | 31 Dec 2024 23:30     |
| D10    | Ann. | X1   | annat                   | none          | 1 Jul 2025            |

Times are Stockholm's. Every report's text names its person, so a leak of it would show.
"""

import datetime as dt
from dataclasses import dataclass, field

import pytest
import time_machine

from actors.models import County, Huvudman, Unit
from agreements.models import Agreement, ClosedDay, DeadlineRule, EscalationLevel
from deadlines.calendar import STOCKHOLM, close_of_day
from deadlines.models import Deadline
from sip.deviations.models import DeviationReport
from sip.models import Case, Individual, Meeting
from sip.statistics.selectors import COST_SPLIT_KIND, Period
from tests import factories

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=STOCKHOLM)
YEAR_2025 = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
COUNTY = County.UPPSALA


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STOCKHOLM)


def due(year: int, month: int, day: int) -> dt.datetime:
    return close_of_day(dt.date(year, month, day))


@dataclass
class World:
    barn: Agreement
    vuxna: Agreement
    rules: dict
    units: dict[str, Unit]
    huvudman: dict[str, Huvudman]
    municipalities: dict
    levels: dict[int, EscalationLevel] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    people: list[Individual] = field(default_factory=list)
    serial: int = 0

    def case(
        self,
        name: str,
        *,
        unit: str,
        gender: str,
        birth: dt.date,
        home: str,
        opened: dt.datetime,
        agreement: Agreement | None = None,
        status: str = Case.Status.NEED_NOTED,
        ended: dt.datetime | None = None,
    ) -> Case:
        self.serial += 1
        person = factories.IndividualFactory(
            first_name=f"Förnamn{name}",
            last_name=f"Efternamn{name}",
            id_number=factories.personnummer(birth, self.serial),
            birth_date=birth,
            gender=gender,
            home_municipality=self.municipalities[home],
        )
        self.people.append(person)
        case = factories.CaseFactory(
            individual=person,
            agreement=agreement or self.barn,
            convening_unit=self.units[unit],
            opened_at=opened,
            status=status,
            ended_at=ended,
        )
        self.cases[name] = case
        return case

    def consent(self, name: str, when: dt.datetime) -> None:
        factories.ConsentFactory(case=self.cases[name], given_at=when)

    def meeting(
        self,
        name: str,
        *,
        starts: dt.datetime,
        kallelse: dt.datetime | None,
        held: bool = True,
        kind: str = Meeting.Kind.SIP,
    ) -> Meeting:
        return factories.MeetingFactory(
            case=self.cases[name],
            kind=kind,
            starts_at=starts,
            kallelse_sent_at=kallelse,
            status=Meeting.Status.HELD if held else Meeting.Status.PLANNED,
            held_at=starts if held else None,
        )

    def deviation(
        self,
        *,
        unit: str,
        category: str,
        registered: dt.datetime | None,
        case: str | None = None,
        level: int | None = None,
        status: str = DeviationReport.Status.REGISTERED,
        created: dt.datetime | None = None,
    ) -> DeviationReport:
        """A report on the children's agreement, or on its case's; `level` is a step of the
        children's ladder."""
        on_case = self.cases[case] if case else None
        person = on_case.individual if on_case else None
        created = created or registered
        return factories.DeviationReportFactory(
            agreement=on_case.agreement if on_case else self.barn,
            reporting_unit=self.units[unit],
            category=category,
            case=on_case,
            level=self.levels[level] if level else None,
            status=status,
            occurred_at=created - dt.timedelta(days=1),
            created_at=created,
            registered_at=registered,
            closed_at=created if status in DeviationReport.FINAL else None,
            description=(
                f"{person.first_name} {person.last_name} fick ingen kallelse."
                if person
                else "Parterna är oense om kostnaden."
            ),
        )

    def deadline(
        self,
        name: str,
        kind: str,
        *,
        started: dt.datetime,
        due_at: dt.datetime,
        status: str = Deadline.Status.MET,
        met: dt.datetime | None = None,
        subject=None,
        agreement: Agreement | None = None,
        unit: str = "ifo",
    ) -> Deadline:
        return factories.DeadlineFactory(
            subject=subject or self.cases[name],
            rule=self.rules[((agreement or self.barn).pk, kind)],
            kind=kind,
            started_at=started,
            due_at=due_at,
            status=status,
            met_at=met,
            responsible_unit=self.units[unit],
        )


@pytest.fixture
def world(db) -> World:
    norrby = factories.MunicipalityFactory(
        code="0301", name="Norrby", county=COUNTY, county_part="Norra länsdelen"
    )
    soderby = factories.MunicipalityFactory(
        code="0302", name="Söderby", county=COUNTY, county_part="Södra länsdelen"
    )
    vasterby = factories.MunicipalityFactory(
        code="0303", name="Västerby", county=COUNTY, county_part=""
    )
    kommun = factories.HuvudmanFactory(name="Norrby kommun", county=COUNTY)
    region = factories.HuvudmanFactory(name="Region Mitt", kind=Huvudman.Kind.REGION, county=COUNTY)
    annan = factories.HuvudmanFactory(name="Västerby kommun", county=COUNTY)
    units = {
        "ifo": factories.UnitFactory(name="IFO Norrby", huvudman=kommun, municipality=norrby),
        "skola": factories.UnitFactory(
            name="Norrby skola", kind=Unit.Kind.PRIMARY_SCHOOL, huvudman=kommun, municipality=norrby
        ),
        "bup": factories.UnitFactory(
            name="BUP Söderby", kind=Unit.Kind.BUP, huvudman=region, municipality=soderby
        ),
        "annan": factories.UnitFactory(name="IFO Västerby", huvudman=annan, municipality=vasterby),
    }
    barn = factories.AgreementFactory(
        name="Barn och unga Mitt",
        county=COUNTY,
        target_group=Agreement.TargetGroup.CHILDREN,
        valid_from=dt.date(2020, 1, 1),
    )
    vuxna = factories.AgreementFactory(
        name="Vuxna Mitt",
        county=COUNTY,
        target_group=Agreement.TargetGroup.ADULTS,
        valid_from=dt.date(2020, 1, 1),
    )
    barn.parties.set([kommun, region])
    vuxna.parties.set([region])
    ClosedDay.objects.create(agreement=barn, date=dt.date(2025, 8, 11), reason="Planeringsdag")
    rules = {}
    for agreement in (barn, vuxna):
        for kind, start, amount in (
            (DeadlineRule.Kind.KALLELSE, DeadlineRule.StartEvent.CONSENT_GIVEN, 5),
            (DeadlineRule.Kind.MEETING, DeadlineRule.StartEvent.CONSENT_GIVEN, 10),
            (COST_SPLIT_KIND, DeadlineRule.StartEvent.ACUTE_PLACEMENT_DECISION, 10),
        ):
            rules[(agreement.pk, kind)] = factories.DeadlineRuleFactory(
                agreement=agreement, kind=kind, start_event=start, amount=amount
            )
    w = World(
        barn=barn,
        vuxna=vuxna,
        rules=rules,
        units=units,
        huvudman={"kommun": kommun, "region": region, "annan": annan},
        municipalities={"norrby": norrby, "soderby": soderby, "vasterby": vasterby},
    )
    girl, boy = dt.date(2015, 6, 1), dt.date(2009, 1, 10)
    female, male = Individual.Gender.FEMALE, Individual.Gender.MALE
    kallelse, meeting = DeadlineRule.Kind.KALLELSE, DeadlineRule.Kind.MEETING
    breached = Deadline.Status.BREACHED

    w.case("G1", unit="ifo", gender=female, birth=girl, home="norrby", opened=at(2025, 3, 3, 9))
    w.consent("G1", at(2025, 3, 4, 10))
    w.meeting("G1", starts=at(2025, 3, 13, 13), kallelse=at(2025, 3, 6, 9))
    w.deadline("G1", kallelse, started=at(2025, 3, 4, 10), due_at=due(2025, 3, 11),
               met=at(2025, 3, 6, 9))  # fmt: skip
    w.deadline("G1", meeting, started=at(2025, 3, 4, 10), due_at=due(2025, 3, 18),
               met=at(2025, 3, 13, 13))  # fmt: skip

    w.case("G2", unit="ifo", gender=female, birth=girl, home="norrby", opened=at(2025, 4, 10, 9))
    w.consent("G2", at(2025, 4, 14, 10))
    w.meeting("G2", starts=at(2025, 4, 30, 13), kallelse=at(2025, 4, 23, 9))
    w.deadline("G2", kallelse, started=at(2025, 4, 14, 10), due_at=due(2025, 4, 23),
               met=at(2025, 4, 23, 9))  # fmt: skip
    w.deadline("G2", meeting, started=at(2025, 4, 14, 10), due_at=due(2025, 4, 30),
               met=at(2025, 4, 30, 13))  # fmt: skip

    w.case("G3", unit="ifo", gender=female, birth=girl, home="norrby", opened=at(2025, 5, 28, 9))
    w.consent("G3", at(2025, 6, 2, 10))
    w.meeting("G3", starts=at(2026, 3, 10, 13), kallelse=at(2025, 6, 12, 9), held=False)
    w.deadline("G3", kallelse, started=at(2025, 6, 2, 10), due_at=due(2025, 6, 10),
               met=at(2025, 6, 12, 9))  # fmt: skip
    w.deadline("G3", meeting, started=at(2025, 6, 2, 10), due_at=due(2025, 6, 17),
               status=breached)  # fmt: skip

    w.case("G4", unit="ifo", gender=female, birth=girl, home="norrby", opened=at(2025, 3, 17, 9),
           status=Case.Status.CONSENT_REFUSED, ended=at(2025, 3, 20, 15))  # fmt: skip
    w.deadline("G4", kallelse, started=at(2025, 3, 18, 10), due_at=due(2025, 3, 25),
               status=Deadline.Status.WAIVED)  # fmt: skip

    w.case("G5", unit="ifo", gender=female, birth=girl, home="norrby", opened=at(2025, 5, 5, 9))
    w.deadline("G5", kallelse, started=at(2025, 12, 30, 10), due_at=due(2026, 3, 10),
               status=Deadline.Status.OPEN)  # fmt: skip

    w.case("B1", unit="ifo", gender=male, birth=boy, home="norrby", opened=at(2025, 3, 10, 9),
           status=Case.Status.CLOSED, ended=at(2025, 10, 1, 12))  # fmt: skip
    w.consent("B1", at(2025, 3, 11, 10))
    w.meeting("B1", starts=at(2025, 3, 25, 13), kallelse=at(2025, 3, 12, 9))
    w.meeting("B1", starts=at(2025, 9, 15, 10), kallelse=at(2025, 9, 1, 9),
              kind=Meeting.Kind.FOLLOW_UP)  # fmt: skip
    w.deadline("B1", kallelse, started=at(2025, 3, 11, 10), due_at=due(2025, 3, 18),
               met=at(2025, 3, 12, 9))  # fmt: skip
    w.deadline("B1", meeting, started=at(2025, 3, 11, 10), due_at=due(2025, 3, 25),
               met=at(2025, 3, 25, 13))  # fmt: skip

    w.case("B2", unit="ifo", gender=male, birth=boy, home="norrby", opened=at(2025, 8, 1, 9),
           status=Case.Status.MEETING_HELD)  # fmt: skip
    w.consent("B2", at(2025, 8, 4, 10))
    w.meeting("B2", starts=at(2025, 8, 12, 13), kallelse=at(2025, 8, 5, 9))
    w.deadline("B2", kallelse, started=at(2025, 8, 4, 10), due_at=due(2025, 8, 12),
               met=at(2025, 8, 5, 9))  # fmt: skip
    w.deadline("B2", meeting, started=at(2025, 8, 4, 10), due_at=due(2025, 8, 19),
               met=at(2025, 8, 12, 13))  # fmt: skip

    w.case("W1", unit="bup", gender=female, birth=dt.date(1980, 1, 1), home="soderby",
           opened=at(2025, 1, 15, 9), agreement=vuxna,
           status=Case.Status.MEETING_HELD)  # fmt: skip
    w.consent("W1", at(2025, 1, 16, 10))
    w.meeting("W1", starts=at(2025, 2, 3, 13), kallelse=at(2025, 1, 20, 9))
    w.deadline("W1", kallelse, started=at(2025, 1, 16, 10), due_at=due(2025, 1, 23),
               met=at(2025, 1, 20, 9), agreement=vuxna, unit="bup")  # fmt: skip
    w.deadline("W1", meeting, started=at(2025, 1, 16, 10), due_at=due(2025, 1, 30),
               met=at(2025, 2, 3, 13), agreement=vuxna, unit="bup")  # fmt: skip

    w.case("E1", unit="ifo", gender=female, birth=dt.date(2014, 2, 2), home="norrby",
           opened=at(2024, 11, 1, 9), status=Case.Status.MEETING_HELD)  # fmt: skip
    w.consent("E1", at(2024, 11, 4, 10))
    w.consent("E1", at(2025, 2, 1, 10))
    w.meeting("E1", starts=at(2025, 1, 10, 13), kallelse=at(2024, 12, 20, 9))
    w.deadline("E1", kallelse, started=at(2024, 11, 4, 10), due_at=due(2024, 11, 11),
               met=at(2024, 12, 20, 9))  # fmt: skip

    w.case("X1", unit="annan", gender=female, birth=dt.date(2016, 1, 1), home="vasterby",
           opened=at(2025, 5, 1, 9))  # fmt: skip

    # Cost splits after acute placements: on time, late, breached (not met), waived (left out).
    cost = COST_SPLIT_KIND
    w.deadline("G1", cost, started=at(2025, 5, 2, 10), due_at=due(2025, 5, 16),
               met=at(2025, 5, 10, 10))  # fmt: skip
    w.deadline("B1", cost, started=at(2025, 6, 2, 10), due_at=due(2025, 6, 16),
               met=at(2025, 6, 20, 10))  # fmt: skip
    w.deadline("G2", cost, started=at(2025, 9, 1, 10), due_at=due(2025, 9, 12), status=breached)
    w.deadline("W1", cost, started=at(2025, 9, 1, 10), due_at=due(2025, 9, 12),
               status=Deadline.Status.WAIVED, agreement=vuxna, unit="bup")  # fmt: skip

    for order, name, kind in (
        (1, "Ansvariga chefer", EscalationLevel.Kind.UNIT_MANAGERS),
        (2, "BUS-grupp", EscalationLevel.Kind.STEERING_GROUP),
        (3, "Beredningsgrupp", EscalationLevel.Kind.STEERING_GROUP),
    ):
        w.levels[order] = factories.EscalationLevelFactory(
            agreement=barn, order=order, name=name, kind=kind
        )
    category, status = DeviationReport.Category, DeviationReport.Status
    w.deviation(unit="ifo", case="G1", category=category.MISSED_DEADLINE, level=1,
                registered=at(2025, 3, 20, 10))  # fmt: skip
    w.deviation(unit="ifo", case="G2", category=category.NON_ATTENDANCE, level=2,
                status=status.ESCALATED, registered=at(2025, 5, 5, 10))  # fmt: skip
    w.deviation(unit="ifo", case="B1", category=category.PLAN_NOT_FOLLOWED, level=3,
                status=status.CLOSED, registered=at(2025, 6, 10, 10))  # fmt: skip
    w.deviation(unit="bup", case="W1", category=category.INFORMATION_TRANSFER,
                registered=at(2025, 2, 10, 10))  # fmt: skip
    w.deviation(unit="bup", category=category.COST_DISPUTE, level=1,
                registered=at(2025, 9, 1, 10))  # fmt: skip
    w.deviation(unit="ifo", case="G3", category=category.OTHER, level=1,
                registered=at(2025, 1, 1, 0, 30))  # fmt: skip
    w.deviation(unit="ifo", case="G1", category=category.MISSED_DEADLINE, status=status.DRAFT,
                registered=None, created=at(2025, 4, 2, 10))  # fmt: skip
    w.deviation(unit="ifo", case="G2", category=category.MISSED_DEADLINE,
                status=status.DISMISSED, registered=None, created=at(2025, 4, 3, 10))  # fmt: skip
    w.deviation(unit="ifo", case="B2", category=category.MISSED_DEADLINE, level=1,
                registered=at(2024, 12, 31, 23, 30))  # fmt: skip
    w.deviation(unit="annan", case="X1", category=category.OTHER,
                registered=at(2025, 7, 1, 10))  # fmt: skip
    return w


@pytest.fixture
def report_clock():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def steering_group(world):
    """BUS Norra: the IFO unit and the people living in Norrby (not BUP, not Västerby)."""
    group = factories.SteeringGroupFactory(name="BUS Norra", county=COUNTY)
    group.units.set([world.units["ifo"]])
    group.municipalities.set([world.municipalities["norrby"]])
    return group


@pytest.fixture
def member(steering_group):
    user = factories.UserFactory(username="bus.ledamot")
    steering_group.members.add(user)
    return user


@pytest.fixture
def ifo_manager(world):
    return factories.MembershipFactory(
        unit=world.units["ifo"], role="manager", user=factories.UserFactory(username="chef.ifo")
    ).user

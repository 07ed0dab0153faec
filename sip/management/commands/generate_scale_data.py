"""Synthetic data at national (or county) scale for benchmarks (not a test, not demo data).

Every row is a pure function of its index: the command keeps no per-row state, so memory stays
flat however many rows it writes, and two runs at the same scale and moment produce the same data.
Rows are streamed into PostgreSQL with COPY, one table at a time, with explicit ids so that rows
in other tables can point at them without reading anything back.

One function per table group (`STEPS`); a new group (e.g. deviation reports) is one more function
appended to `STEPS`, reading what it needs from the `World`.
"""

import datetime as dt
import json
import math
import resource
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from actors.models import County, Huvudman, Membership, Municipality, SteeringGroup, Unit, User
from actors.validators import luhn_check_digit
from agreements.models import Agreement, DeadlineRule, EscalationLevel
from deadlines import calendar
from deadlines.models import Deadline
from sip.access.selectors import CHANGE, VIEW
from sip.models import (
    ADULT_AGE,
    Case,
    CaseGroupObjectPermission,
    Consent,
    DeviationEntry,
    DeviationReport,
    Guardian,
    Individual,
    Intervention,
    Invitation,
    LeadAssignment,
    Meeting,
    Participant,
    Plan,
    age_on,
)

# Every generated user can log in with this password (benchmark databases only).
SCALE_PASSWORD = "samordna-skala"  # noqa: S105 - synthetic benchmark accounts
STATS_FILE = "scale_data.json"


@dataclass(frozen=True)
class Scale:
    counties: int
    municipalities: int
    units: int
    professionals: int
    individuals: int
    cases: int
    deadlines: int
    deviations: int


SCALES = {
    "national": Scale(21, 290, 3_000, 30_000, 200_000, 300_000, 2_000_000, 100_000),
    "county": Scale(2, 29, 300, 3_000, 20_000, 30_000, 200_000, 10_000),
    # For tests: big enough to have every stage and deadline state, small enough to run in a second.
    "tiny": Scale(1, 3, 12, 48, 40, 60, 400, 30),
}

# Shares of all deadlines that are unresolved; every other deadline is met, waived or cancelled.
OPEN_OVERDUE_SHARE = 0.03
OPEN_FUTURE_SHARE = 0.05
BREACHED_SHARE = 0.02

# A case's deadline kinds repeat in this order; its last deadline is the only one that may still
# be unresolved, so the one-unresolved-per-kind constraint always holds.
KIND_CYCLE = (DeadlineRule.Kind.KALLELSE, DeadlineRule.Kind.MEETING, DeadlineRule.Kind.FOLLOW_UP)
# (kind, start event, working days, reminder offsets)
RULES = (
    (DeadlineRule.Kind.KALLELSE, DeadlineRule.StartEvent.CONSENT_GIVEN, 5, [2, 1]),
    (DeadlineRule.Kind.MEETING, DeadlineRule.StartEvent.CONSENT_GIVEN, 10, [2, 1]),
    (DeadlineRule.Kind.FOLLOW_UP, DeadlineRule.StartEvent.FOLLOW_UP_DATE_SET, 5, [1]),
)
ESCALATE_AFTER = 3
# (name, kind, steering group kind or "" for the local group of the agreement's target group)
LADDER = (
    ("Ansvariga chefer", EscalationLevel.Kind.UNIT_MANAGERS, ""),
    ("Lokal styrgrupp", EscalationLevel.Kind.STEERING_GROUP, None),
    ("Länsstyrgrupp", EscalationLevel.Kind.STEERING_GROUP, SteeringGroup.Kind.COUNTY_BOARD),
)
LADDER_STEPS = len(LADDER)

# The last deadline's state. "overdue" is open with due_at in the past: what the sweep breaches.
OVERDUE, FUTURE, BREACHED = "overdue", "future", "breached"
MET, WAIVED, CANCELLED, NONE = "met", "waived", "cancelled", "none"
# Cases whose deadlines are all resolved, by (rank % 20): stage, last state, last kind.
RESOLVED_STAGES = (
    [(Case.Status.NEED_NOTED, NONE, None)]
    + [(Case.Status.CONSENT_REFUSED, NONE, None)]
    + [(Case.Status.CANCELLED, CANCELLED, DeadlineRule.Kind.KALLELSE)] * 2
    + [(Case.Status.CLOSED, MET, DeadlineRule.Kind.FOLLOW_UP)] * 8
    + [(Case.Status.PLAN, MET, DeadlineRule.Kind.MEETING)] * 4
    + [(Case.Status.MEETING_HELD, MET, DeadlineRule.Kind.MEETING)] * 2
    + [(Case.Status.FOLLOW_UP, MET, DeadlineRule.Kind.FOLLOW_UP)] * 2
)
# Cases with an unresolved last deadline, by (rank % 4): the stage that kind of clock implies.
ACTIVE_STAGES = (
    (Case.Status.CONSENT, DeadlineRule.Kind.KALLELSE),
    (Case.Status.CONVENED, DeadlineRule.Kind.MEETING),
    (Case.Status.PLAN, DeadlineRule.Kind.FOLLOW_UP),
    (Case.Status.FOLLOW_UP, DeadlineRule.Kind.FOLLOW_UP),
)
WITH_CONSENT = frozenset(Case.Status) - {Case.Status.NEED_NOTED, Case.Status.CONSENT_REFUSED}
WITH_HELD_MEETING = frozenset(
    {
        Case.Status.MEETING_HELD,
        Case.Status.PLAN,
        Case.Status.FOLLOW_UP,
        Case.Status.CLOSED,
    }
)
WITH_PLAN = frozenset({Case.Status.PLAN, Case.Status.FOLLOW_UP, Case.Status.CLOSED})
WITH_FOLLOW_UP_MEETING = frozenset({Case.Status.FOLLOW_UP, Case.Status.CLOSED})

MUNICIPAL_KINDS = (
    Unit.Kind.SOCIAL_IFO,
    Unit.Kind.PRIMARY_SCHOOL,
    Unit.Kind.SOCIAL_LSS,
    Unit.Kind.STUDENT_HEALTH,
    Unit.Kind.PRESCHOOL,
    Unit.Kind.SOCIAL_PSYCHIATRY,
    Unit.Kind.UPPER_SECONDARY,
)
REGIONAL_KINDS = (
    Unit.Kind.PRIMARY_CARE,
    Unit.Kind.BUP,
    Unit.Kind.CHILD_HEALTH,
    Unit.Kind.ADULT_PSYCHIATRY,
    Unit.Kind.HABILITATION,
    Unit.Kind.PAEDIATRICS,
    Unit.Kind.ADDICTION,
    Unit.Kind.YOUTH_CLINIC,
    Unit.Kind.DENTAL,
)
# Split word lists read better than 60 one-word lines.
FIRST_NAMES = (  # noqa: SIM905
    "Alice Astrid Elsa Maja Ebba Wilma Selma Alma Olivia Saga Lilly Vera Ella Stella Nora "
    "William Liam Noah Hugo Lucas Oscar Elias Adam Alexander Theo Nils Leo Viktor Arvid Ali"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
    "Pettersson Jonsson Jansson Hansson Bengtsson Lindberg Lindqvist Lundgren Berg Sandberg "
    "Mohammed Ali Nguyen Öberg Åström Holm Sundström Björk Lindholm Ekström"
).split()
END_REASONS = {
    Case.Status.CLOSED: "Avslutat enligt plan.",
    Case.Status.CANCELLED: "Ärendet avbröts.",
    Case.Status.CONSENT_REFUSED: "Samtycke nekades.",
}
REASONS = (
    "Oro för skolfrånvaro och psykisk ohälsa.",
    "Behov av samordnade insatser efter utskrivning från slutenvård.",
    "Övergång från barn- till vuxenpsykiatri.",
    "Riskbruk och behov av stöd från flera huvudmän.",
    "Placering upphör; behov av fortsatt samordning.",
)


def mix(index: int, salt: int) -> int:
    """A well-spread 32-bit number from an index: the generator's only source of variation."""
    x = (index * 0x9E3779B1 + salt * 0x85EBCA6B + 0x27D4EB2F) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    return x ^ (x >> 16)


def coprime_stride(n: int) -> int:
    """A stride that visits 0..n-1 each once: (i * stride) % n shuffles the cases' ranks."""
    stride = max(1, int(n * 0.6180339887))
    while math.gcd(stride, n) != 1:
        stride += 1
    return stride


@dataclass(frozen=True)
class CasePlan:
    """Everything about one case that more than one table needs, derived from its index."""

    index: int
    id: int
    individual: int
    unit: int
    coordinator: int
    status: str
    last_state: str
    last_kind: str | None
    deadlines: int
    agreement: int
    opened_at: dt.datetime
    last_start: dt.datetime
    is_acute: bool

    @property
    def has_consent(self) -> bool:
        return self.status in WITH_CONSENT


@dataclass
class World:
    """The scale, the moment, the id bases and what the steps register for the steps after them."""

    scale: Scale
    now: dt.datetime
    today: dt.date
    bases: dict[type[models.Model], int]
    counties: list[str] = field(default_factory=list)
    # (county, target group) -> agreement id; (agreement id, kind) -> rule
    agreements: dict[tuple[str, str], int] = field(default_factory=dict)
    rules: dict[tuple[int, str], DeadlineRule] = field(default_factory=dict)
    # (agreement id, ladder order) -> escalation level id
    levels: dict[tuple[int, int], int] = field(default_factory=dict)
    case_content_type: int = 0
    stride: int = 1
    # How many last deadlines are open and overdue, open and ahead, breached.
    unresolved_counts: tuple[int, int, int] = (0, 0, 0)
    with_deadlines: int = 0

    def id(self, model: type[models.Model], offset: int) -> int:
        return self.bases[model] + offset + 1

    # --- the directory's shape: municipality m is in county m % counties; unit u in m = u % M ---

    def county_of_municipality(self, m: int) -> str:
        return self.counties[m % len(self.counties)]

    def is_regional(self, u: int) -> bool:
        return u % 5 == 4

    def coordinators_in(self, u: int) -> int:
        return (self.scale.professionals - 1 - u) // self.scale.units

    # --- individuals ---

    def municipality_of_individual(self, j: int) -> int:
        # Squared spread: low-numbered municipalities are the big cities.
        return int(self.scale.municipalities * (mix(j, 1) / 2**32) ** 2)

    def birth_date(self, j: int) -> dt.date:
        days = 40 * 365
        return self.today - dt.timedelta(days=1 + (j * 7919) % days)

    def is_child(self, j: int) -> bool:
        return age_on(self.birth_date(j), self.today) < ADULT_AGE

    # --- cases ---

    def stage(self, i: int) -> tuple[str, str, str | None]:
        """(case status, state of its last deadline, kind of its last deadline) for case i."""
        n = self.scale.cases
        rank = (i * self.stride) % n
        overdue, future, breached = self.unresolved_counts
        if rank < overdue + future + breached:
            state = OVERDUE if rank < overdue else FUTURE if rank < overdue + future else BREACHED
            status, kind = ACTIVE_STAGES[rank % len(ACTIVE_STAGES)]
            return status, state, kind
        return RESOLVED_STAGES[(rank - overdue - future - breached) % len(RESOLVED_STAGES)]

    def cases(self) -> Iterator[CasePlan]:
        """Every case in index order (the running count spreads the deadlines exactly)."""
        scale = self.scale
        per_case, extra = divmod(scale.deadlines, self.with_deadlines)
        seen = 0
        for i in range(scale.cases):
            status, state, kind = self.stage(i)
            j = i % scale.individuals
            m = self.municipality_of_individual(j)
            units_here = (scale.units - m + scale.municipalities - 1) // scale.municipalities
            unit = m + scale.municipalities * (mix(i, 2) % units_here)
            coordinator = unit + scale.units * (1 + mix(i, 3) % self.coordinators_in(unit))
            deadlines = 0
            if state != NONE:
                deadlines = per_case + (1 if seen < extra else 0)
                seen += 1
            group = (
                Agreement.TargetGroup.CHILDREN if self.is_child(j) else Agreement.TargetGroup.ADULTS
            )
            agreement = self.agreements[(self.county_of_municipality(m), group)]
            last_start = self.last_start(i, state, agreement, kind)
            opened_at = last_start - dt.timedelta(days=21 * max(deadlines - 1, 0) + 2)
            yield CasePlan(
                index=i,
                id=self.id(Case, i),
                individual=j,
                unit=unit,
                coordinator=coordinator,
                status=status,
                last_state=state,
                last_kind=kind,
                deadlines=deadlines,
                agreement=agreement,
                opened_at=opened_at,
                last_start=last_start,
                is_acute=i % 25 == 0,
            )

    def last_start(self, i: int, state: str, agreement: int, kind: str | None) -> dt.datetime:
        """When the case's last clock started, chosen so its due time lands where its state says:
        overdue 1–20 working days ago, breached 3–40 ago, open still ahead, resolved long ago."""
        if kind is None or state in (MET, CANCELLED, NONE):
            return _at_ten(self.today - dt.timedelta(days=30 + mix(i, 4) % 900))
        amount = self.rules[(agreement, kind)].amount
        back = {
            OVERDUE: amount + 1 + mix(i, 4) % 20,
            BREACHED: amount + 3 + mix(i, 4) % 37,
            FUTURE: 1 + mix(i, 4) % (amount - 1),
        }[state]
        return _at_ten(_working_days_before(self.today, back))


@lru_cache(maxsize=1_000)
def _working_days_before(day: dt.date, n: int) -> dt.date:
    return calendar.add_working_days(day, -n)


def _at_ten(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=calendar.STOCKHOLM)


@lru_cache(maxsize=200_000)
def _due(amount: int, started: dt.datetime) -> dt.datetime:
    return calendar.due_at_for(
        time_unit=DeadlineRule.TimeUnit.WORKING_DAYS, amount=amount, started_at=started
    )


@lru_cache(maxsize=50_000)
def _next_reminder(offsets: tuple[int, ...], due: dt.datetime, now: dt.datetime):
    moments = calendar.reminder_moments(
        time_unit=DeadlineRule.TimeUnit.WORKING_DAYS, offsets=offsets, due=due
    )
    return next((m for m in moments if now < m < due), None)


@lru_cache(maxsize=50_000)
def _escalation(due: dt.datetime, level_reached: int) -> dt.datetime:
    """When the step after `level_reached` is due (as deadlines.services computes it)."""
    return calendar.escalation_moment(after=due, working_days=ESCALATE_AFTER * (level_reached + 1))


def personnummer(birth: dt.date, serial: int) -> str:
    nine = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y%m%d}{serial:03d}{luhn_check_digit(nine)}"


def organisationsnummer(n: int) -> str:
    nine = f"2129{n:05d}"
    return f"{nine[:6]}-{nine[6:]}{luhn_check_digit(nine)}"


def name(index: int, salt: int) -> tuple[str, str]:
    return (
        FIRST_NAMES[mix(index, salt) % len(FIRST_NAMES)],
        LAST_NAMES[mix(index, salt + 1) % len(LAST_NAMES)],
    )


def copy_rows(model: type[models.Model] | str, columns: Sequence[str], rows: Iterable) -> int:
    """Stream rows into a table with COPY; returns how many."""
    table = model if isinstance(model, str) else model._meta.db_table
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    written = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def drop_foreign_keys(tables: list[type[models.Model]]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of the tables about to be loaded; `restore_foreign_keys` adds them
    back, and PostgreSQL then checks each key once over the whole table instead of once per
    copied row (the load takes less than half the time). Both happen in the generator's one
    transaction, so a failed load leaves every constraint in place."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [[model._meta.db_table for model in tables]],
        )
        keys = cursor.fetchall()
        for table, constraint, _definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(constraint)}")
    return keys


def restore_foreign_keys(keys: list[tuple[str, str, str]]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, constraint, definition in keys:
            cursor.execute(
                f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(constraint)} {definition}"
            )


# --- steps: one per table group -------------------------------------------------------------------


def agreements_step(world: World) -> dict[str, int]:
    """One agreement per county and target group with the SIP clocks and a three-step ladder.

    Generated rather than seeded ones: the seeds cover three counties and not every clock."""
    for county in world.counties:
        for group, steering_kind in (
            (Agreement.TargetGroup.CHILDREN, SteeringGroup.Kind.BUS),
            (Agreement.TargetGroup.ADULTS, SteeringGroup.Kind.VUS),
        ):
            agreement = Agreement.objects.create(
                code=f"skala-{county}-{group}",
                name=f"Skalningsdata {County(county).label} ({group})",
                county=county,
                target_group=group,
                valid_from=dt.date(2015, 1, 1),
                source_document="manage.py generate_scale_data",
            )
            world.agreements[(county, group)] = agreement.pk
            for kind, start_event, amount, offsets in RULES:
                world.rules[(agreement.pk, kind)] = DeadlineRule.objects.create(
                    agreement=agreement,
                    kind=kind,
                    start_event=start_event,
                    amount=amount,
                    time_unit=DeadlineRule.TimeUnit.WORKING_DAYS,
                    responsible=DeadlineRule.Responsible.CONVENING_UNIT,
                    reminder_offsets=offsets,
                    escalate_after=ESCALATE_AFTER,
                    source_section="generate_scale_data",
                )
            for order, (level_name, kind, group_kind) in enumerate(LADDER, start=1):
                world.levels[(agreement.pk, order)] = EscalationLevel.objects.create(
                    agreement=agreement,
                    order=order,
                    name=level_name,
                    kind=kind,
                    steering_group_kind=steering_kind if group_kind is None else group_kind,
                    source_section="generate_scale_data",
                ).pk
    return {"agreements": len(world.agreements)}


def directory_step(world: World) -> dict[str, int]:
    """Municipalities, huvudmän (a region per county, a kommun per municipality), units,
    professionals (unit u's manager is user u, the rest are coordinators) and steering groups."""
    s = world.scale
    counts = {}
    counts["municipalities"] = copy_rows(
        Municipality,
        ["id", "code", "name", "county", "county_part"],
        (
            (
                world.id(Municipality, m),
                f"{world.county_of_municipality(m)}{m // s.counties:02d}",
                f"Skalkommun {m}",
                world.county_of_municipality(m),
                f"Länsdel {1 + (m // s.counties) % 3}",
            )
            for m in range(s.municipalities)
        ),
    )
    # Huvudman ids: counties first (regions), then one kommun per municipality.
    counts["huvudman"] = copy_rows(
        Huvudman,
        ["id", "name", "kind", "county", "organisationsnummer"],
        [
            (
                world.id(Huvudman, c),
                f"Region {County(county).label}",
                Huvudman.Kind.REGION,
                county,
                organisationsnummer(c),
            )
            for c, county in enumerate(world.counties)
        ]
        + [
            (
                world.id(Huvudman, len(world.counties) + m),
                f"Skalkommun {m}",
                Huvudman.Kind.KOMMUN,
                world.county_of_municipality(m),
                organisationsnummer(len(world.counties) + m),
            )
            for m in range(s.municipalities)
        ],
    )
    # Each unit's permission group (what actors.services.unit_access_group creates on first use),
    # so the case grants below have a group to point at.
    counts["unit_groups"] = copy_rows(
        Group,
        ["id", "name"],
        ((world.id(Group, u), f"verksamhet-{world.id(Unit, u)}") for u in range(s.units)),
    )
    counts["units"] = copy_rows(
        Unit,
        [
            "id",
            "key",
            "name",
            "kind",
            "email",
            "phone",
            "postal_address",
            "hsa_id",
            "has_system_access",
            "is_active",
            "huvudman_id",
            "municipality_id",
            "access_group_id",
        ],
        (_unit_row(world, u) for u in range(s.units)),
    )
    password = make_password(SCALE_PASSWORD)
    joined = world.now - dt.timedelta(days=400)
    counts["users"] = copy_rows(
        User,
        USER_COLUMNS,
        (
            (
                world.id(User, p),
                password,
                False,
                f"skala.{p}",
                *name(p, 10),
                f"skala.{p}@example.se",
                False,
                True,
                joined,
                "Chef" if p < s.units else "Handläggare",
                "",
            )
            for p in range(s.professionals)
        ),
    )
    # One directory admin without units: the national statistics report is read as them.
    counts["admins"] = copy_rows(
        User,
        USER_COLUMNS,
        [
            (
                world.id(User, s.professionals),
                password,
                False,
                "skala.admin",
                "Admin",
                "Skala",
                "skala.admin@example.se",
                True,
                True,
                joined,
                "Systemförvaltare",
                "",
            )
        ],
    )
    counts["memberships"] = copy_rows(
        Membership,
        ["id", "role", "is_active", "user_id", "unit_id"],
        (
            (
                world.id(Membership, p),
                Membership.Role.MANAGER if p < s.units else Membership.Role.COORDINATOR,
                True,
                world.id(User, p),
                world.id(Unit, p % s.units),
            )
            for p in range(s.professionals)
        ),
    )
    counts["steering_groups"] = _steering_groups(world)
    return counts


USER_COLUMNS = [
    "id",
    "password",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "title",
    "phone",
]


def _unit_row(world: World, u: int) -> tuple:
    s = world.scale
    m = u % s.municipalities
    regional = world.is_regional(u)
    kinds = REGIONAL_KINDS if regional else MUNICIPAL_KINDS
    kind = kinds[(u // s.municipalities) % len(kinds)]
    schoolish = kind in (Unit.Kind.PRIMARY_SCHOOL, Unit.Kind.UPPER_SECONDARY, Unit.Kind.PRESCHOOL)
    return (
        world.id(Unit, u),
        f"skala-{u}",
        f"{Unit.Kind(kind).label} {u}",
        kind,
        f"enhet{u}@example.se",
        "",
        f"Box {u}\n{100 + u % 900} 00 Skalkommun {m}",
        "",
        not (schoolish and u % 2 == 0),
        True,
        unit_huvudman(world, u),
        world.id(Municipality, m),
        world.id(Group, u),
    )


def unit_huvudman(world: World, u: int) -> int:
    """Regional units belong to their county's region, the rest to their municipality."""
    m = u % world.scale.municipalities
    if world.is_regional(u):
        return world.id(Huvudman, m % world.scale.counties)
    return world.id(Huvudman, len(world.counties) + m)


def _steering_groups(world: World) -> int:
    """Per county a BUS, a VuS and a county board group covering all its municipalities, each
    with the managers of five of its units: escalation has someone to reach."""
    s = world.scale
    created = 0
    for c, county in enumerate(world.counties):
        municipalities = [world.id(Municipality, m) for m in range(c, s.municipalities, s.counties)]
        managers = [
            world.id(User, u) for u in range(s.units) if (u % s.municipalities) % s.counties == c
        ][:5]
        for kind, level in (
            (SteeringGroup.Kind.BUS, SteeringGroup.Level.LOCAL),
            (SteeringGroup.Kind.VUS, SteeringGroup.Level.LOCAL),
            (SteeringGroup.Kind.COUNTY_BOARD, SteeringGroup.Level.REGIONAL),
        ):
            group = SteeringGroup.objects.create(
                name=f"{SteeringGroup.Kind(kind).label} {County(county).label}",
                kind=kind,
                level=level,
                county=county,
            )
            group.municipalities.add(*municipalities)
            group.members.add(*managers)
            created += 1
    return created


def individuals_step(world: World) -> dict[str, int]:
    """Individuals (personnummer, a few reservnummer) and two custodial guardians per child."""
    s = world.scale
    days = 40 * 365
    counts = {}

    def individual(j: int) -> tuple:
        first, last = name(j, 20)
        born = world.birth_date(j)
        reserve = j % 50 == 0
        m = world.municipality_of_individual(j)
        return (
            world.id(Individual, j),
            Individual.IdKind.RESERVNUMMER if reserve else Individual.IdKind.PERSONNUMMER,
            "" if reserve else personnummer(born, 1 + j // days),
            f"R{j}" if reserve else "",
            first,
            last,
            born,
            (Individual.Gender.FEMALE, Individual.Gender.MALE, Individual.Gender.OTHER)[
                0 if j % 2 else 1 if j % 97 else 2
            ],
            f"Storgatan {1 + j % 90}\n{100 + m % 900} 00 Skalkommun {m}",
            "",
            "",
            j % 100 == 0,
            j % 150 == 0,
            world.now,
            world.id(Municipality, m),
            None,
        )

    counts["individuals"] = copy_rows(
        Individual,
        [
            "id",
            "id_kind",
            "id_number",
            "reserve_number",
            "first_name",
            "last_name",
            "birth_date",
            "gender",
            "address",
            "email",
            "phone",
            "protected_identity",
            "protected_residence",
            "created_at",
            "home_municipality_id",
            "registered_by_unit_id",
        ],
        (individual(j) for j in range(s.individuals)),
    )
    counts["guardians"] = copy_rows(
        Guardian,
        ["id", "name", "email", "phone", "address", "has_custody", "individual_id"],
        (
            (
                world.id(Guardian, 2 * j + g),
                " ".join(name(j, 30 + g)),
                f"vh{2 * j + g}@example.se",
                "",
                "",
                True,
                world.id(Individual, j),
            )
            for j in range(s.individuals)
            if world.is_child(j)
            for g in (0, 1)
        ),
    )
    return counts


def participant_units(world: World, case: CasePlan) -> tuple[int, int, int]:
    """The convening unit and two more: the next unit in the municipality and one further on."""
    s = world.scale
    return (
        case.unit,
        (case.unit + s.municipalities) % s.units,
        (case.unit + 2 * s.municipalities) % s.units,
    )


def cases_step(world: World) -> dict[str, int]:
    """Cases, their consent (covering the three participating units) and participants."""
    counts = {}
    counts["cases"] = copy_rows(
        Case,
        [
            "id",
            "reason",
            "is_acute",
            "status",
            "end_reason",
            "opened_at",
            "ended_at",
            "agreement_id",
            "convening_unit_id",
            "coordinator_id",
            "individual_id",
        ],
        (
            (
                case.id,
                REASONS[case.index % len(REASONS)],
                case.is_acute,
                case.status,
                END_REASONS.get(case.status, ""),
                case.opened_at,
                case.last_start + dt.timedelta(days=20) if case.status in Case.ENDED else None,
                case.agreement,
                world.id(Unit, case.unit),
                world.id(User, case.coordinator),
                world.id(Individual, case.individual),
            )
            for case in world.cases()
        ),
    )
    counts["consents"] = copy_rows(
        Consent,
        [
            "id",
            "given_at",
            "given_by_individual",
            "valid_until",
            "withdrawn_at",
            "withdrawn_by",
            "case_id",
        ],
        (
            (
                world.id(Consent, case.index),
                case.opened_at + dt.timedelta(days=1),
                not world.is_child(case.individual),
                None,
                None,
                "",
                case.id,
            )
            for case in world.cases()
            if case.has_consent
        ),
    )
    counts["consent_units"] = copy_rows(
        Consent.units.through,
        ["id", "consent_id", "unit_id"],
        (
            (
                world.id(Consent.units.through, 3 * case.index + k),
                world.id(Consent, case.index),
                world.id(Unit, unit),
            )
            for case in world.cases()
            if case.has_consent
            for k, unit in enumerate(participant_units(world, case))
        ),
    )
    counts["consent_guardians"] = copy_rows(
        Consent.given_by_guardians.through,
        ["id", "consent_id", "guardian_id"],
        (
            (
                world.id(Consent.given_by_guardians.through, 2 * case.index + g),
                world.id(Consent, case.index),
                world.id(Guardian, 2 * case.individual + g),
            )
            for case in world.cases()
            if case.has_consent and world.is_child(case.individual)
            for g in (0, 1)
        ),
    )
    counts["participants"] = copy_rows(
        Participant,
        [
            "id",
            "organisation",
            "person_name",
            "email",
            "phone",
            "postal_address",
            "case_id",
            "unit_id",
        ],
        (
            (
                world.id(Participant, 3 * case.index + k),
                "",
                " ".join(name(3 * case.index + k, 40)),
                "",
                "",
                "",
                case.id,
                world.id(Unit, unit),
            )
            for case in world.cases()
            if case.has_consent
            for k, unit in enumerate(participant_units(world, case))
        ),
    )
    return counts


def meetings_of(world: World, case: CasePlan) -> list[tuple[int, str, str, dt.datetime]]:
    """(slot, kind, status, start) of a case's meetings; slots 0–2 keep ids stable."""
    meetings = []
    first = min(case.opened_at + dt.timedelta(days=14), world.now - dt.timedelta(days=2))
    first = first.replace(hour=13, minute=0, second=0, microsecond=0)
    if case.status == Case.Status.CONVENED:
        ahead = world.now + dt.timedelta(days=2 + mix(case.index, 5) % 10)
        meetings.append(
            (
                0,
                Meeting.Kind.SIP,
                Meeting.Status.PLANNED,
                ahead.replace(hour=13, minute=0, second=0, microsecond=0),
            )
        )
    elif case.status in WITH_HELD_MEETING:
        meetings.append((0, Meeting.Kind.SIP, Meeting.Status.HELD, first))
    elif case.status == Case.Status.CANCELLED:
        meetings.append((0, Meeting.Kind.SIP, Meeting.Status.CANCELLED, first))
    if case.status in WITH_FOLLOW_UP_MEETING:
        later = min(first + dt.timedelta(days=60), world.now - dt.timedelta(days=1))
        meetings.append((1, Meeting.Kind.FOLLOW_UP, Meeting.Status.HELD, later))
    if case.status in WITH_HELD_MEETING and case.index % 5 == 0:
        meetings.append((2, Meeting.Kind.ACTORS, Meeting.Status.HELD, first - dt.timedelta(days=3)))
    return meetings


def meetings_step(world: World) -> dict[str, int]:
    """Meetings for each stage (planned, held, cancelled) and one invitation per participant."""
    counts = {}

    def meeting_rows() -> Iterator[tuple]:
        for case in world.cases():
            for slot, kind, status, starts_at in meetings_of(world, case):
                held = status == Meeting.Status.HELD
                yield (
                    world.id(Meeting, 3 * case.index + slot),
                    kind,
                    starts_at,
                    90,
                    "Familjecentralen, rum 2",
                    "",
                    "",
                    status,
                    uuid.UUID(int=(case.id << 8) | slot),
                    0,
                    starts_at - dt.timedelta(days=7),
                    starts_at + dt.timedelta(hours=2) if held else None,
                    case.id,
                )

    counts["meetings"] = copy_rows(
        Meeting,
        [
            "id",
            "kind",
            "starts_at",
            "duration_minutes",
            "place",
            "video_link",
            "notes",
            "status",
            "uid",
            "sequence",
            "kallelse_sent_at",
            "held_at",
            "case_id",
        ],
        meeting_rows(),
    )
    counts["invitations"] = copy_rows(
        Invitation,
        [
            "id",
            "response",
            "decline_reason",
            "attended",
            "excused",
            "meeting_id",
            "participant_id",
        ],
        (
            (
                world.id(Invitation, 9 * case.index + 3 * slot + k),
                Invitation.Response.ACCEPTED,
                "",
                True if status == Meeting.Status.HELD else None,
                False,
                world.id(Meeting, 3 * case.index + slot),
                world.id(Participant, 3 * case.index + k),
            )
            for case in world.cases()
            for slot, _kind, status, _start in meetings_of(world, case)
            for k in range(3)
        ),
    )
    return counts


def plans_of(world: World, case: CasePlan) -> list[tuple[int, dt.datetime]]:
    """(version, created) of a case's plan versions: one, or two for some long-running cases."""
    if case.status not in WITH_PLAN:
        return []
    created = min(case.opened_at + dt.timedelta(days=14, hours=5), world.now - dt.timedelta(days=2))
    versions = [(1, created)]
    if case.status in WITH_FOLLOW_UP_MEETING and case.index % 3 == 0:
        versions.append((2, min(created + dt.timedelta(days=60), world.now - dt.timedelta(days=1))))
    return versions


def plans_step(world: World) -> dict[str, int]:
    """Plan versions, three interventions per version, and the current huvudansvarig."""
    counts = {}

    def plan_rows() -> Iterator[tuple]:
        for case in world.cases():
            unit = world.id(Unit, case.unit)
            for version, created in plans_of(world, case):
                yield (
                    world.id(Plan, 2 * case.index + version - 1),
                    version,
                    created,
                    "Klara skolan och må bättre.",
                    "Vill ha färre möten och en kontaktperson.",
                    "Stöd i skolan, behandling och stöd till familjen.",
                    "Idrottsförening på fritiden.",
                    " ".join(name(case.index, 50)),
                    " ".join(name(case.index, 50)),
                    "",
                    calendar.local_date(created) + dt.timedelta(days=90),
                    case.id,
                    unit,
                    unit,
                    None,
                )

    counts["plans"] = copy_rows(
        Plan,
        [
            "id",
            "version",
            "created_at",
            "own_goals",
            "own_views",
            "needs",
            "other_measures",
            "lead_name",
            "coordinator_name",
            "plan_owner_name",
            "next_follow_up",
            "case_id",
            "coordinator_unit_id",
            "lead_unit_id",
            "plan_owner_unit_id",
        ],
        plan_rows(),
    )

    def intervention_rows() -> Iterator[tuple]:
        for case in world.cases():
            units = participant_units(world, case)
            for version, created in plans_of(world, case):
                plan = 2 * case.index + version - 1
                for k, unit in enumerate(units):
                    yield (
                        world.id(Intervention, 3 * plan + k),
                        f"Insats {k + 1} enligt planen",
                        " ".join(name(3 * plan + k, 60)),
                        "En gång i veckan",
                        calendar.local_date(created),
                        None,
                        "Följs upp på nästa SIP-möte.",
                        unit_huvudman(world, unit),
                        world.id(Unit, unit),
                        world.id(Plan, plan),
                    )

    counts["interventions"] = copy_rows(
        Intervention,
        [
            "id",
            "description",
            "performer",
            "scope",
            "starts_on",
            "ends_on",
            "follow_up",
            "huvudman_id",
            "unit_id",
            "plan_id",
        ],
        intervention_rows(),
    )
    counts["lead_assignments"] = copy_rows(
        LeadAssignment,
        ["id", "name", "started_at", "ended_at", "case_id", "unit_id", "plan_id"],
        (
            (
                world.id(LeadAssignment, case.index),
                " ".join(name(case.index, 50)),
                plans[-1][1],
                None,
                case.id,
                world.id(Unit, case.unit),
                world.id(Plan, 2 * case.index + plans[-1][0] - 1),
            )
            for case in world.cases()
            if (plans := plans_of(world, case))
        ),
    )
    return counts


def deadlines_step(world: World) -> dict[str, int]:
    """Every case's clocks: all but the last resolved (mostly met, some late, some waived); the
    last one in the state its case's rank gives it, so the state mix is exact at every scale."""
    slots = world.scale.deadlines // world.with_deadlines + 1
    now = world.now
    ct = world.case_content_type

    def rows() -> Iterator[tuple]:
        for case in world.cases():
            if not case.deadlines:
                continue
            offset = (KIND_CYCLE.index(case.last_kind) - (case.deadlines - 1)) % len(KIND_CYCLE)
            for k in range(case.deadlines):
                last = k == case.deadlines - 1
                kind = KIND_CYCLE[(k + offset) % len(KIND_CYCLE)]
                rule = world.rules[(case.agreement, kind)]
                started = case.last_start - dt.timedelta(days=21 * (case.deadlines - 1 - k))
                due = _due(rule.amount, started)
                state = case.last_state if last else MET
                if not last and mix(case.index * slots + k, 6) % 40 == 0:
                    state = WAIVED
                status, met_at, reason = Deadline.Status.MET, None, ""
                next_reminder = breached_at = next_escalation = None
                level = reminders = 0
                if state == MET:
                    late = mix(case.index * slots + k, 7) % 10 == 0
                    met_at = due + dt.timedelta(days=2) if late else started + (due - started) / 2
                elif state == WAIVED:
                    status, reason = Deadline.Status.WAIVED, "Efterskänkt: familjen bad om mer tid."
                elif state == CANCELLED:
                    status, reason = Deadline.Status.CANCELLED, "Avslutat enligt plan."
                elif state == OVERDUE:
                    status, reminders = Deadline.Status.OPEN, len(rule.reminder_offsets)
                elif state == FUTURE:
                    status = Deadline.Status.OPEN
                    # One in twenty has a reminder the sweep has not sent yet.
                    if case.index % 20 == 0:
                        next_reminder = now - dt.timedelta(hours=1)
                    else:
                        next_reminder = _next_reminder(tuple(rule.reminder_offsets), due, now)
                else:  # breached
                    status, breached_at = Deadline.Status.BREACHED, due + dt.timedelta(seconds=1)
                    # The sweep has kept up: the ladder is climbed as far as the clock says, and
                    # one in twenty waits for its next step now.
                    level = 0
                    while level < LADDER_STEPS and _escalation(due, level) <= now:
                        level += 1
                    if level < LADDER_STEPS:
                        next_escalation = _escalation(due, level)
                        if case.index % 20 == 0:
                            next_escalation = now - dt.timedelta(hours=1)
                yield (
                    world.id(Deadline, case.index * slots + k),
                    ct,
                    case.id,
                    rule.pk,
                    kind,
                    started,
                    due,
                    status,
                    met_at,
                    reason,
                    world.id(Unit, case.unit),
                    world.id(User, case.coordinator),
                    level,
                    next_reminder,
                    reminders,
                    breached_at,
                    next_escalation,
                    started,
                )

    written = copy_rows(
        Deadline,
        [
            "id",
            "content_type_id",
            "object_id",
            "rule_id",
            "kind",
            "started_at",
            "due_at",
            "status",
            "met_at",
            "reason",
            "responsible_unit_id",
            "responsible_user_id",
            "escalation_level",
            "next_reminder_at",
            "reminders_sent",
            "breached_at",
            "next_escalation_at",
            "created_at",
        ],
        rows(),
    )
    return {"deadlines": written}


def access_step(world: World) -> dict[str, int]:
    """The case grants sip.access.services.case_access_sync would hold: view and change for the
    convening unit's group, view for every participating unit's. The plan's lead and coordinator
    units are the convening unit here, so the plan adds nothing. Without them no one sees a case."""
    view, change = (
        Permission.objects.get(content_type_id=world.case_content_type, codename=codename).pk
        for codename in (VIEW, CHANGE)
    )

    def rows() -> Iterator[tuple]:
        for case in world.cases():
            units = participant_units(world, case) if case.has_consent else (case.unit,)
            grants = [(units[0], change)] + [(unit, view) for unit in units]
            for k, (unit, permission) in enumerate(grants):
                yield (
                    world.id(CaseGroupObjectPermission, 4 * case.index + k),
                    permission,
                    world.id(Group, unit),
                    case.id,
                )

    written = copy_rows(
        CaseGroupObjectPermission, ["id", "permission_id", "group_id", "content_object_id"], rows()
    )
    return {"case_grants": written}


# Deviation statuses by (mix % 20): mostly open work in a manager's inbox, some closed.
DEVIATION_STATUSES = (
    [DeviationReport.Status.DRAFT]
    + [DeviationReport.Status.REGISTERED] * 4
    + [DeviationReport.Status.RECEIVED] * 3
    + [DeviationReport.Status.INVESTIGATING] * 3
    + [DeviationReport.Status.ANSWERED] * 2
    + [DeviationReport.Status.ESCALATED] * 2
    + [DeviationReport.Status.CLOSED] * 4
    + [DeviationReport.Status.DISMISSED]
)
DEVIATION_CATEGORIES = tuple(DeviationReport.Category)


def deviations_of(world: World, case: CasePlan) -> range:
    """The report numbers filed about a case: the reports spread evenly over the cases."""
    s = world.scale
    return range(case.index * s.deviations // s.cases, (case.index + 1) * s.deviations // s.cases)


def deviations_step(world: World) -> dict[str, int]:
    """Deviation reports about cases: filed by the second participating unit (its manager),
    concerning the convening unit, in a mix of statuses, categories and ladder steps, each with
    the entry that created it."""
    counts = {}

    def report(case: CasePlan, r: int) -> tuple:
        status = DEVIATION_STATUSES[mix(r, 70) % len(DEVIATION_STATUSES)]
        reporting = participant_units(world, case)[1]
        occurred = min(case.opened_at + dt.timedelta(days=3 + mix(r, 71) % 60), world.now)
        created = min(occurred + dt.timedelta(days=1), world.now)
        unconfirmed = status in DeviationReport.UNCONFIRMED
        level = None
        if status == DeviationReport.Status.ESCALATED:
            level = world.levels[(case.agreement, 1 + mix(r, 72) % LADDER_STEPS)]
        return (
            world.id(DeviationReport, r),
            DEVIATION_CATEGORIES[mix(r, 73) % len(DEVIATION_CATEGORIES)],
            occurred,
            "" if unconfirmed else "Kallelsen kom inte fram i tid till verksamheten.",
            status,
            created,
            None if unconfirmed else created,
            created + dt.timedelta(hours=1) if status in DeviationReport.FINAL else None,
            case.agreement,
            case.id,
            level,
            # An automatic draft has no reporter until someone confirms it.
            None if status == DeviationReport.Status.DRAFT else world.id(User, reporting),
            world.id(Unit, reporting),
        )

    counts["deviations"] = copy_rows(
        DeviationReport,
        [
            "id",
            "category",
            "occurred_at",
            "description",
            "status",
            "created_at",
            "registered_at",
            "closed_at",
            "agreement_id",
            "case_id",
            "level_id",
            "reported_by_id",
            "reporting_unit_id",
        ],
        (report(case, r) for case in world.cases() for r in deviations_of(world, case)),
    )
    counts["deviation_units"] = copy_rows(
        DeviationReport.concerned_units.through,
        ["id", "deviationreport_id", "unit_id"],
        (
            (
                world.id(DeviationReport.concerned_units.through, r),
                world.id(DeviationReport, r),
                world.id(Unit, case.unit),
            )
            for case in world.cases()
            for r in deviations_of(world, case)
        ),
    )
    counts["deviation_entries"] = copy_rows(
        DeviationEntry,
        ["id", "kind", "from_status", "to_status", "text", "measures", "at", "report_id"],
        (
            (
                world.id(DeviationEntry, r),
                DeviationEntry.Kind.CREATED,
                "",
                DEVIATION_STATUSES[mix(r, 70) % len(DEVIATION_STATUSES)],
                "",
                "",
                min(case.opened_at + dt.timedelta(days=4 + mix(r, 71) % 60), world.now),
                world.id(DeviationReport, r),
            )
            for case in world.cases()
            for r in deviations_of(world, case)
        ),
    )
    return counts


STEPS: list[Callable[[World], dict[str, int]]] = [
    agreements_step,
    directory_step,
    individuals_step,
    cases_step,
    meetings_step,
    plans_step,
    deadlines_step,
    access_step,
    deviations_step,
]


def build_world(scale: Scale, *, now: dt.datetime) -> World:
    """Id bases (the current highest id of each table, so existing rows are never hit), the
    case ranks' stride and how many cases carry deadlines."""
    unresolved = tuple(
        round(scale.deadlines * share)
        for share in (OPEN_OVERDUE_SHARE, OPEN_FUTURE_SHARE, BREACHED_SHARE)
    )
    if sum(unresolved) > scale.cases:
        raise CommandError("A case has at most one unresolved deadline: too few cases.")
    tables = [
        Municipality,
        Huvudman,
        Unit,
        User,
        Membership,
        Individual,
        Guardian,
        Case,
        Consent,
        Consent.units.through,
        Consent.given_by_guardians.through,
        Participant,
        Meeting,
        Invitation,
        Plan,
        Intervention,
        LeadAssignment,
        Deadline,
        Group,
        CaseGroupObjectPermission,
        DeviationReport,
        DeviationReport.concerned_units.through,
        DeviationEntry,
    ]
    bases = {}
    with connection.cursor() as cursor:
        for model in tables:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            bases[model] = cursor.fetchone()[0]
    world = World(
        scale=scale,
        now=now,
        today=calendar.local_date(now),
        bases=bases,
        counties=[county.value for county in County][: scale.counties],
        case_content_type=ContentType.objects.get_for_model(Case).pk,
        stride=coprime_stride(scale.cases),
        unresolved_counts=unresolved,
    )
    world.with_deadlines = sum(1 for i in range(scale.cases) if world.stage(i)[1] != NONE)
    return world


class Command(BaseCommand):
    help = "Generate synthetic SIP data at national, county or tiny scale into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="county")
        parser.add_argument(
            "--stats-file",
            default=str(settings.BASE_DIR / "var" / STATS_FILE),
            help="Where to record time, peak memory and counts (read by manage.py bench).",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_scale_data needs PostgreSQL (it loads rows with COPY).")
        occupied = [
            str(model._meta.verbose_name_plural)
            for model in (Unit, Individual, Case, Deadline)
            if model.objects.exists()
        ]
        if occupied:
            raise CommandError(
                f"The database already holds {', '.join(occupied)}. generate_scale_data only "
                "fills an empty (freshly migrated) database."
            )
        started = time.perf_counter()
        world = build_world(SCALES[options["scale"]], now=timezone.now())
        counts: dict[str, int] = {}
        with transaction.atomic(), connection.cursor() as cursor:
            foreign_keys = drop_foreign_keys(list(world.bases))
            for step in STEPS:
                step_started = time.perf_counter()
                written = step(world)
                counts.update(written)
                self.stdout.write(
                    f"{step.__name__:<18} {time.perf_counter() - step_started:7.1f} s  "
                    + ", ".join(f"{key} {value:,}" for key, value in written.items())
                )
            keys_started = time.perf_counter()
            restore_foreign_keys(foreign_keys)
            self.stdout.write(
                f"{'foreign keys':<18} {time.perf_counter() - keys_started:7.1f} s  "
                f"{len(foreign_keys)} checked"
            )
            for sql in connection.ops.sequence_reset_sql(no_style(), list(world.bases)):
                cursor.execute(sql)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        stats = {
            "database": connection.settings_dict["NAME"],
            "scale": options["scale"],
            "generated_at": world.now.isoformat(),
            "seconds": round(time.perf_counter() - started, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "counts": counts,
        }
        self.stdout.write(f"generated in {stats['seconds']} s, peak RSS {stats['peak_rss_mb']} MB")
        path = Path(options["stats_file"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stats, indent=2) + "\n")

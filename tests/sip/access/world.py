"""A SIP world for access tests, built through the services so the grants are the real ones.

One world holds a case in every state a page needs: consent, a participating unit, a held SIP
meeting, a plan, a planned follow-up meeting with its kallelse out, a notification, an access-log
entry and a log review; a placement of the person linked to the case with a cost split and an
examination request; a deviation report on the case lifted to the steering group; the convener's
calendar feed. The roles of the authorization matrix are the world's users.
"""

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from pypdf import PdfReader

from actors.models import Membership, SteeringGroup, Unit, User
from agreements.models import Agreement, EscalationLevel
from deadlines.models import Deadline
from sip import services
from sip.access import services as access_services
from sip.agenda import services as agenda_services
from sip.deviations import services as deviation_services
from sip.deviations.models import DeviationReport
from sip.models import Case, Meeting
from sip.placements import services as placement_services
from sip.placements.models import ExaminationRequest, Placement
from tests import factories
from tests.sip.conftest import at

# The columns of the matrix, in order. "participant" is a coordinator of a participating unit
# that neither convenes nor holds a role in the plan; "manager" manages the convening unit.
ROLES = ("convener", "participant", "manager", "outsider", "steering", "admin", "anonymous")

# The clock of every request in the access tests: after the plan, before the follow-up meeting.
NOW = at(2026, 6, 25, 9)


@dataclass
class World:
    users: dict[str, User | None]
    convening_unit: Unit
    participating_unit: Unit
    objects: dict[str, object] = field(default_factory=dict)

    def __getattr__(self, name: str):
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def _member(unit: Unit, role: str = Membership.Role.COORDINATOR, **user) -> User:
    return factories.MembershipFactory(
        unit=unit, role=role, user=factories.UserFactory(**user)
    ).user


def build_world(
    *,
    agreement: Agreement,
    tag: str,
    first_name: str,
    last_name: str,
    address: str,
    protected: bool = False,
) -> World:
    """Build one world; `tag` keeps usernames apart when a test builds two."""
    municipality = factories.MunicipalityFactory(code="0380", county=agreement.county)
    convening_unit = factories.UnitFactory(name=f"Socialtjänst IFO {tag}")
    participating_unit = factories.UnitFactory(
        name=f"BUP {tag}", kind=Unit.Kind.BUP, huvudman=factories.HuvudmanFactory()
    )
    convener = _member(convening_unit, username=f"{tag}-handlaggare", first_name="Karin")
    users = {
        "convener": convener,
        "participant": _member(participating_unit, username=f"{tag}-bup"),
        "manager": _member(convening_unit, Membership.Role.MANAGER, username=f"{tag}-chef"),
        "outsider": _member(factories.UnitFactory(), username=f"{tag}-utomstaende"),
        "steering": factories.UserFactory(username=f"{tag}-styrgrupp"),
        "admin": factories.UserFactory(username=f"{tag}-admin", is_staff=True, is_superuser=True),
        "anonymous": None,
    }
    steering_group = factories.SteeringGroupFactory()
    steering_group.members.add(users["steering"])
    steering_group.units.add(convening_unit, participating_unit)
    steering_group.municipalities.add(municipality)
    world = World(users=users, convening_unit=convening_unit, participating_unit=participating_unit)
    o = world.objects

    with time_machine.travel(at(2026, 6, 1, 9), tick=False):
        o["individual"] = factories.IndividualFactory(
            first_name=first_name,
            last_name=last_name,
            address=address,
            home_municipality=municipality,
            registered_by_unit=convening_unit,
            protected_identity=protected,
            protected_residence=protected,
        )
        guardian = factories.GuardianFactory(
            individual=o["individual"], name=f"Gunilla {last_name}", address=address
        )
        if protected:
            o["individual"].authorised_users.add(convener)
        o["case"] = services.case_open(
            individual=o["individual"],
            convening_unit=convening_unit,
            coordinator=convener,
            reason="Oro för skolfrånvaro.",
            by=convener,
        )
    with time_machine.travel(at(2026, 6, 12, 10), tick=False):
        o["consent"] = services.consent_record(
            case=o["case"],
            given_at=at(2026, 6, 12, 10),
            units=[convening_unit, participating_unit],
            guardians=[guardian],
            given_by_individual=True,
            by=convener,
        )
        o["participant"] = services.participant_add(
            case=o["case"], unit=participating_unit, person_name="Psykolog Berg", by=convener
        )
    with time_machine.travel(at(2026, 6, 16, 9), tick=False):
        sip_meeting = services.meeting_schedule(
            case=o["case"],
            kind=Meeting.Kind.SIP,
            starts_at=at(2026, 6, 23, 13),
            place="Familjecentralen",
            by=convener,
        )
        services.kallelse_send(meeting=sip_meeting, by=convener)
    with time_machine.travel(at(2026, 6, 23, 15), tick=False):
        services.meeting_record_held(meeting=sip_meeting, attended=[o["participant"]], by=convener)
    with time_machine.travel(at(2026, 6, 24, 10), tick=False):
        services.plan_save(
            case=o["case"],
            data=services.PlanData(
                needs="Stöd i skolan.",
                lead_name="Karin",
                lead_unit=convening_unit,
                coordinator_name="Karin",
                coordinator_unit=convening_unit,
            ),
            by=convener,
        )
        o["meeting"] = services.meeting_schedule(
            case=o["case"],
            kind=Meeting.Kind.FOLLOW_UP,
            starts_at=at(2026, 9, 1, 10),
            place="Rum 2",
            by=convener,
        )
        services.kallelse_send(meeting=o["meeting"], by=convener)
        o["invitation"] = o["meeting"].invitations.get()
        request = RequestFactory().get("/")
        request.user = convener
        access_services.access_log_record(request=request, action="visning", case=o["case"])
        o["review"] = access_services.log_review_create(
            unit=convening_unit,
            period_start=dt.date(2026, 6, 1),
            period_end=dt.date(2026, 6, 24),
            sample_size=5,
            by=users["manager"],
        )
        o["review_item"] = o["review"].items.first()
    o["notification"] = factories.NotificationFactory(user=convener)
    o["deadline"] = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Case), object_id=o["case"].pk
    ).first()
    _placement(world, agreement=agreement, address=address)
    _deviation_report(world, agreement=agreement, name=f"{first_name} {last_name}")
    o["feed_token"] = agenda_services.calendar_feed_rotate(user=convener)
    o["unit"] = participating_unit
    o["agreement"] = agreement
    # URL keywords that name a fixed vocabulary rather than an object.
    o["plan_row_kind"] = "insats"
    o["deviation_step"] = "kommentera"
    o["case"].refresh_from_db()
    return world


def _placement(world: World, *, agreement: Agreement, address: str) -> None:
    """The person placed in an HVB by the convening social services, linked to the case, with a
    cost split the participating unit has still to answer and a health examination requested of
    it. The residence is the person's own address, so it must stay hidden where they are."""
    o, convener = world.objects, world.users["convener"]
    with time_machine.travel(at(2026, 6, 24, 11), tick=False):
        o["placement"] = placement_services.placement_register(
            individual=o["individual"],
            responsible_unit=world.convening_unit,
            case=o["case"],
            placement_type=Placement.Form.HVB,
            legal_basis=Placement.LegalBasis.SOL,
            decided_on=dt.date(2026, 6, 24),
            starts_on=dt.date(2026, 6, 24),
            residence_name="HVB Gläntan",
            residence_address=address,
            by=convener,
        )
        o["cost_split"] = placement_services.cost_split_propose(
            placement=o["placement"],
            basis="procent",
            description="Placering HVB Gläntan",
            ordered_by=world.convening_unit.huvudman,
            shares=[
                placement_services.ShareData(unit=world.convening_unit, value=Decimal("50")),
                placement_services.ShareData(unit=world.participating_unit, value=Decimal("50")),
            ],
            by=convener,
        )
        o["cost_share"] = o["cost_split"].shares.get(unit=world.participating_unit)
        o["examination"] = placement_services.examination_request(
            placement=o["placement"],
            kind=ExaminationRequest.Kind.HEALTH,
            unit=world.participating_unit,
            requested_on=dt.date(2026, 6, 24),
            by=convener,
        )


def _deviation_report(world: World, *, agreement: Agreement, name: str) -> None:
    """The convener reports the participating unit; its manager lifts the report to the BUS
    group, where the world's steering member handles it. The text names the person, as reporters
    sometimes do despite the form's advice: every page must mask it for those who may not see."""
    o = world.objects
    EscalationLevel.objects.get_or_create(
        agreement=agreement,
        order=1,
        defaults={
            "name": "BUS-grupp",
            "kind": EscalationLevel.Kind.STEERING_GROUP,
            "steering_group_kind": SteeringGroup.Kind.BUS,
            "source_section": "test.txt, avsnitt 5",
        },
    )
    with time_machine.travel(at(2026, 6, 24, 12), tick=False):
        o["report"] = deviation_services.report_create(
            by=world.users["convener"],
            reporting_unit=world.convening_unit,
            concerned_units=[world.participating_unit],
            category=DeviationReport.Category.NON_ATTENDANCE,
            occurred_at=at(2026, 6, 23, 13),
            description=f"BUP kom inte till mötet om {name}.",
            case=o["case"],
        )
        deviation_services.report_escalate(
            report=o["report"],
            by=_member(world.participating_unit, Membership.Role.MANAGER),
            reason="Upprepad utevaro.",
        )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readable(response) -> str:
    """The text a user gets from a response: HTML, CSV and .ics as text, a PDF's extracted text,
    a workbook's cell values."""
    content = b"".join(response) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        pages = PdfReader(io.BytesIO(content)).pages
        return " ".join(" ".join(page.extract_text() for page in pages).split())
    if response.get("Content-Type", "").startswith(XLSX):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return " ".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return content.decode()

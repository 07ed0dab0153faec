"""A SIP world for access tests, built through the services so the grants are the real ones.

One world holds a case in every state a page needs: consent, a participating unit, a held SIP
meeting, a plan, a planned follow-up meeting with its kallelse out, a notification, an access-log
entry and a log review. The roles of the authorization matrix are the world's users.
"""

import datetime as dt
import io
from dataclasses import dataclass, field

import time_machine
from django.test import RequestFactory
from pypdf import PdfReader

from actors.models import Membership, Unit, User
from agreements.models import Agreement
from sip import services
from sip.access import services as access_services
from sip.models import Meeting
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
    participating_unit = factories.UnitFactory(name=f"BUP {tag}", kind=Unit.Kind.BUP)
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
    steering_group.units.add(convening_unit)
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
    o["case"].refresh_from_db()
    return world


def readable(response) -> str:
    """The text a user gets from a response: HTML, CSV and .ics as text, a PDF's extracted text."""
    content = b"".join(response) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        pages = PdfReader(io.BytesIO(content)).pages
        return " ".join(" ".join(page.extract_text() for page in pages).split())
    return content.decode()

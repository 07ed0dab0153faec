"""Cost responsibility is discussed without the person (001): documents meant for the person or
guardians never carry the cost split, nor a protected place of residence."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from sip import services as sip_services
from sip.models import Meeting
from sip.pdf import kallelse_letter_pdf, plan_pdf
from sip.placements import services
from sip.placements.models import CostSplit, Placement
from sip.selectors import plan_get
from tests import factories
from tests.sip.conftest import at
from tests.sip.placements.conftest import register, shares
from tests.sip.test_documents import pdf_text

pytestmark = pytest.mark.django_db

COST_TEXT = "Kostnad för KBT under placeringen"
RESIDENCE = "Hemliga gården"
ADDRESS = "Dolda vägen 3"


@pytest.fixture
def split_on_the_plan(
    held, coordinator, unit, bup, django_capture_on_commit_callbacks
) -> tuple[CostSplit, Meeting]:
    """A plan with an intervention, a protected placement linked to the SIP, an aktörsmöte with
    its kallelse sent, and an agreed cost split for the intervention discussed there."""
    case = held.case
    plan_data = sip_services.PlanData(
        needs="Stöd i skolan.",
        lead_name="Karin Ek",
        lead_unit=unit,
        coordinator_name="Karin Ek",
        coordinator_unit=unit,
        interventions=[
            sip_services.InterventionData(
                description="Samtalsbehandling KBT",
                unit=bup,
                performer="Psykolog på BUP",
                scope="En gång i veckan",
                starts_on=dt.date(2026, 7, 1),
                follow_up="Skattningsskala",
            )
        ],
    )
    with time_machine.travel(at(2026, 6, 24, 9), tick=False):
        plan = sip_services.plan_save(case=case, data=plan_data, by=coordinator)
    placement = register(
        coordinator,
        unit,
        case.individual,
        on=dt.date(2026, 6, 24),
        case=case,
        legal_basis=Placement.LegalBasis.LVU_IMMEDIATE,
        protected_residence=True,
        residence_name=RESIDENCE,
        residence_address=ADDRESS,
    )
    with time_machine.travel(at(2026, 6, 24, 12), tick=False):
        meeting = sip_services.meeting_schedule(
            case=case,
            kind=Meeting.Kind.ACTORS,
            starts_at=at(2026, 6, 26, 8),
            place="Rum 4",
            by=coordinator,
        )
        with django_capture_on_commit_callbacks(execute=True):
            sip_services.kallelse_send(meeting=meeting, by=coordinator)
    with time_machine.travel(at(2026, 6, 26, 10), tick=False):
        split = services.cost_split_propose(
            placement=placement,
            basis=CostSplit.Basis.AMOUNT,
            total_amount=Decimal("123456.78"),
            description=COST_TEXT,
            intervention=plan.interventions.get(),
            ordered_by=bup.huvudman,
            meeting=meeting,
            shares=shares((unit, Decimal("100000.00")), (bup, Decimal("23456.78"))),
            by=coordinator,
        )
        services.cost_share_agree(
            share=split.shares.get(unit=bup), by=factories.MembershipFactory(unit=bup).user
        )
    split.refresh_from_db()
    assert split.status == CostSplit.Status.AGREED
    return split, meeting


def _assert_nothing_of_the_split(text: str) -> None:
    for secret in (
        COST_TEXT,
        "123456",
        "23456",
        "100000",
        "ostnadsfördelning",
        "ostnadsansvar",
        RESIDENCE,
        ADDRESS,
    ):
        assert secret not in text, secret


def test_the_plan_pdf_never_carries_the_cost_split_or_the_protected_residence(split_on_the_plan):
    split, _meeting = split_on_the_plan
    text = pdf_text(plan_pdf(plan=plan_get(case=split.placement.case)))
    # The intervention the split is about is in the plan; what it costs and who pays are not.
    assert "Samtalsbehandling KBT" in text
    _assert_nothing_of_the_split(text)


def test_the_kallelse_letter_and_mails_for_the_aktorsmote_never_carry_the_cost_split(
    split_on_the_plan,
):
    split, meeting = split_on_the_plan
    for participant in split.placement.case.participants.all():
        text = pdf_text(kallelse_letter_pdf(meeting=meeting, participant=participant))
        assert "Mötet hålls utan den enskilde." in text
        _assert_nothing_of_the_split(text)
    assert mail.outbox
    for message in mail.outbox:
        _assert_nothing_of_the_split(message.subject + message.body)

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from actors.models import County, Huvudman, Unit
from agreements.models import Agreement, DeadlineRule
from config.exceptions import ApplicationError
from deadlines.models import Deadline
from deadlines.selectors import deadline_list_for_subject
from sip import services as sip_services
from sip.models import Meeting
from sip.placements import services
from sip.placements.models import CostSplit, ExaminationRequest, Placement
from tests import factories
from tests.sip.conftest import at
from tests.sip.placements.conftest import register, shares

pytestmark = pytest.mark.django_db


def clock(placement: Placement, kind: str) -> Deadline:
    return deadline_list_for_subject(subject=placement).get(kind=kind)


def propose(placement, by, pairs, *, when, **overrides):
    data = {
        "basis": CostSplit.Basis.PERCENT,
        "description": "Placering HVB Björkgården",
        "ordered_by": placement.responsible_unit.huvudman,
    } | overrides
    with time_machine.travel(when, tick=False):
        return services.cost_split_propose(
            placement=placement, shares=shares(*pairs), by=by, **data
        )


@pytest.fixture
def vastmanland(db):
    """A placing social-services unit and the region in Västmanland (seeded agreement 001)."""
    municipality = factories.MunicipalityFactory(
        code="1980", name="Västerås", county=County.VASTMANLAND
    )
    kommun = factories.HuvudmanFactory(name="Västerås stad", county=County.VASTMANLAND)
    region = factories.HuvudmanFactory(
        name="Region Västmanland", kind=Huvudman.Kind.REGION, county=County.VASTMANLAND
    )
    social = factories.UnitFactory(huvudman=kommun, municipality=municipality, name="IFO Västerås")
    bup = factories.UnitFactory(huvudman=region, kind=Unit.Kind.BUP, name="BUP Västerås")
    coordinator = factories.MembershipFactory(unit=social).user
    region_user = factories.MembershipFactory(unit=bup).user
    child = factories.IndividualFactory(home_municipality=municipality)
    return {
        "social": social,
        "bup": bup,
        "coordinator": coordinator,
        "region_user": region_user,
        "child": child,
        "kommun": kommun,
        "region": region,
    }


# --- clocks ---------------------------------------------------------------------------------------


def test_an_acute_placement_on_the_thursday_before_easter_gets_the_norrbus_cost_split_due_date(
    easter_placement,
):
    # Norrbus (004): "senast tio arbetsdagar efter beslut om placering". Decision Thursday
    # 2026-04-02. Good Friday 04-03, Easter Sunday 04-05 and Easter Monday 04-06 are holidays,
    # so the ten working days are 04-07, 08, 09, 10, 13, 14, 15, 16, 17 and 20: Monday 20 April,
    # at the close of the day.
    deadline = clock(easter_placement, DeadlineRule.Kind.COST_SPLIT_ACUTE)
    assert easter_placement.agreement.code == "norrbus"
    assert deadline.due_at == at(2026, 4, 20, 23, 59, 59)
    assert deadline.started_at == at(2026, 4, 2)
    assert deadline.responsible_unit == easter_placement.responsible_unit
    assert deadline.responsible_user == easter_placement.coordinator
    assert deadline.status == Deadline.Status.OPEN


def test_agreeing_the_split_meets_the_cost_split_deadline(
    easter_placement, coordinator, placing_unit, region_bup, region_manager
):
    split = propose(
        easter_placement,
        coordinator,
        [(placing_unit, Decimal("60")), (region_bup, Decimal("40"))],
        when=at(2026, 4, 15, 9),
    )
    own, other = split.shares.order_by("pk")
    # Proposing agrees for the proposer's own party only; the region still has to answer.
    assert (own.agreed_by, other.agreed_by) == (coordinator, None)
    assert split.status == CostSplit.Status.PROPOSED
    assert clock(easter_placement, DeadlineRule.Kind.COST_SPLIT_ACUTE).status == "open"

    with time_machine.travel(at(2026, 4, 20, 16), tick=False):
        services.cost_share_agree(share=other, by=region_manager)

    split.refresh_from_db()
    other.refresh_from_db()
    assert split.status == CostSplit.Status.AGREED
    assert split.settled_at == at(2026, 4, 20, 16)
    assert (other.agreed_by, other.agreed_at) == (region_manager, at(2026, 4, 20, 16))
    deadline = clock(easter_placement, DeadlineRule.Kind.COST_SPLIT_ACUTE)
    assert deadline.status == Deadline.Status.MET
    assert not deadline.was_met_late


def test_agreeing_after_the_due_date_meets_the_deadline_late(
    easter_placement, coordinator, placing_unit, region_bup, region_manager
):
    split = propose(
        easter_placement,
        coordinator,
        [(placing_unit, Decimal("50")), (region_bup, Decimal("50"))],
        when=at(2026, 4, 20, 9),
    )
    with time_machine.travel(at(2026, 4, 21, 0, 0, 1), tick=False):
        services.cost_share_agree(share=split.shares.get(unit=region_bup), by=region_manager)
    assert clock(easter_placement, DeadlineRule.Kind.COST_SPLIT_ACUTE).was_met_late


def test_it_refuses_percent_shares_that_do_not_sum_to_100_and_writes_nothing(
    easter_placement, coordinator, placing_unit, region_bup
):
    with pytest.raises(ApplicationError) as error:
        propose(
            easter_placement,
            coordinator,
            [(placing_unit, Decimal("60")), (region_bup, Decimal("30"))],
            when=at(2026, 4, 7, 9),
        )
    assert error.value.message == ("Andelarna summerar till 90 %. De ska summera till exakt 100 %.")
    assert not CostSplit.objects.exists()


def test_it_refuses_amounts_that_do_not_sum_to_the_total(
    easter_placement, coordinator, placing_unit, region_bup
):
    with pytest.raises(ApplicationError) as error:
        propose(
            easter_placement,
            coordinator,
            [(placing_unit, Decimal("30000")), (region_bup, Decimal("15000"))],
            when=at(2026, 4, 7, 9),
            basis=CostSplit.Basis.AMOUNT,
            total_amount=Decimal("50000"),
        )
    assert "summerar till 45000 kr men totalbeloppet är 50000 kr" in error.value.message
    assert not CostSplit.objects.exists()


def test_amounts_that_sum_to_the_total_are_accepted(
    easter_placement, coordinator, placing_unit, region_bup
):
    split = propose(
        easter_placement,
        coordinator,
        [(placing_unit, Decimal("35000.50")), (region_bup, Decimal("14999.50"))],
        when=at(2026, 4, 7, 9),
        basis=CostSplit.Basis.AMOUNT,
        total_amount=Decimal("50000"),
    )
    assert sorted(split.shares.values_list("amount", flat=True)) == [
        Decimal("14999.50"),
        Decimal("35000.50"),
    ]


def test_it_refuses_two_shares_for_the_same_huvudman_and_a_single_party(
    easter_placement, coordinator, placing_unit, region_bup, region
):
    second_region_unit = factories.UnitFactory(huvudman=region, kind=Unit.Kind.PRIMARY_CARE)
    with pytest.raises(ApplicationError, match="bara ha en andel"):
        propose(
            easter_placement,
            coordinator,
            [(region_bup, Decimal("50")), (second_region_unit, Decimal("50"))],
            when=at(2026, 4, 7, 9),
            ordered_by=region,
        )
    with pytest.raises(ApplicationError, match="minst två huvudmän"):
        propose(
            easter_placement, coordinator, [(placing_unit, Decimal("100"))], when=at(2026, 4, 7)
        )


def test_a_party_answers_only_for_its_own_share(
    easter_placement, coordinator, placing_unit, region_bup, outsider
):
    split = propose(
        easter_placement,
        coordinator,
        [(placing_unit, Decimal("70")), (region_bup, Decimal("30"))],
        when=at(2026, 4, 7, 9),
    )
    region_share = split.shares.get(unit=region_bup)
    for user in (coordinator, outsider):
        with pytest.raises(ApplicationError, match="Bara BUP Luleå kan svara"):
            services.cost_share_agree(share=region_share, by=user)
        with pytest.raises(ApplicationError, match="Bara BUP Luleå kan svara"):
            services.cost_share_decline(share=region_share, reason="Nej.", by=user)
    region_share.refresh_from_db()
    assert region_share.agreed_at is None


def test_only_the_placing_social_services_propose_a_split(
    easter_placement, placing_unit, region_bup, region_manager, colleague
):
    with pytest.raises(ApplicationError, match="socialtjänsten i den placerande kommunen"):
        propose(
            easter_placement,
            region_manager,
            [(placing_unit, Decimal("50")), (region_bup, Decimal("50"))],
            when=at(2026, 4, 7, 9),
        )
    # A colleague in the same social services may propose.
    propose(
        easter_placement,
        colleague,
        [(placing_unit, Decimal("50")), (region_bup, Decimal("50"))],
        when=at(2026, 4, 7, 9),
    )


def test_not_agreed_records_the_agreements_fallback_the_ordering_huvudman_pays(vastmanland):
    v = vastmanland
    placement = register(v["coordinator"], v["social"], v["child"], on=dt.date(2026, 5, 4))
    assert placement.agreement.code == "vastmanland-barn-och-unga"
    split = propose(
        placement,
        v["coordinator"],
        [(v["social"], Decimal("50")), (v["bup"], Decimal("50"))],
        when=at(2026, 5, 6, 9),
        description="Behandlingsinsats på HVB",
        ordered_by=v["kommun"],
    )
    with time_machine.travel(at(2026, 5, 8, 14), tick=False):
        services.cost_share_decline(
            share=split.shares.get(unit=v["bup"]),
            reason="Insatsen är socialtjänstens ansvar.",
            by=v["region_user"],
        )
    split.refresh_from_db()
    assert split.status == CostSplit.Status.NOT_AGREED
    assert split.fallback_payer == v["kommun"]
    assert "den huvudman som beställt insatsen stå för kostnaden" in split.fallback_rule
    assert split.not_agreed_reason == "Insatsen är socialtjänstens ansvar."
    assert split.is_settled
    share = split.shares.get(unit=v["bup"])
    assert (share.declined_by, share.declined_at) == (v["region_user"], at(2026, 5, 8, 14))


def test_not_agreed_without_a_fallback_keeps_the_norrbus_clock_running_toward_its_ladder(
    easter_placement, coordinator, placing_unit, region_bup, region_manager
):
    split = propose(
        easter_placement,
        coordinator,
        [(placing_unit, Decimal("50")), (region_bup, Decimal("50"))],
        when=at(2026, 4, 8, 9),
    )
    with time_machine.travel(at(2026, 4, 9, 9), tick=False):
        services.cost_share_decline(
            share=split.shares.get(unit=region_bup), reason="Ingen vårdinsats.", by=region_manager
        )
    split.refresh_from_db()
    assert split.status == CostSplit.Status.NOT_AGREED
    assert split.fallback_payer is None
    assert not split.is_settled
    assert clock(easter_placement, DeadlineRule.Kind.COST_SPLIT_ACUTE).status == "open"

    # A later agreement on the same costs settles them and meets the clock.
    again = propose(
        easter_placement,
        coordinator,
        [(placing_unit, Decimal("80")), (region_bup, Decimal("20"))],
        when=at(2026, 4, 14, 9),
    )
    with time_machine.travel(at(2026, 4, 14, 11), tick=False):
        services.cost_share_agree(share=again.shares.get(unit=region_bup), by=region_manager)
    assert clock(easter_placement, DeadlineRule.Kind.COST_SPLIT_ACUTE).status == "met"


def test_a_second_pending_proposal_for_the_same_costs_is_refused(
    easter_placement, coordinator, placing_unit, region_bup
):
    pairs = [(placing_unit, Decimal("50")), (region_bup, Decimal("50"))]
    propose(easter_placement, coordinator, pairs, when=at(2026, 4, 7, 9))
    with pytest.raises(ApplicationError, match="väntar på svar"):
        propose(easter_placement, coordinator, pairs, when=at(2026, 4, 7, 10))


def test_costs_are_discussed_at_an_aktorsmote_never_at_a_meeting_with_the_person(
    held, coordinator, placing_unit, region_bup
):
    case = held.case
    placement = register(
        coordinator, placing_unit, case.individual, on=dt.date(2026, 6, 24), case=case
    )
    pairs = [(placing_unit, Decimal("50")), (region_bup, Decimal("50"))]
    with pytest.raises(ApplicationError, match="utan den enskilde"):
        propose(placement, coordinator, pairs, when=at(2026, 6, 25, 9), meeting=held)
    with time_machine.travel(at(2026, 6, 24, 12), tick=False):
        actors_meeting = sip_services.meeting_schedule(
            case=case,
            kind=Meeting.Kind.ACTORS,
            starts_at=at(2026, 6, 25, 8),
            place="Rum 4",
            by=coordinator,
        )
    split = propose(placement, coordinator, pairs, when=at(2026, 6, 25, 9), meeting=actors_meeting)
    assert split.meeting == actors_meeting


def test_vastmanland_acute_placement_opens_a_two_week_joint_planning_clock_met_by_the_invitation(
    vastmanland,
):
    v = vastmanland
    placement = register(v["coordinator"], v["social"], v["child"], on=dt.date(2026, 5, 4))
    deadline = clock(placement, DeadlineRule.Kind.JOINT_PLANNING_ACUTE)
    # 001: "inom ramen för max två veckor" from Monday 4 May: Monday 18 May.
    assert deadline.due_at == at(2026, 5, 18, 23, 59, 59)
    # Västmanland sets no cost-split clock.
    assert not deadline_list_for_subject(subject=placement).filter(
        kind=DeadlineRule.Kind.COST_SPLIT_ACUTE
    )
    with time_machine.travel(at(2026, 5, 12, 9), tick=False):
        services.placement_record_joint_planning_invitation(
            placement=placement, invited_on=dt.date(2026, 5, 11), by=v["coordinator"]
        )
    deadline.refresh_from_db()
    assert (deadline.status, deadline.met_at) == ("met", at(2026, 5, 11))


def test_a_planned_placement_opens_no_acute_clock_and_expects_the_split_before_it_starts(
    coordinator, placing_unit, placed_child
):
    placement = register(
        coordinator,
        placing_unit,
        placed_child,
        on=dt.date(2026, 4, 2),
        is_acute=False,
        starts_on=dt.date(2026, 5, 4),
    )
    assert not deadline_list_for_subject(subject=placement).exists()
    assert placement.cost_split_expected_by == dt.date(2026, 5, 4)


def test_an_immediate_custody_under_6_lvu_is_always_acute(coordinator, placing_unit, placed_child):
    placement = register(
        coordinator,
        placing_unit,
        placed_child,
        on=dt.date(2026, 4, 2),
        is_acute=False,
        legal_basis=Placement.LegalBasis.LVU_IMMEDIATE,
    )
    assert placement.is_acute
    assert clock(placement, DeadlineRule.Kind.COST_SPLIT_ACUTE).status == "open"


def test_a_person_with_a_protected_residence_gets_a_protected_placement(
    coordinator, placing_unit, placed_child
):
    placed_child.protected_residence = True
    placed_child.save()
    placement = register(coordinator, placing_unit, placed_child, on=dt.date(2026, 4, 2))
    assert placement.protected_residence
    assert list(placement.authorised_users.all()) == [coordinator]


def test_registration_refuses_a_start_before_the_decision_and_a_future_decision(
    coordinator, placing_unit, placed_child
):
    with pytest.raises(ApplicationError, match="före beslutet"):
        register(
            coordinator,
            placing_unit,
            placed_child,
            on=dt.date(2026, 4, 2),
            starts_on=dt.date(2026, 4, 1),
        )
    with (
        time_machine.travel(at(2026, 4, 1, 9), tick=False),
        pytest.raises(ApplicationError, match="framtiden"),
    ):
        services.placement_register(
            individual=placed_child,
            responsible_unit=placing_unit,
            placement_type=Placement.Form.HVB,
            legal_basis=Placement.LegalBasis.SOL,
            decided_on=dt.date(2026, 4, 2),
            starts_on=dt.date(2026, 4, 2),
            by=coordinator,
        )
    assert not Placement.objects.exists()


def test_only_a_member_of_a_social_services_unit_can_register(
    placing_unit, placed_child, region_bup, region_manager, outsider
):
    with pytest.raises(ApplicationError, match="aktiv medlem"):
        register(outsider, placing_unit, placed_child, on=dt.date(2026, 4, 2))
    with pytest.raises(ApplicationError, match="socialtjänst"):
        register(region_manager, region_bup, placed_child, on=dt.date(2026, 4, 2))


# --- examinations ---------------------------------------------------------------------------------


def test_health_examination_goes_as_two_separate_requests_each_with_its_own_answer(
    easter_placement, coordinator, health_centre, dental
):
    with time_machine.travel(at(2026, 4, 7, 9), tick=False):
        with pytest.raises(ApplicationError, match="tandvården"):
            services.examination_request(
                placement=easter_placement,
                kind=ExaminationRequest.Kind.DENTAL,
                unit=health_centre,
                requested_on=dt.date(2026, 4, 7),
                by=coordinator,
            )
        health = services.examination_request(
            placement=easter_placement,
            kind=ExaminationRequest.Kind.HEALTH,
            unit=health_centre,
            requested_on=dt.date(2026, 4, 7),
            by=coordinator,
        )
        teeth = services.examination_request(
            placement=easter_placement,
            kind=ExaminationRequest.Kind.DENTAL,
            unit=dental,
            requested_on=dt.date(2026, 4, 7),
            by=coordinator,
        )
    with time_machine.travel(at(2026, 5, 4, 9), tick=False):
        services.examination_record_answer(
            request=health,
            status=ExaminationRequest.Status.STATEMENT_RECEIVED,
            answered_on=dt.date(2026, 5, 4),
            note="Utlåtande psykisk och fysisk hälsa.",
            by=coordinator,
        )
    health.refresh_from_db()
    teeth.refresh_from_db()
    assert (health.status, health.answered_on) == ("utlatande", dt.date(2026, 5, 4))
    assert (teeth.status, teeth.answered_on) == ("begard", None)


def test_an_agreement_health_examination_rule_is_met_when_both_statements_are_in(
    coordinator, placing_unit, placed_child, health_centre, dental
):
    norrbus = Agreement.objects.get(code="norrbus")
    factories.DeadlineRuleFactory(
        agreement=norrbus,
        kind=DeadlineRule.Kind.HEALTH_EXAMINATION,
        start_event=DeadlineRule.StartEvent.ACUTE_PLACEMENT_DECISION,
        amount=30,
        time_unit=DeadlineRule.TimeUnit.CALENDAR_DAYS,
        responsible=DeadlineRule.Responsible.PLACING_SOCIAL_SERVICES,
    )
    placement = register(coordinator, placing_unit, placed_child, on=dt.date(2026, 4, 2))
    with time_machine.travel(at(2026, 4, 20, 9), tick=False):
        requests = [
            services.examination_request(
                placement=placement,
                kind=kind,
                unit=unit,
                requested_on=dt.date(2026, 4, 7),
                by=coordinator,
            )
            for kind, unit in (("halsa", health_centre), ("tandvard", dental))
        ]
        services.examination_record_answer(
            request=requests[0],
            status="utlatande",
            answered_on=dt.date(2026, 4, 20),
            by=coordinator,
        )
        assert clock(placement, DeadlineRule.Kind.HEALTH_EXAMINATION).status == "open"
        services.examination_record_answer(
            request=requests[1], status="avbojd", answered_on=dt.date(2026, 4, 20), by=coordinator
        )
    assert clock(placement, DeadlineRule.Kind.HEALTH_EXAMINATION).status == "met"


def test_the_lvu_medical_examination_runs_four_weeks_owed_by_the_examining_health_care(vastmanland):
    v = vastmanland
    placement = register(
        v["coordinator"],
        v["social"],
        v["child"],
        on=dt.date(2026, 5, 4),
        legal_basis=Placement.LegalBasis.LVU_IMMEDIATE,
    )
    with time_machine.travel(at(2026, 5, 6, 9), tick=False):
        request = services.examination_request(
            placement=placement,
            kind=ExaminationRequest.Kind.LVU_MEDICAL,
            unit=v["bup"],
            requested_on=dt.date(2026, 5, 5),
            by=v["coordinator"],
        )
    deadline = clock(placement, DeadlineRule.Kind.LVU_MEDICAL)
    # 001: "senast inom 4 veckor" from the committee's decision on Tuesday 5 May: 2 June.
    assert deadline.due_at == at(2026, 6, 2, 23, 59, 59)
    assert (deadline.responsible_unit, deadline.responsible_user) == (v["bup"], None)
    with time_machine.travel(at(2026, 5, 20, 9), tick=False):
        with pytest.raises(ApplicationError, match="kan inte avböjas"):
            services.examination_record_answer(
                request=request,
                status=ExaminationRequest.Status.DECLINED,
                answered_on=dt.date(2026, 5, 20),
                by=v["coordinator"],
            )
        services.examination_record_answer(
            request=request,
            status=ExaminationRequest.Status.STATEMENT_RECEIVED,
            answered_on=dt.date(2026, 5, 19),
            by=v["coordinator"],
        )
    deadline.refresh_from_db()
    assert (deadline.status, deadline.met_at) == ("met", at(2026, 5, 19))


def test_an_lvu_examination_is_refused_for_a_voluntary_placement(
    easter_placement, coordinator, health_centre
):
    with (
        time_machine.travel(at(2026, 4, 7, 9), tick=False),
        pytest.raises(ApplicationError, match="bara vård enligt LVU"),
    ):
        services.examination_request(
            placement=easter_placement,
            kind=ExaminationRequest.Kind.LVU_MEDICAL,
            unit=health_centre,
            requested_on=dt.date(2026, 4, 7),
            by=coordinator,
        )


# --- end ------------------------------------------------------------------------------------------


def test_ending_cancels_the_joint_planning_clock_and_keeps_the_cost_split_clock(vastmanland):
    v = vastmanland
    norrbus_like = factories.DeadlineRuleFactory(
        agreement=Agreement.objects.get(code="vastmanland-barn-och-unga"),
        kind=DeadlineRule.Kind.COST_SPLIT_ACUTE,
        start_event=DeadlineRule.StartEvent.ACUTE_PLACEMENT_DECISION,
        amount=10,
    )
    placement = register(v["coordinator"], v["social"], v["child"], on=dt.date(2026, 5, 4))
    with time_machine.travel(at(2026, 5, 8, 9), tick=False):
        with pytest.raises(ApplicationError, match="varför"):
            services.placement_end(
                placement=placement, ended_on=dt.date(2026, 5, 8), reason=" ", by=v["coordinator"]
            )
        services.placement_end(
            placement=placement,
            ended_on=dt.date(2026, 5, 8),
            reason="Flyttar hem till vårdnadshavare.",
            by=v["coordinator"],
        )
    placement.refresh_from_db()
    assert placement.ended_on == dt.date(2026, 5, 8)
    assert clock(placement, DeadlineRule.Kind.JOINT_PLANNING_ACUTE).status == "cancelled"
    assert clock(placement, norrbus_like.kind).status == "open"

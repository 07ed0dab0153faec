"""Who reaches a case: grants to units' groups, consent scope, roles and active memberships."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from guardian.shortcuts import get_group_perms

from actors.models import Membership, Unit
from config.exceptions import ApplicationError
from sip import services
from sip.access.selectors import case_get_for_user, case_list_for_user, case_scope_for_user
from sip.models import Participant
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at, consent

pytestmark = pytest.mark.django_db


def perms(unit, case) -> set[str]:
    """What guardian says the unit's group may do with the case."""
    group = Unit.objects.get(pk=unit.pk).access_group
    return set(get_group_perms(group, case)) if group else set()


def sees(user, case) -> bool:
    """Whether the user sees the case; every form of the access filter must give one answer."""
    answers = {
        case_list_for_user(user=user).filter(pk=case.pk).exists(),
        case_list_for_user(user=user, among=[case.pk]).exists(),
        case_scope_for_user(user=user).filter(pk=case.pk).exists(),
        case_get_for_user(user=user, pk=case.pk) is not None,
    }
    assert len(answers) == 1, "the list, a page of ids, the bare scope and one case disagree"
    return answers.pop()


def viewer(case) -> tuple:
    return case.pk, case.viewer_unit_id, case.viewer_can_change, case.viewer_authorised


def may_change(user, case) -> bool:
    listed = case_list_for_user(user=user).get(pk=case.pk)
    alone = case_get_for_user(user=user, pk=case.pk)
    assert viewer(alone) == viewer(listed), "the case page and the list see the case differently"
    return listed.viewer_can_change


def test_opening_a_case_grants_it_to_the_convening_units_group(case, unit):
    assert perms(unit, case) == {"view_case", "change_case"}


def test_adding_a_participant_grants_its_unit_read_access(consented, bup, school):
    assert perms(bup, consented) == {"view_case"}
    assert perms(school, consented) == {"view_case"}


def test_the_grant_is_written_in_the_transaction_of_the_participant(case, coordinator, unit, bup):
    consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit, bup])
    with pytest.raises(RuntimeError), transaction.atomic():
        services.participant_add(case=case, unit=bup, by=coordinator)
        assert perms(bup, case) == {"view_case"}
        raise RuntimeError("the caller's transaction fails later")
    assert not case.participants.exists()
    assert perms(bup, case) == set()


def test_a_failing_grant_adds_no_participant(case, coordinator, unit, bup, monkeypatch):
    consent(case, coordinator, when=at(2026, 6, 12, 10), units=[unit, bup])

    def fail(**kwargs):
        raise RuntimeError("grant failed")

    monkeypatch.setattr("sip.services.case_access_sync", fail)
    with pytest.raises(RuntimeError):
        services.participant_add(case=case, unit=bup, by=coordinator)
    assert not case.participants.exists()


def test_removing_a_participant_revokes_its_units_access(consented, coordinator, bup):
    member = factories.MembershipFactory(unit=bup).user
    assert sees(member, consented)

    services.participant_remove(participant=consented.participants.get(unit=bup), by=coordinator)

    assert perms(bup, consented) == set()
    assert not sees(member, consented)
    assert Participant.history.filter(unit=bup, history_type="-").get().history_user == coordinator


def test_a_unit_taking_part_twice_keeps_access_until_its_last_participation_goes(
    consented, coordinator, bup
):
    services.participant_add(case=consented, unit=bup, person_name="Läkare", by=coordinator)
    first, second = consented.participants.filter(unit=bup)
    services.participant_remove(participant=first, by=coordinator)
    assert perms(bup, consented) == {"view_case"}
    services.participant_remove(participant=second, by=coordinator)
    assert perms(bup, consented) == set()


def test_an_invited_participant_stays_on_the_case(convened, coordinator, bup):
    participant = convened.case.participants.get(unit=bup)
    with pytest.raises(ApplicationError, match="kallats till ett möte"):
        services.participant_remove(participant=participant, by=coordinator)
    assert perms(bup, convened.case) == {"view_case"}


def test_removing_through_the_page_needs_the_right_to_change(client, consented, bup, manager):
    participant = consented.participants.get(unit=bup)
    url = reverse("sip:participant_remove", args=[consented.pk, participant.pk])
    with time_machine.travel(at(2026, 6, 13, 9), tick=False):
        login_verified(client, manager)
        assert client.post(url).status_code == 403
    assert consented.participants.filter(pk=participant.pk).exists()


def test_a_unit_the_consent_no_longer_covers_loses_sight_of_the_case(
    consented, coordinator, colleague, bup
):
    member = factories.MembershipFactory(unit=bup).user
    with time_machine.travel(at(2026, 6, 15, 9), tick=False):
        services.consent_withdraw(
            consent=consented.consents.get(),
            withdrawn_at=at(2026, 6, 15, 9),
            withdrawn_by="Maria Lindqvist",
            by=coordinator,
        )
    # The grant stays (it follows participation); the consent scope hides the case.
    assert perms(bup, consented) == {"view_case"}
    assert not sees(member, consented)
    # The convening unit keeps the case, to document the withdrawal and what follows.
    assert sees(coordinator, consented)
    assert sees(colleague, consented)


def test_an_expired_consent_covers_no_unit_after_its_last_day(case, coordinator, unit, bup):
    with time_machine.travel(at(2026, 6, 12, 10), tick=False):
        services.consent_record(
            case=case,
            given_at=at(2026, 6, 12, 10),
            units=[unit, bup],
            guardians=list(case.individual.guardians.all()),
            valid_until=dt.date(2026, 6, 30),
            by=coordinator,
        )
        services.participant_add(case=case, unit=bup, by=coordinator)
    member = factories.MembershipFactory(unit=bup).user
    with time_machine.travel(at(2026, 6, 30, 23, 59), tick=False):
        assert sees(member, case)
    with time_machine.travel(at(2026, 7, 1, 0, 1), tick=False):
        assert not sees(member, case)
        assert sees(coordinator, case)


def test_a_manager_follows_the_units_cases_but_does_not_change_them(case, coordinator, manager):
    assert sees(manager, case)
    assert not may_change(manager, case)
    assert may_change(coordinator, case)


def test_the_plans_lead_unit_may_change_the_case_while_it_holds_the_lead(
    held, coordinator, unit, bup
):
    case = held.case
    bup_coordinator = factories.MembershipFactory(unit=bup).user
    assert not may_change(bup_coordinator, case)

    def plan(lead_unit):
        services.plan_save(
            case=case,
            data=services.PlanData(
                needs="Stöd",
                lead_name="Lena",
                lead_unit=lead_unit,
                coordinator_name="Karin",
                coordinator_unit=unit,
            ),
            by=coordinator,
        )

    with time_machine.travel(at(2026, 6, 24, 10), tick=False):
        plan(bup)
    assert perms(bup, case) == {"view_case", "change_case"}
    assert may_change(bup_coordinator, case)
    with time_machine.travel(at(2026, 6, 25, 10), tick=False):
        plan(unit)
    assert perms(bup, case) == {"view_case"}
    assert not may_change(bup_coordinator, case)


def test_access_follows_the_active_membership_and_the_active_unit(
    case, coordinator, colleague, unit
):
    Membership.objects.filter(user=colleague).update(is_active=False)
    assert not sees(colleague, case)
    assert sees(coordinator, case)
    unit.is_active = False
    unit.save()
    assert not sees(coordinator, case)


def test_an_admin_reads_a_case_only_as_a_member_of_a_unit_that_has_it(case, admin_user, unit):
    assert not sees(admin_user, case)
    factories.MembershipFactory(user=admin_user, unit=unit)
    assert sees(admin_user, case)


def test_a_steering_group_member_sees_no_case_of_the_groups_units(case, unit):
    member = factories.UserFactory()
    group = factories.SteeringGroupFactory()
    group.members.add(member)
    group.units.add(unit)
    assert not sees(member, case)


def test_a_person_is_visible_through_a_visible_case_or_to_the_registering_unit(
    client, consented, child, outsider, bup
):
    member = factories.MembershipFactory(unit=bup).user
    url = reverse("sip:individual_detail", args=[child.pk])
    for user, status in ((member, 200), (outsider, 404)):
        with time_machine.travel(at(2026, 6, 13, 9), tick=False):
            login_verified(client, user)
            assert client.get(url).status_code == status
    child.registered_by_unit = outsider.memberships.get().unit
    child.save()
    with time_machine.travel(at(2026, 6, 13, 9), tick=False):
        login_verified(client, outsider)
        assert client.get(url).status_code == 200


def test_a_duplicate_number_links_to_the_person_only_for_those_who_may_see_them(
    client, child, coordinator, outsider, municipality
):
    link = reverse("sip:individual_detail", args=[child.pk])
    form = {
        "id_kind": "personnummer",
        "id_number": child.id_number,
        "first_name": "Astrid",
        "last_name": "Lindqvist",
        "gender": "female",
        "home_municipality": municipality.pk,
    }
    for user, linked in ((coordinator, True), (outsider, False)):
        login_verified(client, user)
        content = client.post(reverse("sip:individual_create"), form).content.decode()
        assert "Det finns redan en person registrerad" in content
        assert (link in content) is linked

"""The plan editor: intervention rows edited in place with htmx, then saved as one version."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sip import services
from sip.models import Case, LeadAssignment
from tests.helpers import login_verified
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 24, 10)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def logged_in(client, coordinator):
    with time_machine.travel(NOW, tick=False):
        login_verified(client, coordinator)
        yield client


def row(key, unit, **overrides):
    data = {
        "description": "KBT",
        "unit": unit.pk,
        "performer": "Psykolog",
        "scope": "Varje vecka",
        "starts_on": "2026-07-01",
        "ends_on": "",
        "follow_up": "Vid uppföljningsmötet",
    } | overrides
    return {"insats": key} | {f"insats-{key}-{name}": value for name, value in data.items()}


def plan_fields(unit, **overrides):
    return {
        "needs": "Stöd i skolan",
        "lead_name": "Karin Ek",
        "lead_unit": unit.pk,
        "coordinator_name": "Karin Ek",
        "coordinator_unit": unit.pk,
    } | overrides


def test_adding_a_row_returns_an_empty_intervention_form_with_a_fresh_key(logged_in, held):
    response = logged_in.get(reverse("sip:plan_row", args=[held.case.pk, "insats"]), headers=HTMX)

    key = response.context["row"].key
    content = response.content.decode()
    assert f'id="row-insats-{key}"' in content
    assert f'name="insats-{key}-description"' in content
    assert "autofocus" in content


def test_a_finished_row_is_checked_and_shown_settled_with_hidden_values(logged_in, held, bup):
    response = logged_in.post(
        reverse("sip:plan_row", args=[held.case.pk, "insats"]),
        row("ab12", bup) | {"key": "ab12", "action": "done"},
        headers=HTMX,
    )

    content = response.content.decode()
    assert response.context["row"].form is None
    assert f'type="hidden" name="insats-ab12-unit" value="{bup.pk}"' in content
    assert 'id="row-insats-ab12-edit"' in content
    assert bup.name in content


def test_an_incomplete_row_stays_open_with_swedish_errors_and_the_typed_text(logged_in, held, bup):
    response = logged_in.post(
        reverse("sip:plan_row", args=[held.case.pk, "insats"]),
        row("ab12", bup, performer="", starts_on="igår") | {"key": "ab12", "action": "done"},
        headers=HTMX,
    )

    content = response.content.decode()
    assert "Detta fält måste fyllas i." in content
    assert "Fyll i ett giltigt datum." in content
    assert 'value="KBT"' in content
    assert 'aria-invalid="true"' in content


def test_reopening_a_settled_row_shows_its_values_without_errors(logged_in, held, bup):
    response = logged_in.post(
        reverse("sip:plan_row", args=[held.case.pk, "insats"]),
        row("ab12", bup) | {"key": "ab12", "action": "edit"},
        headers=HTMX,
    )

    content = response.content.decode()
    assert 'value="Psykolog"' in content
    assert "is-invalid" not in content


def test_a_row_with_a_bad_key_or_kind_is_refused(logged_in, held, bup):
    url = reverse("sip:plan_row", args=[held.case.pk, "insats"])

    assert logged_in.post(url, {"key": "<script>"}).status_code == 400
    assert logged_in.get(reverse("sip:plan_row", args=[held.case.pk, "annat"])).status_code == 404


def test_saving_takes_every_row_and_names_the_huvudansvarig(logged_in, held, unit, bup, school):
    data = plan_fields(unit, lead_name="Britt BUP", lead_unit=bup.pk)
    data |= row("a1", bup)
    data |= {
        "insats": ["a1", "b2", "c3"],
        **{
            k: v
            for k, v in row("b2", school, description="Anpassad studiegång").items()
            if k != "insats"
        },
        "ingen": "x9",
        "ingen-x9-unit": unit.pk,
        "ingen-x9-reason": "Inga behov hos socialtjänsten just nu.",
    }

    response = logged_in.post(reverse("sip:plan_edit", args=[held.case.pk]), data)

    assert response.status_code == 302
    plan = held.case.plans.get()
    assert [i.description for i in plan.interventions.all()] == ["KBT", "Anpassad studiegång"]
    assert plan.no_interventions.get().unit == unit
    assert LeadAssignment.objects.get(case=held.case).name == "Britt BUP"
    held.case.refresh_from_db()
    assert held.case.status == Case.Status.PLAN


def test_a_refused_plan_keeps_the_rows_and_says_why(logged_in, held, unit, school):
    data = plan_fields(unit, coordinator_unit=school.pk, coordinator_name="Rektor Berg")
    data |= row("a1", school)

    response = logged_in.post(reverse("sip:plan_edit", args=[held.case.pk]), data)

    content = response.content.decode()
    assert "Ange då en planansvarig därifrån" in content
    assert 'name="insats-a1-description" value="KBT"' in content
    assert not held.case.plans.exists()


def test_a_new_version_starts_from_the_current_plans_rows(logged_in, held, unit, bup):
    logged_in.post(
        reverse("sip:plan_edit", args=[held.case.pk]), plan_fields(unit) | row("a1", bup)
    )

    response = logged_in.get(reverse("sip:plan_edit", args=[held.case.pk]))

    [settled] = response.context["rows"]["insats"]
    assert settled.values["description"] == "KBT"
    assert response.context["form"].initial["lead_name"] == "Karin Ek"
    assert 'id="plan-pdf"' in response.content.decode()


def test_the_names_to_suggest_are_the_named_participants_and_the_handlaggare(
    logged_in, held, coordinator
):
    response = logged_in.get(reverse("sip:plan_edit", args=[held.case.pk]))

    assert response.context["people"] == sorted({"Rektor Berg", str(coordinator)})
    assert 'list="plan-people"' in response.content.decode()


def test_the_plan_editor_is_for_the_owner_and_colleague_only(
    client, coordinator, colleague, outsider, held
):
    with time_machine.travel(NOW, tick=False):
        for user, status in ((coordinator, 200), (colleague, 200), (outsider, 404)):
            login_verified(client, user)
            assert client.get(reverse("sip:plan_edit", args=[held.case.pk])).status_code == status
            url = reverse("sip:plan_row", args=[held.case.pk, "insats"])
            assert client.get(url).status_code == status


def save_plan_with(case, unit, bup, *, interventions, by):
    with time_machine.travel(NOW, tick=False):
        services.plan_save(
            case=case,
            data=services.PlanData(
                needs="Stöd",
                lead_name="Karin Ek",
                lead_unit=unit,
                coordinator_name="Karin Ek",
                coordinator_unit=unit,
                interventions=[
                    services.InterventionData(
                        description=f"Insats {n}",
                        unit=bup,
                        performer="Psykolog",
                        scope="Varje vecka",
                        starts_on=NOW.date(),
                        follow_up="Vid uppföljning",
                    )
                    for n in range(interventions)
                ],
            ),
            by=by,
        )


def test_the_plan_editor_runs_the_same_queries_for_10_and_200_interventions(
    logged_in, held, unit, bup, coordinator, django_assert_max_num_queries
):
    counts = []
    for total in (10, 200):
        save_plan_with(held.case, unit, bup, interventions=total, by=coordinator)
        with django_assert_max_num_queries(22), CaptureQueriesContext(connection) as queries:
            response = logged_in.get(reverse("sip:plan_edit", args=[held.case.pk]))
        assert len(response.context["rows"]["insats"]) == total
        counts.append(len(queries))

    assert counts[0] == counts[1]

import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import F

from actors.models import Membership, Unit
from deadlines.models import Deadline, Notification
from deadlines.services import deadline_sweep
from sip.access.selectors import case_list_for_user
from sip.management.commands.generate_scale_data import SCALES
from sip.models import (
    Case,
    CaseGroupObjectPermission,
    Consent,
    DeviationReport,
    Individual,
    Meeting,
    Participant,
    Plan,
)
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db

NOW = at(2026, 5, 20, 12, 0)
TINY = SCALES["tiny"]


@pytest.fixture
def generated(tmp_path):
    stats = tmp_path / "stats.json"
    with time_machine.travel(NOW, tick=False):
        call_command(
            "generate_scale_data", scale="tiny", stats_file=str(stats), stdout=io.StringIO()
        )
    return json.loads(stats.read_text())


def test_the_tiny_scale_writes_the_requested_counts(generated):
    assert Unit.objects.count() == TINY.units
    assert Membership.objects.count() == TINY.professionals
    assert Individual.objects.count() == TINY.individuals
    assert Case.objects.count() == TINY.cases
    assert Deadline.objects.count() == TINY.deadlines
    assert generated["counts"]["deadlines"] == TINY.deadlines
    assert DeviationReport.objects.count() == TINY.deviations
    assert generated["scale"] == "tiny"
    assert generated["peak_rss_mb"] > 0


def test_the_deadline_states_are_mixed_in_the_stated_shares(generated):
    def count(**filters) -> int:
        return Deadline.objects.filter(**filters).count()

    assert count(status="open", due_at__lt=NOW) == round(TINY.deadlines * 0.03)
    assert count(status="open", due_at__gte=NOW) == round(TINY.deadlines * 0.05)
    assert count(status="breached") == round(TINY.deadlines * 0.02)
    assert count(status="waived") > 0
    assert count(status="cancelled") > 0
    late = count(status="met", met_at__gt=F("due_at"))
    assert 0 < late < count(status="met") / 2
    assert count(status="met", met_at__isnull=True) == 0


def test_every_stage_gets_the_rows_it_implies(generated):
    with_consent = Case.objects.exclude(status__in=["behov", "samtycke_nekat"])
    assert Consent.objects.count() == with_consent.count()
    assert Participant.objects.count() == 3 * with_consent.count()
    assert Meeting.objects.filter(status="planerat", case__status="kallad").exists()
    assert not Meeting.objects.exclude(case__in=with_consent).exists()
    assert set(Plan.objects.values_list("case__status", flat=True).distinct()) <= {
        "plan",
        "uppfoljning",
        "avslutad",
    }
    assert Case.objects.filter(status="behov").exists()


def test_the_sweep_breaches_exactly_the_open_overdue_deadlines_and_notifies(generated):
    overdue = set(
        Deadline.objects.filter(status="open", due_at__lt=NOW).values_list("pk", flat=True)
    )
    result = deadline_sweep(now=NOW, send_email=False)
    assert set(result.breached_ids) == overdue
    assert Notification.objects.filter(kind="breach").count() >= len(overdue)
    assert result.reminded_ids


def test_it_refuses_a_database_that_already_holds_data(generated, tmp_path):
    with pytest.raises(CommandError, match="already holds"):
        call_command(
            "generate_scale_data",
            scale="tiny",
            stats_file=str(tmp_path / "again.json"),
            stdout=io.StringIO(),
        )
    assert Case.objects.count() == TINY.cases


def test_every_unit_has_its_access_group_and_every_case_its_grants(generated):
    assert not Unit.objects.filter(access_group=None).exists()
    with_consent = Case.objects.exclude(status__in=["behov", "samtycke_nekat"]).count()
    without = TINY.cases - with_consent
    # change + view for the convening unit; view for the two other participating units.
    assert CaseGroupObjectPermission.objects.count() == 4 * with_consent + 2 * without
    assert (
        CaseGroupObjectPermission.objects.filter(
            permission__codename="change_case", group__unit=F("content_object__convening_unit")
        ).count()
        == TINY.cases
    )


def test_a_generated_coordinator_sees_his_cases_and_may_change_them(generated):
    case = Case.objects.select_related("coordinator").order_by("pk").first()
    visible = case_list_for_user(user=case.coordinator)
    own = set(Case.objects.filter(coordinator=case.coordinator).values_list("pk", flat=True))
    assert own <= set(visible.values_list("pk", flat=True))
    assert visible.get(pk=case.pk).viewer_can_change


def test_a_participating_unit_sees_the_case_its_consent_covers(generated):
    participant = Participant.objects.exclude(unit=F("case__convening_unit")).first()
    member = Membership.objects.filter(unit=participant.unit).first().user
    seen = case_list_for_user(user=member).get(pk=participant.case_id)
    assert not seen.viewer_can_change


def test_deviation_reports_come_in_a_mix_of_statuses_and_concern_the_convening_unit(generated):
    statuses = set(DeviationReport.objects.values_list("status", flat=True))
    assert {"utkast", "registrerad", "eskalerad", "avslutad"} <= statuses
    assert len(set(DeviationReport.objects.values_list("category", flat=True))) > 3
    assert not DeviationReport.objects.filter(status="eskalerad", level=None).exists()
    assert not DeviationReport.objects.exclude(concerned_units=F("case__convening_unit")).exists()

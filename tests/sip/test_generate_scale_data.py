import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import F

from actors.models import Membership, Unit
from deadlines.models import Deadline, Notification
from deadlines.services import deadline_sweep
from sip.management.commands.generate_scale_data import SCALES
from sip.models import Case, Consent, Individual, Meeting, Participant, Plan
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

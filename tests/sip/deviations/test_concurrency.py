"""Two draft runs at once on PostgreSQL, each on its own connection, make one draft per breach."""

import threading

import pytest
from django.db import connection

from deadlines.models import Deadline
from sip.deviations.models import DeviationEntry, DeviationReport
from sip.deviations.services import deviation_drafts_from_breaches
from tests import factories
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db(transaction=True)

NOW = at(2026, 6, 23, 0, 5)
ROWS = 30


def test_two_draft_runs_at_once_make_exactly_one_draft_per_breach():
    rule = factories.DeadlineRuleFactory()
    for case in factories.CaseFactory.create_batch(ROWS, agreement=rule.agreement):
        factories.DeadlineFactory(
            subject=case, rule=rule, status=Deadline.Status.BREACHED, breached_at=NOW
        )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(deviation_drafts_from_breaches(now=NOW))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    first, second = results
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(DeviationReport.objects.values_list("pk", flat=True))
    assert DeviationReport.objects.count() == ROWS
    assert DeviationEntry.objects.count() == ROWS
    assert DeviationReport.concerned_units.through.objects.count() == ROWS

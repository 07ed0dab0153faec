import pytest
import time_machine

from config.exceptions import ApplicationError
from deadlines.models import Deadline
from deadlines.services import deadline_open, deadline_sweep
from deadlines.signals import sweep_finished
from tests import factories
from tests.deadlines.conftest import local

pytestmark = pytest.mark.django_db


def test_the_sweep_tells_receivers_what_it_breached_and_survives_a_failing_one(caplog):
    deadline = factories.DeadlineFactory(due_at=local(2026, 4, 13, 23, 59, 59))
    heard = []

    def listener(sender, *, result, now, **kwargs):
        heard.append((result.breached_ids, now))

    def broken(sender, **kwargs):
        raise RuntimeError("receiver down")

    sweep_finished.connect(listener, dispatch_uid="test-listener")
    sweep_finished.connect(broken, dispatch_uid="test-broken")
    try:
        with time_machine.travel(local(2026, 4, 14, 0, 0), tick=False):
            result = deadline_sweep(send_email=False)
    finally:
        sweep_finished.disconnect(dispatch_uid="test-listener")
        sweep_finished.disconnect(dispatch_uid="test-broken")

    assert heard == [([deadline.pk], local(2026, 4, 14, 0, 0))]
    assert result.breached_ids == [deadline.pk]
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.BREACHED
    assert "receiver down" in caplog.text


def test_a_subject_may_set_its_own_length_in_working_days(rule, unit):
    started = local(2026, 4, 2, 10, 0)  # Thursday before Easter
    with time_machine.travel(started, tick=False):
        deadline = deadline_open(
            rule=rule, started_at=started, subject=unit, responsible_unit=unit, working_days=2
        )
        # Good Friday and Easter Monday are closed: Tuesday 7 and Wednesday 8 April.
        assert deadline.due_at == local(2026, 4, 8, 23, 59, 59)
        with pytest.raises(ApplicationError, match="minst en arbetsdag"):
            deadline_open(
                rule=rule,
                started_at=started,
                subject=factories.UnitFactory(),
                responsible_unit=unit,
                working_days=0,
            )

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django_celery_beat.models import PeriodicTask

from config import celery_app
from deadlines.models import Deadline
from deadlines.tasks import sweep_deadlines
from tests import factories
from tests.deadlines.conftest import local


@pytest.mark.django_db
def test_the_sweep_task_returns_what_it_changed():
    deadline = factories.DeadlineFactory(due_at=local(2026, 4, 13, 23, 59, 59))
    with time_machine.travel(local(2026, 4, 14, 0, 0), tick=False):
        assert sweep_deadlines() == {"breached": 1, "reminded": 0, "escalated": 0}
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.BREACHED


@pytest.mark.django_db
def test_the_sweep_is_scheduled_every_five_minutes_in_the_database():
    task = PeriodicTask.objects.get(name="Fristsvep")
    assert task.task == "deadlines.tasks.sweep_deadlines"
    assert (task.interval.every, task.interval.period) == (5, "minutes")
    assert task.enabled


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_breaches_an_overdue_deadline_through_the_broker(redis_url, monkeypatch):
    # The test settings run tasks in-process; this test is about the trip through the broker.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    deadline = factories.DeadlineFactory(due_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    queue = f"test-deadlines-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": redis_url,
        "REDIS_URL": redis_url,
    }
    root = Path(settings.BASE_DIR)
    worker = subprocess.Popen(  # noqa: S603 - fixed arguments, our own venv
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        sweep_deadlines.apply_async(queue=queue)
        limit = time.monotonic() + 60
        while time.monotonic() < limit:
            deadline.refresh_from_db()
            if deadline.status == Deadline.Status.BREACHED:
                break
            assert worker.poll() is None, worker.stderr.read().decode()
            time.sleep(0.5)
        assert deadline.status == Deadline.Status.BREACHED
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

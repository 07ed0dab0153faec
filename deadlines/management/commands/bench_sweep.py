"""Benchmark: the claiming sweep against the plainest possible single UPDATE (not a test)."""

import datetime as dt
import io
import resource
import time

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from actors.models import Huvudman, Membership, Unit, User
from agreements.models import Agreement, DeadlineRule
from deadlines.services import deadline_sweep

BENCH_KEY = "bench-sweep"


class Command(BaseCommand):
    help = "Time deadline_sweep on N open deadlines (5 % overdue) against one bare UPDATE."

    def add_arguments(self, parser):
        parser.add_argument("--deadlines", type=int, default=100_000)

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_sweep needs PostgreSQL (it loads rows with COPY).")
        n = options["deadlines"]
        now = timezone.now()
        rule, unit, manager = self._fixtures()
        try:
            started = time.perf_counter()
            self._load(n=n, now=now, rule=rule, unit=unit)
            self.stdout.write(f"generated {n} deadlines in {time.perf_counter() - started:.2f} s")

            started = time.perf_counter()
            # E-mail off: the benchmark measures claims, history and notifications, not SMTP.
            result = deadline_sweep(now=now, send_email=False)
            sweep_seconds = time.perf_counter() - started
            breached = len(result.breached_ids)

            self._reset(unit=unit)
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE deadlines_deadline SET status = 'breached', breached_at = now() "
                    "WHERE status = 'open' AND due_at < %s",
                    [now],
                )
                bare = cursor.rowcount
            bare_seconds = time.perf_counter() - started

            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stdout.write(f"deadline_sweep: {sweep_seconds:.3f} s, breached {breached}")
            self.stdout.write(f"single UPDATE : {bare_seconds:.3f} s, breached {bare}")
            self.stdout.write(f"ratio         : {sweep_seconds / bare_seconds:.1f}x")
            self.stdout.write(f"peak RSS      : {peak_mb:.0f} MB")
        finally:
            self._clean(rule=rule, unit=unit, manager=manager)

    def _fixtures(self) -> tuple[DeadlineRule, Unit, User]:
        with transaction.atomic():
            huvudman = Huvudman.objects.create(
                name="Benchmark",
                kind=Huvudman.Kind.KOMMUN,
                county="25",
                organisationsnummer="212999-9999",
            )
            unit = Unit.objects.create(
                key=BENCH_KEY, huvudman=huvudman, name="Benchmark", kind=Unit.Kind.SOCIAL_IFO
            )
            manager = User.objects.create(username=BENCH_KEY, email="bench@example.se")
            Membership.objects.create(user=manager, unit=unit, role=Membership.Role.MANAGER)
            agreement = Agreement.objects.create(
                code=BENCH_KEY,
                name="Benchmark",
                county="25",
                target_group="barn",
                valid_from=dt.date(2020, 1, 1),
                source_document="bench",
            )
            rule = DeadlineRule.objects.create(
                agreement=agreement,
                kind=DeadlineRule.Kind.KALLELSE,
                start_event=DeadlineRule.StartEvent.CONSENT_GIVEN,
                amount=5,
                time_unit=DeadlineRule.TimeUnit.WORKING_DAYS,
                responsible=DeadlineRule.Responsible.CONVENING_UNIT,
                source_section="bench",
            )
        return rule, unit, manager

    def _load(self, *, n: int, now: dt.datetime, rule: DeadlineRule, unit: Unit) -> None:
        """COPY N rows in one stream; every 20th is an hour overdue, the rest due in a week.

        Each row has its own (fake) subject id so the one-unresolved-per-subject rule holds.
        """
        content_type = ContentType.objects.get_for_model(Unit)
        overdue, upcoming = (
            (now - dt.timedelta(hours=1)).isoformat(),
            (now + dt.timedelta(days=7)).isoformat(),
        )
        started, created = (now - dt.timedelta(days=7)).isoformat(), now.isoformat()
        buffer = io.StringIO()
        for i in range(n):
            due = overdue if i % 20 == 0 else upcoming
            buffer.write(
                f"{content_type.pk}\t{i + 1}\t{rule.pk}\tkallelse\t{started}\t{due}\topen\t\t"
                f"{unit.pk}\t0\t0\t{created}\n"
            )
        buffer.seek(0)
        columns = (
            "content_type_id, object_id, rule_id, kind, started_at, due_at, status, reason, "
            "responsible_unit_id, escalation_level, reminders_sent, created_at"
        )
        sql = f"COPY deadlines_deadline ({columns}) FROM STDIN"
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            copy.write(buffer.getvalue())
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE deadlines_deadline")

    def _reset(self, *, unit: Unit) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM deadlines_notification WHERE deadline_id IN "
                "(SELECT id FROM deadlines_deadline WHERE responsible_unit_id = %s)",
                [unit.pk],
            )
            cursor.execute(
                "UPDATE deadlines_deadline SET status = 'open', breached_at = NULL "
                "WHERE responsible_unit_id = %s",
                [unit.pk],
            )

    def _clean(self, *, rule: DeadlineRule, unit: Unit, manager: User) -> None:
        """Delete in SQL: Django's delete() would load every row to follow the cascades."""
        self._reset(unit=unit)
        with transaction.atomic():
            with connection.cursor() as cursor:
                for table in ("deadlines_historicaldeadline", "deadlines_deadline"):
                    cursor.execute(
                        f"DELETE FROM {table} WHERE responsible_unit_id = %s",  # noqa: S608
                        [unit.pk],
                    )
            agreement = rule.agreement
            rule.delete()
            agreement.delete()
            Membership.objects.filter(unit=unit).delete()
            huvudman = unit.huvudman
            unit.delete()
            huvudman.delete()
            manager.delete()

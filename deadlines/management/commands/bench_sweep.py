"""Benchmark: the claiming sweep against the plainest possible single UPDATE (not a test).

Two modes. By default it loads N synthetic open deadlines, sweeps them and deletes them again.
With --existing it measures the deadlines already in the database (e.g. generate_scale_data's)
and rolls every change back, so the data stays as it was and the run can be repeated.
"""

import datetime as dt
import json
import resource
import time

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from actors.models import Huvudman, Membership, Unit, User
from agreements.models import Agreement, DeadlineRule
from deadlines.models import Deadline, Notification
from deadlines.services import deadline_sweep

BENCH_KEY = "bench-sweep"
# The plainest statement that does the sweep's core job: the floor the sweep is compared with.
BARE_UPDATE = (
    "UPDATE deadlines_deadline SET status = 'breached', breached_at = now() "
    "WHERE status = 'open' AND due_at < %s"
)
# Rows per COPY write: loading stays within a few MB, so peak RSS is the sweep's own.
_LOAD_CHUNK = 10_000


class Command(BaseCommand):
    help = "Time deadline_sweep against one bare UPDATE, on synthetic or existing deadlines."

    def add_arguments(self, parser):
        parser.add_argument("--deadlines", type=int, default=100_000)
        parser.add_argument(
            "--existing",
            action="store_true",
            help="Measure the deadlines already in the database; roll every change back.",
        )
        parser.add_argument(
            "--repeat", type=int, default=2, help="With --existing: runs of each, best counts."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON line only.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_sweep needs PostgreSQL (it loads rows with COPY).")
        now = timezone.now()
        if options["existing"]:
            figures = self._existing(now=now, repeat=max(1, options["repeat"]))
        else:
            figures = self._synthetic(now=now, n=options["deadlines"])
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        if options["json"]:
            self.stdout.write(json.dumps(figures))
            return
        self.stdout.write(
            f"deadline_sweep: {figures['sweep_s']:.3f} s, breached {figures['breached']}"
        )
        self.stdout.write(
            f"single UPDATE : {figures['update_s']:.3f} s, breached {figures['updated']}"
        )
        self.stdout.write(f"ratio         : {figures['sweep_s'] / figures['update_s']:.2f}x")
        self.stdout.write(f"peak RSS      : {figures['peak_rss_mb']} MB")

    # --- existing data: every run in a transaction that is rolled back ---------------------------

    def _existing(self, *, now: dt.datetime, repeat: int) -> dict:
        """Alternate bare UPDATE and sweep `repeat` times each and keep the best of each.

        Foreign keys are checked immediately so the sweep's deferred checks, which would
        otherwise run at a COMMIT that never comes, are part of what is timed.
        """
        open_count = Deadline.objects.filter(status=Deadline.Status.OPEN).count()
        sweeps, updates = [], []
        for _ in range(repeat):
            self._vacuum()
            with transaction.atomic():
                started = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(BARE_UPDATE, [now])
                    updated = cursor.rowcount
                updates.append(time.perf_counter() - started)
                transaction.set_rollback(True)
            self._vacuum()
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                started = time.perf_counter()
                result = deadline_sweep(now=now, send_email=False)
                sweeps.append(time.perf_counter() - started)
                transaction.set_rollback(True)
        return {
            "open": open_count,
            "sweep_s": min(sweeps),
            "breached": len(result.breached_ids),
            "reminded": len(result.reminded_ids),
            "escalated": len(result.escalated_ids),
            "update_s": min(updates),
            "updated": updated,
        }

    def _vacuum(self) -> None:
        """Start each timed run from the same clean tables, as autovacuum would leave them.

        A rolled-back UPDATE leaves a dead version of every row it touched and clears those
        pages' all-visible bits, so the run after it (always the sweep, right after the bare
        UPDATE) would read past 60,000 dead rows and lose its index-only scans: a bias against
        whichever runs second, and against every repetition but the first.
        """
        # VACUUM cannot run inside a transaction (a caller's, or a test's).
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return
        tables = (Deadline, Deadline.history.model, Notification)
        names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {names}")

    # --- synthetic data: loaded, swept with commits, deleted --------------------------------------

    def _synthetic(self, *, now: dt.datetime, n: int) -> dict:
        rule, unit, manager = self._fixtures()
        try:
            started = time.perf_counter()
            self._load(n=n, now=now, rule=rule, unit=unit)
            loaded = time.perf_counter() - started

            started = time.perf_counter()
            # E-mail off: the benchmark measures claims, history and notifications, not SMTP.
            result = deadline_sweep(now=now, send_email=False)
            sweep_seconds = time.perf_counter() - started

            self._reset(unit=unit)
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(BARE_UPDATE, [now])
                updated = cursor.rowcount
            return {
                "open": n,
                "load_s": loaded,
                "sweep_s": sweep_seconds,
                "breached": len(result.breached_ids),
                "update_s": time.perf_counter() - started,
                "updated": updated,
            }
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
        columns = (
            "content_type_id, object_id, rule_id, kind, started_at, due_at, status, reason, "
            "responsible_unit_id, escalation_level, reminders_sent, created_at"
        )
        sql = f"COPY deadlines_deadline ({columns}) FROM STDIN"
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for start in range(0, n, _LOAD_CHUNK):
                copy.write(
                    "".join(
                        f"{content_type.pk}\t{i + 1}\t{rule.pk}\tkallelse\t{started}\t"
                        f"{overdue if i % 20 == 0 else upcoming}\topen\t\t{unit.pk}\t0\t0\t"
                        f"{created}\n"
                        for i in range(start, min(start + _LOAD_CHUNK, n))
                    )
                )
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

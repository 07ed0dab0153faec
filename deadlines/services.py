"""Every write to deadlines: opening and closing them, and the periodic sweep."""

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Membership, SteeringGroup, Unit, User
from agreements.models import ClosedDay, DeadlineRule, EscalationLevel
from config.exceptions import ApplicationError
from deadlines import calendar, emails, signals
from deadlines.models import Deadline, Notification

logger = logging.getLogger(__name__)

# Keeps every IN (...) list well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 5000


@dataclass
class SweepResult:
    breached_ids: list[int] = field(default_factory=list)
    reminded_ids: list[int] = field(default_factory=list)
    escalated_ids: list[int] = field(default_factory=list)


# --- opening and closing ----------------------------------------------------------------------


def deadline_open(
    *,
    rule: DeadlineRule,
    started_at: dt.datetime,
    subject: models.Model,
    responsible_unit: Unit | None = None,
    responsible_user: User | None = None,
    by: User | None = None,
    working_days: int | None = None,
) -> Deadline:
    """Start a rule's clock on a subject.

    `working_days`, when given, replaces the rule's own length with that many working days: the
    subject carries a more specific length than the rule (e.g. an escalation level's reply time).

    1. Refuse a naive start time, a deadline nobody answers for, and a second unresolved deadline
       of the same kind on the same subject.
    2. Compute due_at and the first reminder and escalation moments here, in Python, so the
       sweep needs nothing but SQL comparisons.
    """
    if timezone.is_naive(started_at):
        raise ApplicationError(_("Fristens starttid måste ange tidszon."))
    if responsible_unit is None and responsible_user is None:
        raise ApplicationError(_("En frist måste ha en ansvarig verksamhet eller person."))
    if working_days is not None and working_days < 1:
        raise ApplicationError(_("Fristen måste vara minst en arbetsdag."))
    time_unit, amount = (
        (rule.time_unit, rule.amount)
        if working_days is None
        else (DeadlineRule.TimeUnit.WORKING_DAYS, working_days)
    )
    content_type = ContentType.objects.get_for_model(subject)
    with transaction.atomic():
        already = Deadline.objects.select_for_update().filter(
            content_type=content_type,
            object_id=subject.pk,
            kind=rule.kind,
            status__in=Deadline.UNRESOLVED,
        )
        if already.exists():
            raise ApplicationError(
                _("Det finns redan en öppen frist av typen %(kind)s för ärendet.")
                % {"kind": rule.get_kind_display()}
            )
        extra_closed = calendar.agreement_closed_days(rule.agreement_id)
        due = calendar.due_at_for(
            time_unit=time_unit,
            amount=amount,
            started_at=started_at,
            extra_closed=extra_closed if time_unit == DeadlineRule.TimeUnit.WORKING_DAYS else (),
        )
        ladder_length = EscalationLevel.objects.filter(agreement_id=rule.agreement_id).count()
        deadline = Deadline(
            content_type=content_type,
            object_id=subject.pk,
            rule=rule,
            kind=rule.kind,
            started_at=started_at,
            due_at=due,
            responsible_unit=responsible_unit,
            responsible_user=responsible_user,
            next_reminder_at=_next_reminder(
                rule=rule, due=due, after=max(started_at, timezone.now()), extra_closed=extra_closed
            ),
            next_escalation_at=_escalation_at(
                due=due,
                level_reached=0,
                escalate_after=rule.escalate_after,
                ladder_length=ladder_length,
                extra_closed=extra_closed,
            ),
        )
        deadline._history_user = by
        deadline.save()
    return deadline


def deadline_meet(
    *, deadline: Deadline, met_at: dt.datetime | None = None, by: User | None = None
) -> Deadline:
    """Record that what the deadline asked for was done; after due_at it counts as met late."""
    met_at = met_at or timezone.now()
    if timezone.is_naive(met_at):
        raise ApplicationError(_("Tidpunkten måste ange tidszon."))
    with transaction.atomic():
        deadline = _lock_unresolved(deadline)
        deadline.status = Deadline.Status.MET
        deadline.met_at = met_at
        _close(deadline, by=by)
    return deadline


def deadline_waive(*, deadline: Deadline, reason: str, by: User) -> Deadline:
    return _close_with_reason(
        deadline,
        status=Deadline.Status.WAIVED,
        reason=reason,
        missing_reason=_("Ange ett skäl för att efterskänka fristen."),
        by=by,
    )


def deadline_cancel(*, deadline: Deadline, reason: str, by: User | None = None) -> Deadline:
    return _close_with_reason(
        deadline,
        status=Deadline.Status.CANCELLED,
        reason=reason,
        missing_reason=_("Ange ett skäl för att makulera fristen."),
        by=by,
    )


def _close_with_reason(
    deadline: Deadline, *, status: str, reason: str, missing_reason: str, by: User | None
) -> Deadline:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(missing_reason)
    with transaction.atomic():
        deadline = _lock_unresolved(deadline)
        deadline.status = status
        deadline.reason = reason
        _close(deadline, by=by)
    return deadline


def deadline_cancel_open_for_subject(
    *, subject: models.Model, reason: str, by: User | None = None
) -> int:
    """Cancel every unresolved (open or breached) deadline of a subject; returns how many.

    Met, waived and already cancelled deadlines keep their outcome.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Ange ett skäl för att makulera fristerna."))
    content_type = ContentType.objects.get_for_model(subject)
    with transaction.atomic():
        ids = _claim(
            set_sql="status = %s, reason = %s, next_reminder_at = NULL, next_escalation_at = NULL",
            set_params=[Deadline.Status.CANCELLED, reason],
            where_sql="content_type_id = %s AND object_id = %s AND status IN (%s, %s)",
            where_params=[
                content_type.pk,
                subject.pk,
                Deadline.Status.OPEN,
                Deadline.Status.BREACHED,
            ],
        )
        _record_history(ids, reason=reason, user_id=by.pk if by else None)
    return len(ids)


def _lock_unresolved(deadline: Deadline) -> Deadline:
    """Re-read the row under a lock so a user's action and the sweep never interleave."""
    locked = Deadline.objects.select_for_update().get(pk=deadline.pk)
    if locked.status not in Deadline.UNRESOLVED:
        raise ApplicationError(
            _("Fristen är redan avslutad (%(status)s).") % {"status": locked.get_status_display()}
        )
    return locked


def _close(deadline: Deadline, *, by: User | None) -> None:
    # A closed deadline leaves the sweep's partial indexes: nothing left to remind or escalate.
    deadline.next_reminder_at = None
    deadline.next_escalation_at = None
    deadline._history_user = by
    deadline.save()


# --- schedule computations (calendar arithmetic stays in deadlines.calendar) ------------------


def _next_reminder(
    *,
    rule: DeadlineRule,
    due: dt.datetime,
    after: dt.datetime,
    extra_closed: frozenset[dt.date],
) -> dt.datetime | None:
    moments = _reminder_moments(
        rule.time_unit, tuple(rule.reminder_offsets or ()), due, frozenset(extra_closed)
    )
    return next((m for m in moments if after < m < due), None)


@lru_cache(maxsize=1024)
def _reminder_moments(
    time_unit: str, offsets: tuple[int, ...], due: dt.datetime, extra_closed: frozenset[dt.date]
) -> tuple[dt.datetime, ...]:
    return tuple(
        calendar.reminder_moments(
            time_unit=time_unit, offsets=offsets, due=due, extra_closed=extra_closed
        )
    )


def _escalation_at(
    *,
    due: dt.datetime,
    level_reached: int,
    escalate_after: int | None,
    ladder_length: int,
    extra_closed: frozenset[dt.date],
) -> dt.datetime | None:
    """When the next step up the ladder is due: one `escalate_after` interval per level.

    Counting from the due date (not from the last sweep) keeps the moments fixed, so a late or
    repeated sweep cannot stretch or shrink the intervals.
    """
    if escalate_after is None or level_reached >= ladder_length:
        return None
    return calendar.escalation_moment(
        after=due, working_days=escalate_after * (level_reached + 1), extra_closed=extra_closed
    )


# --- the sweep ----------------------------------------------------------------------------------


def deadline_sweep(*, now: dt.datetime | None = None, send_email: bool = True) -> SweepResult:
    """Breach, remind and escalate everything whose moment has come.

    Each step is its own transaction that claims rows with a conditional UPDATE and acts only on
    the rows it claimed, so running the sweep twice, or in two workers at once, changes nothing
    the second time. In-app notifications are written in the claiming transaction; e-mail goes
    out after it commits, and a failed e-mail is logged, never retried by undoing the claim.

    1. Breach: open and due_at < now becomes breached.
    2. Remind: open and next_reminder_at <= now is claimed by moving next_reminder_at on.
    3. Escalate: breached and next_escalation_at <= now climbs one level, up to the ladder's top.
    """
    now = now or timezone.now()
    result = SweepResult()

    with transaction.atomic():
        result.breached_ids = _claim(
            set_sql="status = %s, breached_at = %s, next_reminder_at = NULL",
            set_params=[Deadline.Status.BREACHED, _db_dt(now)],
            where_sql="status = %s AND due_at < %s",
            where_params=[Deadline.Status.OPEN, _db_dt(now)],
        )
        _record_history(result.breached_ids, reason="Frist överskriden", user_id=None)
        outbox = _notify(result.breached_ids, kind=Notification.Kind.BREACH, now=now)
    _send(outbox, send_email=send_email)

    with transaction.atomic():
        result.reminded_ids = _claim(
            set_sql="next_reminder_at = NULL, reminders_sent = reminders_sent + 1",
            set_params=[],
            where_sql="status = %s AND next_reminder_at <= %s",
            where_params=[Deadline.Status.OPEN, _db_dt(now)],
        )
        _reschedule_reminders(result.reminded_ids, now=now)
        outbox = _notify(result.reminded_ids, kind=Notification.Kind.REMINDER, now=now)
    _send(outbox, send_email=send_email)

    with transaction.atomic():
        result.escalated_ids = _claim(
            set_sql="escalation_level = escalation_level + 1, next_escalation_at = NULL",
            set_params=[],
            where_sql=(
                "status = %s AND next_escalation_at <= %s "
                f"AND escalation_level < ({_ladder_length_sql()})"
            ),
            where_params=[Deadline.Status.BREACHED, _db_dt(now)],
        )
        _record_history(result.escalated_ids, reason="Frist eskalerad", user_id=None)
        _reschedule_escalations(result.escalated_ids)
        outbox = _notify(result.escalated_ids, kind=Notification.Kind.ESCALATION, now=now)
    _send(outbox, send_email=send_email)

    # A failing receiver (a higher app) must not undo or fail the sweep; its own schedule retries.
    for receiver, error in signals.sweep_finished.send_robust(
        sender=Deadline, result=result, now=now
    ):
        if isinstance(error, Exception):
            logger.error("sweep_finished receiver %r failed", receiver, exc_info=error)

    return result


def _ladder_length_sql() -> str:
    """How many steps the deadline's agreement's ladder has, as a correlated subquery."""
    return (
        f"SELECT COUNT(*) FROM {_qn(EscalationLevel._meta.db_table)} el "  # noqa: S608 - names only
        f"JOIN {_qn(DeadlineRule._meta.db_table)} r ON r.agreement_id = el.agreement_id "
        f"WHERE r.id = {_qn(Deadline._meta.db_table)}.rule_id"
    )


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _db_dt(moment: dt.datetime):
    """Raw SQL bypasses field conversion; SQLite stores naive UTC text, PostgreSQL timestamptz."""
    return connection.ops.adapt_datetimefield_value(moment)


def _claim(*, set_sql: str, set_params: list, where_sql: str, where_params: list) -> list[int]:
    """UPDATE the rows matching `where_sql` and return the ids this call changed.

    On PostgreSQL the inner SELECT skips rows another worker has locked instead of queueing
    behind it (no deadlocks, no waiting); the outer WHERE repeats the condition so a row that
    changed meanwhile is left alone. SQLite serialises writers, so it needs no row locks.
    """
    table = _qn(Deadline._meta.db_table)
    lock = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    sql = (
        f"UPDATE {table} SET {set_sql} "  # noqa: S608 - only our own fragments; values are params
        f"WHERE id IN (SELECT id FROM {table} WHERE {where_sql}{lock}) AND {where_sql} "
        "RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*set_params, *where_params, *where_params])
        return sorted(row[0] for row in cursor.fetchall())


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _record_history(ids: list[int], *, reason: str, user_id: int | None) -> None:
    """Copy the claimed rows into the history table in one INSERT … SELECT per chunk.

    The sweep never loads rows into models, so simple_history's save signal does not fire; this
    keeps "when was it breached/escalated" answerable from history like every other change.
    """
    if not ids:
        return
    history_table = _qn(Deadline.history.model._meta.db_table)
    columns = ", ".join(_qn(f.column) for f in Deadline._meta.concrete_fields)
    table = _qn(Deadline._meta.db_table)
    now = _db_dt(timezone.now())
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {history_table} ({columns}, history_date, "  # noqa: S608
                "history_change_reason, history_type, history_user_id) "
                f"SELECT {columns}, %s, %s, '~', %s FROM {table} WHERE id IN ({placeholders})",
                [now, reason, user_id, *chunk],
            )


def _reschedule_reminders(ids: list[int], *, now: dt.datetime) -> None:
    """Give claimed deadlines their next reminder moment (the first one still ahead)."""
    if not ids:
        return
    rows = list(
        Deadline.objects.filter(pk__in=ids).values_list(
            "pk", "due_at", "rule__time_unit", "rule__reminder_offsets", "rule__agreement_id"
        )
    )
    closed = _closed_days_by_agreement({row[4] for row in rows})
    by_moment: dict[dt.datetime, list[int]] = defaultdict(list)
    for pk, due, time_unit, offsets, agreement_id in rows:
        moments = _reminder_moments(time_unit, tuple(offsets or ()), due, closed[agreement_id])
        upcoming = next((m for m in moments if now < m < due), None)
        if upcoming is not None:
            by_moment[upcoming].append(pk)
    # One UPDATE per distinct moment: deadlines opened together share their reminder times.
    for moment, pks in by_moment.items():
        Deadline.objects.filter(pk__in=pks).update(next_reminder_at=moment)


def _reschedule_escalations(ids: list[int]) -> None:
    if not ids:
        return
    rows = list(
        Deadline.objects.filter(pk__in=ids).values_list(
            "pk", "due_at", "escalation_level", "rule__escalate_after", "rule__agreement_id"
        )
    )
    agreements = {row[4] for row in rows}
    closed = _closed_days_by_agreement(agreements)
    ladder = _ladder_lengths(agreements)
    by_moment: dict[dt.datetime, list[int]] = defaultdict(list)
    for pk, due, level, escalate_after, agreement_id in rows:
        moment = _escalation_at(
            due=due,
            level_reached=level,
            escalate_after=escalate_after,
            ladder_length=ladder[agreement_id],
            extra_closed=closed[agreement_id],
        )
        if moment is not None:
            by_moment[moment].append(pk)
    for moment, pks in by_moment.items():
        Deadline.objects.filter(pk__in=pks).update(next_escalation_at=moment)


def _closed_days_by_agreement(agreement_ids: set[int]) -> dict[int, frozenset[dt.date]]:
    days: dict[int, set[dt.date]] = defaultdict(set)
    for agreement_id, day in ClosedDay.objects.filter(agreement_id__in=agreement_ids).values_list(
        "agreement_id", "date"
    ):
        days[agreement_id].add(day)
    return defaultdict(frozenset, {k: frozenset(v) for k, v in days.items()})


def _ladder_lengths(agreement_ids: set[int]) -> dict[int, int]:
    counts = (
        EscalationLevel.objects.filter(agreement_id__in=agreement_ids)
        .values("agreement_id")
        .annotate(n=models.Count("id"))
        .values_list("agreement_id", "n")
    )
    return defaultdict(int, dict(counts))


# --- notifications ------------------------------------------------------------------------------


def _notify(ids: list[int], *, kind: str, now: dt.datetime) -> list[emails.Outgoing]:
    """Store in-app notifications for the claimed deadlines and return the e-mails to send.

    Recipients are resolved with a fixed handful of queries for the whole batch.
    """
    if not ids:
        return []
    outbox: list[emails.Outgoing] = []
    for chunk in _chunks(ids):
        deadlines = list(
            Deadline.objects.filter(pk__in=chunk).select_related(
                "rule", "content_type", "responsible_unit"
            )
        )
        levels = _levels_reached(deadlines) if kind == Notification.Kind.ESCALATION else {}
        recipients = _recipients(deadlines, kind=kind, levels=levels)
        addresses = dict(
            User.objects.filter(
                pk__in={pk for users in recipients.values() for pk in users}
            ).values_list("pk", "email")
        )
        notifications = []
        for deadline in deadlines:
            level = levels.get(deadline.pk)
            text = emails.notification_text(kind=kind, deadline=deadline, level=level)
            users = recipients[deadline.pk]
            notifications.extend(
                Notification(
                    user_id=user_id, deadline=deadline, kind=kind, text=text, created_at=now
                )
                for user_id in sorted(users)
            )
            to = sorted({addresses[pk] for pk in users if addresses.get(pk)})
            if not to and deadline.responsible_unit and deadline.responsible_unit.email:
                # Units without accounts still get told, through their functional mailbox.
                to = [deadline.responsible_unit.email]
            if to:
                outbox.append(
                    emails.Outgoing(kind=kind, deadline=deadline, level=level, text=text, to=to)
                )
        Notification.objects.bulk_create(notifications, batch_size=1000)
    return outbox


def _recipients(
    deadlines: list[Deadline], *, kind: str, levels: dict[int, EscalationLevel | None]
) -> dict[int, set[int]]:
    """Who hears about each deadline.

    Reminder: the responsible person, else the unit's coordinators.
    Breach: the responsible person and the unit's managers.
    Escalation: members of the level's kind of steering group covering the unit, else managers.
    """
    unit_ids = {d.responsible_unit_id for d in deadlines if d.responsible_unit_id}
    managers = _members_by_unit(unit_ids, role=Membership.Role.MANAGER)
    result: dict[int, set[int]] = {}
    if kind == Notification.Kind.REMINDER:
        coordinators = _members_by_unit(unit_ids, role=Membership.Role.COORDINATOR)
        for d in deadlines:
            result[d.pk] = (
                {d.responsible_user_id}
                if d.responsible_user_id
                else set(coordinators[d.responsible_unit_id])
            )
    elif kind == Notification.Kind.BREACH:
        for d in deadlines:
            people = set(managers[d.responsible_unit_id])
            if d.responsible_user_id:
                people.add(d.responsible_user_id)
            result[d.pk] = people
    else:
        steering = _steering_members(
            [d.responsible_unit for d in deadlines if d.responsible_unit_id],
            kinds={
                lvl.steering_group_kind
                for lvl in levels.values()
                if lvl and lvl.steering_group_kind
            },
        )
        for d in deadlines:
            level = levels.get(d.pk)
            people: set[int] = set()
            if level and level.steering_group_kind:
                people = set(steering[(d.responsible_unit_id, level.steering_group_kind)])
            result[d.pk] = people or set(managers[d.responsible_unit_id])
    return result


def _members_by_unit(unit_ids: set[int], *, role: str) -> dict[int | None, set[int]]:
    members: dict[int | None, set[int]] = defaultdict(set)
    for unit_id, user_id in Membership.objects.filter(
        unit_id__in=unit_ids, role=role, is_active=True, user__is_active=True
    ).values_list("unit_id", "user_id"):
        members[unit_id].add(user_id)
    return members


def _levels_reached(deadlines: list[Deadline]) -> dict[int, EscalationLevel | None]:
    """The ladder step each deadline now stands on (level n = the n-th step, lowest first)."""
    agreement_ids = {d.rule.agreement_id for d in deadlines}
    ladders: dict[int, list[EscalationLevel]] = defaultdict(list)
    for level in EscalationLevel.objects.filter(agreement_id__in=agreement_ids).order_by("order"):
        ladders[level.agreement_id].append(level)
    result: dict[int, EscalationLevel | None] = {}
    for d in deadlines:
        ladder = ladders[d.rule.agreement_id]
        result[d.pk] = (
            ladder[d.escalation_level - 1] if 0 < d.escalation_level <= len(ladder) else None
        )
    return result


def _steering_members(units: list[Unit], *, kinds: set[str]) -> dict[tuple[int, str], set[int]]:
    """Members of active steering groups of the given kinds, keyed by (unit, kind) they cover.

    A group covers a unit when it lists the unit itself or the unit's municipality.
    """
    members: dict[tuple[int, str], set[int]] = defaultdict(set)
    if not units or not kinds:
        return members
    unit_ids = {u.pk for u in units}
    by_municipality: dict[int, set[int]] = defaultdict(set)
    for unit in units:
        if unit.municipality_id:
            by_municipality[unit.municipality_id].add(unit.pk)
    active = {"steeringgroup__is_active": True, "steeringgroup__kind__in": kinds}
    covered: dict[int, set[int]] = defaultdict(set)
    kind_of: dict[int, str] = {}
    for group_id, kind, unit_id in SteeringGroup.units.through.objects.filter(
        unit_id__in=unit_ids, **active
    ).values_list("steeringgroup_id", "steeringgroup__kind", "unit_id"):
        covered[group_id].add(unit_id)
        kind_of[group_id] = kind
    for group_id, kind, municipality_id in SteeringGroup.municipalities.through.objects.filter(
        municipality_id__in=by_municipality.keys(), **active
    ).values_list("steeringgroup_id", "steeringgroup__kind", "municipality_id"):
        covered[group_id] |= by_municipality[municipality_id]
        kind_of[group_id] = kind
    for group_id, user_id in SteeringGroup.members.through.objects.filter(
        steeringgroup_id__in=covered.keys(), user__is_active=True
    ).values_list("steeringgroup_id", "user_id"):
        for unit_id in covered[group_id]:
            members[(unit_id, kind_of[group_id])].add(user_id)
    return members


def _send(outbox: list[emails.Outgoing], *, send_email: bool) -> None:
    if send_email and outbox:
        emails.send_all(outbox)


# --- notifications read by their owner --------------------------------------------------------


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    if notification.user_id != user.pk:
        raise ApplicationError(_("Notisen tillhör någon annan."))
    with transaction.atomic():
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, user: User) -> int:
    with transaction.atomic():
        return Notification.objects.filter(user=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )

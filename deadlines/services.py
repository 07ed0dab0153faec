"""Every write to deadlines: opening and closing them, and the periodic sweep."""

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Membership, SteeringGroup, Unit, User
from agreements.models import ClosedDay, DeadlineRule, EscalationLevel
from config.exceptions import ApplicationError
from deadlines import calendar, emails, signals
from deadlines.models import Deadline, Notification

logger = logging.getLogger(__name__)

# E-mails are built and sent this many deadlines at a time: memory stays bounded however large
# the backlog a sweep claims.
_CHUNK = 1000


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
        ids = [
            row[0]
            for row in _claim(
                set_sql=(
                    "status = %s, reason = %s, next_reminder_at = NULL, next_escalation_at = NULL"
                ),
                set_params=[Deadline.Status.CANCELLED, reason],
                where=models.Q(
                    content_type=content_type, object_id=subject.pk, status__in=Deadline.UNRESOLVED
                ),
            )
        ]
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

# Stands in for the subject's id while a group's notification text is rendered once in Python;
# SQL then splices each row's own id in its place.
_ID_MARKER = "\ue000"

# What each step's group lookup carries, with the PostgreSQL type of each column.
_GROUP_COLUMNS = {
    "g_rule": "bigint",
    "g_due": "timestamptz",
    "g_ct": "integer",
    "g_level": "integer",
    "g_before": "text",
    "g_after": "text",
    "g_next": "timestamptz",
    "g_steering": "text",
}


def deadline_sweep(*, now: dt.datetime | None = None, send_email: bool = True) -> SweepResult:
    """Breach, remind and escalate everything whose moment has come.

    Each step is its own transaction that claims rows with a conditional UPDATE and acts only on
    the rows it claimed, so running the sweep twice, or in two workers at once, changes nothing
    the second time. History and in-app notifications are written in the claiming transaction;
    e-mail goes out after it commits, and a failed e-mail is logged, never retried by undoing the
    claim. A step runs the same handful of statements whether it claims one row or a million.

    1. Breach: open and due_at < now becomes breached.
    2. Remind: open and next_reminder_at <= now is claimed by moving next_reminder_at on.
    3. Escalate: breached and next_escalation_at <= now climbs one level, up to the ladder's top.
    """
    now = now or timezone.now()
    result = SweepResult()
    result.breached_ids = _sweep_step(
        kind=Notification.Kind.BREACH,
        due=models.Q(status=Deadline.Status.OPEN, due_at__lt=now),
        set_sql="status = %s, breached_at = %s, next_reminder_at = NULL",
        set_params=[Deadline.Status.BREACHED, _db_dt(now)],
        history_reason="Frist överskriden",
        now=now,
        send_email=send_email,
    )
    result.reminded_ids = _sweep_step(
        kind=Notification.Kind.REMINDER,
        due=models.Q(status=Deadline.Status.OPEN, next_reminder_at__lte=now),
        set_sql="next_reminder_at = g.g_next, reminders_sent = reminders_sent + 1",
        set_params=[],
        history_reason=None,
        now=now,
        send_email=send_email,
    )
    result.escalated_ids = _sweep_step(
        kind=Notification.Kind.ESCALATION,
        due=models.Q(status=Deadline.Status.BREACHED, next_escalation_at__lte=now),
        set_sql="escalation_level = escalation_level + 1, next_escalation_at = g.g_next",
        set_params=[],
        history_reason="Frist eskalerad",
        now=now,
        send_email=send_email,
    )

    # A failing receiver (a higher app) must not undo or fail the sweep; its own schedule retries.
    for receiver, error in signals.sweep_finished.send_robust(
        sender=Deadline, result=result, now=now
    ):
        if isinstance(error, Exception):
            logger.error("sweep_finished receiver %r failed", receiver, exc_info=error)

    return result


def _sweep_step(
    *,
    kind: str,
    due: models.Q,
    set_sql: str,
    set_params: list,
    history_reason: str | None,
    now: dt.datetime,
    send_email: bool,
) -> list[int]:
    """One step of the sweep: a fixed number of statements, however many rows are due.

    1. Take the step's lock; if another sweep holds it, that sweep is doing this step: skip it.
    2. Claim the due rows with one conditional UPDATE … RETURNING. Rows that share rule, due
       time, subject type and level form a group; per group, in Python, the step computes once
       what only Python can: the next reminder or escalation moment (working-day arithmetic,
       needed by the UPDATE, so those groups are read first) and the translated notification
       text (needed only afterwards, so a breach reads its groups from what it claimed).
    3. Copy the claimed rows to history with one INSERT … SELECT (when the step is a change
       users see in the history).
    4. Write one notification per claimed row and recipient with one INSERT … SELECT.
    5. After commit, send the e-mails in bounded chunks.
    """
    try:
        with transaction.atomic():
            if not _step_lock(kind):
                return []
            if kind == Notification.Kind.BREACH:
                claimed = _claim(set_sql=set_sql, set_params=set_params, where=due, keys=True)
                ids = sorted(row[0] for row in claimed)
                groups = _plan_groups(kind=kind, keys={row[1:] for row in claimed}, now=now)
            else:
                groups = _plan_groups(kind=kind, keys=_due_keys(due), now=now)
                if not groups:
                    return []
                claimed = _claim(set_sql=set_sql, set_params=set_params, where=due, groups=groups)
                ids = sorted(row[0] for row in claimed)
            if history_reason:
                _record_history(ids, reason=history_reason, user_id=None)
            _notify(ids, kind=kind, groups=groups, now=now)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            raise
        logger.warning("Deadline sweep: %s step waited too long for a row lock; skipped", kind)
        return []
    if send_email:
        _send_emails(ids, kind=kind, now=now)
    return ids


# PostgreSQL's SQLSTATE when lock_timeout runs out.
_LOCK_NOT_AVAILABLE = "55P03"
# How long a claim waits for a row a user is changing. Shorter than PostgreSQL's deadlock_timeout
# (1 s), so in the rare lock-order deadlock with a user's change the sweep always gives way and
# the user's request goes through; the skipped step runs again at the next sweep.
_CLAIM_LOCK_TIMEOUT = "500ms"


def _step_lock(kind: str) -> bool:
    """One sweep at a time per step, without locking rows twice.

    A transaction-level advisory lock, not SELECT … FOR UPDATE SKIP LOCKED on the due rows:
    locking a row writes it, so row locks made the claim write every due row twice (measured:
    +50 % on the claim at national scale). SQLite serialises writers and needs no lock.
    """
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [f"deadline_sweep:{kind}"])
        return cursor.fetchone()[0]


def _due_keys(due: models.Q) -> set[tuple]:
    return set(
        Deadline.objects.filter(due)
        .order_by()
        .values_list("rule_id", "due_at", "content_type_id", "escalation_level")
        .distinct()
    )


def _plan_groups(*, kind: str, keys: set[tuple], now: dt.datetime) -> list[dict]:
    """Everything the claim and the notifications need that SQL cannot compute, once per group.

    Rows opened under the same rule with the same due time share their reminder and escalation
    moments and, but for the subject's id, their notification text; a national backlog of tens of
    thousands of due rows falls into a few thousand groups.
    """
    if not keys:
        return []
    rules = DeadlineRule.objects.in_bulk({key[0] for key in keys})
    agreements = {rule.agreement_id for rule in rules.values()}
    closed = _closed_days_by_agreement(agreements)
    ladders = _ladders(agreements) if kind == Notification.Kind.ESCALATION else {}
    groups, texts = [], {}
    for rule_id, due_at, content_type_id, level in keys:
        rule = rules[rule_id]
        extra_closed = closed[rule.agreement_id]
        reached, step, next_at = level, None, None
        if kind == Notification.Kind.REMINDER:
            moments = _reminder_moments(
                rule.time_unit, tuple(rule.reminder_offsets or ()), due_at, extra_closed
            )
            next_at = next((m for m in moments if now < m < due_at), None)
        elif kind == Notification.Kind.ESCALATION:
            ladder = ladders[rule.agreement_id]
            reached = level + 1
            if reached > len(ladder):
                continue  # already at the top (the ladder may have been shortened since)
            step = ladder[reached - 1]
            next_at = _escalation_at(
                due=due_at,
                level_reached=reached,
                escalate_after=rule.escalate_after,
                ladder_length=len(ladder),
                extra_closed=extra_closed,
            )
        # The text depends on the rule only through its kind: agreements share their texts.
        text_key = (rule.kind, due_at, content_type_id, reached, step.pk if step else None)
        if text_key not in texts:
            sample = Deadline(
                rule=rule,
                content_type=ContentType.objects.get_for_id(content_type_id),
                object_id=_ID_MARKER,
                due_at=due_at,
                escalation_level=reached,
            )
            text = emails.notification_text(kind=kind, deadline=sample, level=step)
            texts[text_key] = text.split(_ID_MARKER)
        before, after = texts[text_key]
        groups.append(
            {
                "g_rule": rule_id,
                "g_due": _group_moment(due_at),
                "g_ct": content_type_id,
                "g_level": level,
                "g_before": before,
                "g_after": after,
                "g_next": _group_moment(next_at),
                "g_steering": step.steering_group_kind if step else "",
            }
        )
    return groups


def _ladders(agreement_ids: set[int]) -> dict[int, list[EscalationLevel]]:
    ladders: dict[int, list[EscalationLevel]] = defaultdict(list)
    for level in EscalationLevel.objects.filter(agreement_id__in=agreement_ids).order_by("order"):
        ladders[level.agreement_id].append(level)
    return ladders


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model: type[models.Model]) -> str:
    return _qn(model._meta.db_table)


def _db_dt(moment: dt.datetime):
    """Raw SQL bypasses field conversion; SQLite stores naive UTC text, PostgreSQL timestamptz."""
    return connection.ops.adapt_datetimefield_value(moment)


def _group_moment(moment: dt.datetime | None):
    """A moment as the group lookup carries it: the exact stored form, so equality joins hold."""
    if moment is None or connection.vendor == "postgresql":
        return moment
    return str(_db_dt(moment))


def _groups_sql(groups: list[dict]) -> tuple[str, list]:
    return _rows_sql(groups, _GROUP_COLUMNS, alias="g")


def _rows_sql(rows: list[dict], columns: dict[str, str], *, alias: str) -> tuple[str, list]:
    """Rows computed in Python as a relation, one parameter per column whatever their number.

    On PostgreSQL as arrays: the planner reads an unnested array constant's length, so it knows
    how many rows there are (a JSON record set always looks like 100 rows, which made it look
    the deadlines up group by group through the wrong indexes). `columns` maps each name to its
    PostgreSQL type.
    """
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{kind}[]" for kind in columns.values())
        return f"unnest({arrays}) AS {alias}({', '.join(columns)})", [
            [row[name] for row in rows] for name in columns
        ]
    extracted = ", ".join(f"json_extract(value, '$.{name}') AS {name}" for name in columns)
    return f"(SELECT {extracted} FROM json_each(%s)) AS {alias}", [json.dumps(rows)]  # noqa: S608 - names only


def _id_set_sql(column: str, ids: list[int]) -> tuple[str, list]:
    """`column` is one of `ids`, as one parameter: no IN list grows with the number of rows."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]  # noqa: S608


def _where_sql(where: models.Q) -> tuple[str, list]:
    """Compile a condition on Deadline to SQL with the table's own name as qualifier.

    The claim uses it twice: inside the locking subquery the name binds to the subquery's
    table, outside it to the UPDATE's target.
    """
    query = Deadline.objects.filter(where).query
    sql, params = query.get_compiler(connection=connection).compile(query.where)
    return sql, list(params)


def _claim(
    *,
    set_sql: str,
    set_params: list,
    where: models.Q,
    groups: list[dict] | None = None,
    keys: bool = False,
) -> list[tuple]:
    """UPDATE the rows matching `where` (and one of `groups`); return (id,) per changed row, or
    (id, rule, due time, subject type, level) with `keys`.

    The WHERE is the claim: a row another transaction changed meanwhile is re-checked by
    PostgreSQL once that transaction ends and left alone when it no longer matches, so a row is
    never claimed twice. `set_sql` may read the row's group as `g`. The claim waits at most
    `_CLAIM_LOCK_TIMEOUT` for a row that a user is changing.
    """
    table = _table(Deadline)
    where_sql, where_params = _where_sql(where)
    groups_sql, groups_params, join_sql = "", [], ""
    if groups is not None:
        groups_sql, groups_params = _groups_sql(groups)
        groups_sql = f" FROM {groups_sql}"
        join_sql = (
            f" AND {table}.rule_id = g.g_rule AND {table}.due_at = g.g_due"
            f" AND {table}.content_type_id = g.g_ct AND {table}.escalation_level = g.g_level"
        )
    returning = "id, rule_id, due_at, content_type_id, escalation_level" if keys else "id"
    sql = (
        f"UPDATE {table} SET {set_sql}{groups_sql} "  # noqa: S608 - our own fragments; values are params
        f"WHERE {where_sql}{join_sql} RETURNING {returning}"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL lock_timeout = '{_CLAIM_LOCK_TIMEOUT}'")
        cursor.execute(sql, [*set_params, *groups_params, *where_params])
        rows = cursor.fetchall()
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    if keys and connection.vendor != "postgresql":
        return [(pk, rule, _as_moment(due), ct, level) for pk, rule, due, ct, level in rows]
    return rows


def _as_moment(value: dt.datetime | str) -> dt.datetime:
    """Raw SQLite rows carry datetimes as naive UTC, as text or not."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _record_history(ids: list[int], *, reason: str, user_id: int | None) -> None:
    """Copy the claimed rows into the history table with one INSERT … SELECT.

    The sweep never loads rows into models, so simple_history's save signal does not fire; this
    keeps "when was it breached/escalated" answerable from history like every other change.
    """
    if not ids:
        return
    columns = ", ".join(_qn(f.column) for f in Deadline._meta.concrete_fields)
    in_sql, in_params = _id_set_sql("id", ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(Deadline.history.model)} ({columns}, history_date, "  # noqa: S608
            "history_change_reason, history_type, history_user_id) "
            f"SELECT {columns}, %s, %s, '~', %s FROM {_table(Deadline)} WHERE {in_sql}",
            [_db_dt(timezone.now()), reason, user_id, *in_params],
        )


def _closed_days_by_agreement(agreement_ids: set[int]) -> dict[int, frozenset[dt.date]]:
    days: dict[int, set[dt.date]] = defaultdict(set)
    for agreement_id, day in ClosedDay.objects.filter(agreement_id__in=agreement_ids).values_list(
        "agreement_id", "date"
    ):
        days[agreement_id].add(day)
    return defaultdict(frozenset, {k: frozenset(v) for k, v in days.items()})


# --- notifications ------------------------------------------------------------------------------


def _notify(ids: list[int], *, kind: str, groups: list[dict], now: dt.datetime) -> None:
    """Write one in-app notification per claimed deadline and recipient, in one INSERT … SELECT.

    Reminder: the responsible person, else the unit's coordinators.
    Breach: the responsible person and the unit's managers.
    Escalation: members of active steering groups of the level's kind that cover the unit (list
    the unit itself or its municipality), else the unit's managers.
    Only active memberships and active users count, except the named responsible person.

    Shaped for the planner: the claimed rows `c` are found by id (an estimate it gets right),
    recipients are joined to them through relations it can hash, and the four-column join to the
    groups, whose size it cannot estimate, comes last, where nothing is joined to its result.
    """
    if not ids:
        return
    in_sql, in_params = _id_set_sql("d.id", ids)
    groups_sql, groups_params = _groups_sql(groups)
    # The claim has already moved an escalated row one level past its group's key.
    level_offset = 1 if kind == Notification.Kind.ESCALATION else 0
    ctes = [
        (
            "c AS (SELECT d.id, d.object_id, d.responsible_unit_id, d.responsible_user_id, "  # noqa: S608 - names only
            "d.rule_id, d.due_at, d.content_type_id, d.escalation_level "
            f"FROM {_table(Deadline)} d WHERE {in_sql})",
            in_params,
        ),
        (
            "members AS (SELECT m.unit_id, m.user_id "  # noqa: S608 - names only
            f"FROM {_table(Membership)} m JOIN {_table(User)} u ON u.id = m.user_id "
            "WHERE m.role = %s AND m.is_active = TRUE AND u.is_active = TRUE)",
            [
                Membership.Role.COORDINATOR
                if kind == Notification.Kind.REMINDER
                else Membership.Role.MANAGER
            ],
        ),
    ]
    person = (
        "SELECT c.*, c.responsible_user_id AS user_id FROM c "
        "WHERE c.responsible_user_id IS NOT NULL"
    )
    members = (
        "SELECT c.*, members.user_id FROM c JOIN members ON members.unit_id = c.responsible_unit_id"
    )
    if kind == Notification.Kind.REMINDER:
        recipients = f"{person} UNION {members} WHERE c.responsible_user_id IS NULL"
    elif kind == Notification.Kind.BREACH:
        recipients = f"{person} UNION {members}"
    else:
        ladder = [
            {"rule_id": rule, "level": level, "steering_kind": steering}
            for rule, level, steering in {
                (group["g_rule"], group["g_level"] + 1, group["g_steering"]) for group in groups
            }
            if steering
        ]
        ladder_sql, ladder_params = _rows_sql(
            ladder, {"rule_id": "bigint", "level": "integer", "steering_kind": "text"}, alias="l"
        )
        ctes += [
            (
                "coverage AS ("  # noqa: S608 - names only
                f"SELECT gu.unit_id, sg.kind, gm.user_id FROM {_table(SteeringGroup)} sg "
                f"JOIN {_table(SteeringGroup.units.through)} gu ON gu.steeringgroup_id = sg.id "
                f"JOIN {_table(SteeringGroup.members.through)} gm ON gm.steeringgroup_id = sg.id "
                f"JOIN {_table(User)} u ON u.id = gm.user_id "
                "WHERE sg.is_active = TRUE AND u.is_active = TRUE "
                f"UNION SELECT un.id, sg.kind, gm.user_id FROM {_table(SteeringGroup)} sg "
                f"JOIN {_table(SteeringGroup.municipalities.through)} gk "
                "ON gk.steeringgroup_id = sg.id "
                f"JOIN {_table(Unit)} un ON un.municipality_id = gk.municipality_id "
                f"JOIN {_table(SteeringGroup.members.through)} gm ON gm.steeringgroup_id = sg.id "
                f"JOIN {_table(User)} u ON u.id = gm.user_id "
                "WHERE sg.is_active = TRUE AND u.is_active = TRUE)",
                [],
            ),
            (
                f"steering AS (SELECT c.id, coverage.user_id FROM c JOIN {ladder_sql} "  # noqa: S608 - names only
                "ON l.rule_id = c.rule_id AND l.level = c.escalation_level "
                "JOIN coverage ON coverage.unit_id = c.responsible_unit_id "
                "AND coverage.kind = l.steering_kind)",
                ladder_params,
            ),
        ]
        recipients = (
            "SELECT c.*, steering.user_id FROM c JOIN steering ON steering.id = c.id "  # noqa: S608 - names only
            f"UNION {members} WHERE c.id NOT IN (SELECT id FROM steering)"
        )
    with_sql = ", ".join(sql for sql, _params in ctes)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {with_sql}, r AS ({recipients}) "  # noqa: S608 - our own fragments; values are params
            f"INSERT INTO {_table(Notification)} (user_id, deadline_id, kind, text, created_at) "
            "SELECT r.user_id, r.id, %s, g.g_before || CAST(r.object_id AS TEXT) || g.g_after, %s "
            f"FROM r JOIN {groups_sql} ON r.rule_id = g.g_rule AND r.due_at = g.g_due "
            "AND r.content_type_id = g.g_ct AND r.escalation_level = g.g_level + %s",
            [
                *(param for _sql, params in ctes for param in params),
                kind,
                _db_dt(now),
                *groups_params,
                level_offset,
            ],
        )


def _send_emails(ids: list[int], *, kind: str, now: dt.datetime) -> None:
    """E-mail each claimed deadline, a chunk of deadlines at a time so memory stays bounded.

    The addressees are the users this step just notified (its rows carry the deadline, the kind
    and the sweep's moment); a deadline with nobody to notify goes to its unit's functional
    mailbox, so units without accounts still get told.
    """
    for chunk in _chunks(ids):
        deadlines = list(
            Deadline.objects.filter(pk__in=chunk)
            .select_related("rule", "content_type", "responsible_unit")
            .order_by("pk")
        )
        levels = _levels_reached(deadlines) if kind == Notification.Kind.ESCALATION else {}
        addresses: dict[int, set[str]] = defaultdict(set)
        for deadline_id, address in (
            Notification.objects.filter(deadline_id__in=chunk, kind=kind, created_at=now)
            .exclude(user__email="")
            .values_list("deadline_id", "user__email")
        ):
            addresses[deadline_id].add(address)
        outbox = []
        for deadline in deadlines:
            to = sorted(addresses[deadline.pk])
            if not to and deadline.responsible_unit and deadline.responsible_unit.email:
                to = [deadline.responsible_unit.email]
            if to:
                level = levels.get(deadline.pk)
                text = emails.notification_text(kind=kind, deadline=deadline, level=level)
                outbox.append(
                    emails.Outgoing(kind=kind, deadline=deadline, level=level, text=text, to=to)
                )
        emails.send_all(outbox)


def _levels_reached(deadlines: list[Deadline]) -> dict[int, EscalationLevel | None]:
    """The ladder step each deadline now stands on (level n = the n-th step, lowest first)."""
    ladders = _ladders({d.rule.agreement_id for d in deadlines})
    result: dict[int, EscalationLevel | None] = {}
    for d in deadlines:
        ladder = ladders[d.rule.agreement_id]
        result[d.pk] = (
            ladder[d.escalation_level - 1] if 0 < d.escalation_level <= len(ladder) else None
        )
    return result


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

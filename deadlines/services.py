"""Every write to deadlines: opening and closing them, and the periodic sweep."""

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, connection, models, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Membership, SteeringGroup, Unit, User
from agreements.models import Agreement, ClosedDay, DeadlineRule, EscalationLevel
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
        ids = _claim(
            set_sql="status = %s, reason = %s, next_reminder_at = NULL, next_escalation_at = NULL",
            set_params=[Deadline.Status.CANCELLED, reason],
            where=models.Q(
                content_type=content_type, object_id=subject.pk, status__in=Deadline.UNRESOLVED
            ),
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
    2. Remind: open, not yet due and next_reminder_at <= now is claimed by moving
       next_reminder_at on.
    3. Escalate: breached and next_escalation_at <= now climbs one level, up to the ladder's top.
    """
    now = now or timezone.now()
    result = SweepResult()
    result.breached_ids = _sweep_step(
        kind=Notification.Kind.BREACH,
        due=models.Q(status=Deadline.Status.OPEN, due_at__lt=now),
        set_sql="status = %s, breached_at = %s, next_reminder_at = NULL",
        set_params=[Deadline.Status.BREACHED, _db_dt(now)],
        set_from_group=False,
        history_reason="Frist överskriden",
        now=now,
        send_email=send_email,
    )
    result.reminded_ids = _sweep_step(
        kind=Notification.Kind.REMINDER,
        # Not yet due, the breach's exact complement: when the breach step was skipped (another
        # sweep holds it, or a row lock timed out) its rows are not reminded instead.
        due=models.Q(status=Deadline.Status.OPEN, next_reminder_at__lte=now, due_at__gte=now),
        set_sql="next_reminder_at = g.g_next, reminders_sent = reminders_sent + 1",
        set_params=[],
        set_from_group=True,
        history_reason=None,
        now=now,
        send_email=send_email,
    )
    result.escalated_ids = _sweep_step(
        kind=Notification.Kind.ESCALATION,
        due=models.Q(status=Deadline.Status.BREACHED, next_escalation_at__lte=now),
        set_sql="escalation_level = escalation_level + 1, next_escalation_at = g.g_next",
        set_params=[],
        set_from_group=True,
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
    set_from_group: bool,
    history_reason: str | None,
    now: dt.datetime,
    send_email: bool,
) -> list[int]:
    """One step of the sweep: a fixed number of statements, however many rows are due.

    1. Take the step's lock; if another sweep holds it, that sweep is doing this step: skip it.
    2. Read the due rows' groups: rows that share rule, due time, subject type and level. Per
       group, in Python, compute once what only Python can: the next reminder or escalation
       moment (working-day arithmetic) and the translated notification text.
    3. Claim the due rows of those groups, copy them to history (when the step is a change users
       see in the history) and write one notification per claimed row and recipient: one
       statement on PostgreSQL (see _claim_and_record).
    4. After commit, send the e-mails in bounded chunks.
    """
    try:
        with transaction.atomic():
            if not _step_lock(kind):
                return []
            groups = _plan_groups(kind=kind, keys=_due_keys(due), now=now)
            if not groups:
                return []
            ids = _claim_and_record(
                kind=kind,
                due=due,
                set_sql=set_sql,
                set_params=set_params,
                set_from_group=set_from_group,
                groups=groups,
                history_reason=history_reason,
                now=now,
            )
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


@contextmanager
def _claiming_cursor() -> Iterator[CursorWrapper]:
    """A cursor whose statements wait at most `_CLAIM_LOCK_TIMEOUT` for a row a user is changing."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL lock_timeout = '{_CLAIM_LOCK_TIMEOUT}'")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")


def _claim(*, set_sql: str, set_params: list, where: models.Q) -> list[int]:
    """UPDATE the rows matching `where`; return the ids of the rows it changed.

    The WHERE is the claim: a row another transaction changed meanwhile is re-checked by
    PostgreSQL once that transaction ends and left alone when it no longer matches.
    """
    where_sql, where_params = _where_sql(where)
    with _claiming_cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(Deadline)} SET {set_sql} WHERE {where_sql} RETURNING id",  # noqa: S608 - our own fragments; values are params
            [*set_params, *where_params],
        )
        return [row[0] for row in cursor.fetchall()]


def _claim_and_record(
    *,
    kind: str,
    due: models.Q,
    set_sql: str,
    set_params: list,
    set_from_group: bool,
    groups: list[dict],
    history_reason: str | None,
    now: dt.datetime,
) -> list[int]:
    """Claim the due rows of `groups`, record them in history, notify; return the claimed ids.

    The claim is one conditional UPDATE: a row another transaction changed meanwhile is
    re-checked by PostgreSQL once that transaction ends and left alone when it no longer
    matches, so a row is never claimed twice. Only rows of a group are claimed: a row that
    became due after the groups were read waits for the next sweep. With `set_from_group` the
    UPDATE joins the groups and `set_sql` reads the row's group as `g` (the next reminder or
    escalation moment); without it (the breach) each row's group is only looked up.

    On PostgreSQL claim, history and notifications are one statement: the UPDATE's RETURNING is
    the relation `claimed` the INSERTs read, so no claimed row is looked up again and no list of
    ids travels to the database. SQLite (`make run`) allows no writes inside WITH: there the
    claim returns the ids and each INSERT reads the claimed rows back by id as `claimed`.
    """
    table = _table(Deadline)
    columns = ", ".join(f"{table}.{_qn(f.column)}" for f in Deadline._meta.concrete_fields)
    where_sql, where_params = _where_sql(due)
    groups_sql, groups_params = _groups_sql(groups)
    ctes = [("g", f"SELECT * FROM {groups_sql}", groups_params)]  # noqa: S608 - names only
    if set_from_group:
        claim_sql = (
            f"UPDATE {table} SET {set_sql} FROM g WHERE {where_sql} "  # noqa: S608 - our own fragments; values are params
            f"AND {table}.rule_id = g.g_rule AND {table}.due_at = g.g_due "
            f"AND {table}.content_type_id = g.g_ct AND {table}.escalation_level = g.g_level"
        )
    else:
        # `IS TRUE` keeps the IN a hashed lookup made on each row in the order the index scan
        # finds them. As a join PostgreSQL would sort the rows by group (a merge join, as it
        # cannot estimate the join) and update them in that random order: a third more time for
        # a national breach. It also estimates the claim's size, where for the join it guesses
        # one row.
        claim_sql = (
            f"UPDATE {table} SET {set_sql} WHERE {where_sql} "  # noqa: S608 - our own fragments; values are params
            f"AND (({table}.rule_id, {table}.due_at, {table}.content_type_id, "
            f"{table}.escalation_level) IN (SELECT g_rule, g_due, g_ct, g_level FROM g)) IS TRUE"
        )
    claim_params = [*set_params, *where_params]
    helpers, notification = _notification_sql(kind=kind, now=now)
    writes = [notification]
    if history_reason:
        writes.insert(0, _history_sql(source="claimed", reason=history_reason, user_id=None))

    if connection.vendor == "postgresql":
        sql, params = _with(
            [
                *ctes,
                ("claimed", f"{claim_sql} RETURNING {columns}", claim_params),
                *helpers,
                *((f"write_{n}", *write) for n, write in enumerate(writes)),
            ],
            ("SELECT id FROM claimed", []),
        )
        with _claiming_cursor() as cursor:
            cursor.execute(sql, params)
            return sorted(row[0] for row in cursor.fetchall())

    with _claiming_cursor() as cursor:
        cursor.execute(*_with(ctes, (f"{claim_sql} RETURNING id", claim_params)))
        ids = sorted(row[0] for row in cursor.fetchall())
    if ids:
        in_sql, in_params = _id_set_sql(f"{table}.id", ids)
        ctes.append(("claimed", f"SELECT {columns} FROM {table} WHERE {in_sql}", in_params))  # noqa: S608 - names only
        with connection.cursor() as cursor:
            for write in writes:
                cursor.execute(*_with([*ctes, *helpers], write))
    return ids


def _with(ctes: list[tuple[str, str, list]], statement: tuple[str, list]) -> tuple[str, list]:
    """`statement` preceded by a WITH clause of (name, sql, params) relations."""
    sql = ", ".join(f"{name} AS ({cte_sql})" for name, cte_sql, _params in ctes)
    params = [param for _name, _sql, cte_params in ctes for param in cte_params]
    return f"WITH {sql} {statement[0]}", [*params, *statement[1]]


def _history_sql(*, source: str, reason: str, user_id: int | None) -> tuple[str, list]:
    """Copy deadline rows from `source` (a table or relation with the deadline's columns) into
    the history table.

    The sweep and the bulk cancel never load rows into models, so simple_history's save signal
    does not fire; this keeps "when was it breached/escalated/cancelled" answerable from history
    like every other change.
    """
    columns = ", ".join(_qn(f.column) for f in Deadline._meta.concrete_fields)
    return (
        f"INSERT INTO {_table(Deadline.history.model)} ({columns}, history_date, "  # noqa: S608 - names only
        "history_change_reason, history_type, history_user_id) "
        f"SELECT {columns}, %s, %s, '~', %s FROM {source}",
        [_db_dt(timezone.now()), reason, user_id],
    )


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _record_history(ids: list[int], *, reason: str, user_id: int | None) -> None:
    """History rows for claimed ids, with one INSERT … SELECT."""
    if not ids:
        return
    in_sql, in_params = _id_set_sql("id", ids)
    sql, params = _history_sql(
        source=f"{_table(Deadline)} WHERE {in_sql}", reason=reason, user_id=user_id
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *in_params])


def _closed_days_by_agreement(agreement_ids: set[int]) -> dict[int, frozenset[dt.date]]:
    days: dict[int, set[dt.date]] = defaultdict(set)
    for agreement_id, day in ClosedDay.objects.filter(agreement_id__in=agreement_ids).values_list(
        "agreement_id", "date"
    ):
        days[agreement_id].add(day)
    return defaultdict(frozenset, {k: frozenset(v) for k, v in days.items()})


# --- notifications ------------------------------------------------------------------------------


def _notification_sql(
    *, kind: str, now: dt.datetime
) -> tuple[list[tuple[str, str, list]], tuple[str, list]]:
    """The INSERT … SELECT that writes one in-app notification per claimed deadline and
    recipient, reading the claimed rows as `claimed` and their groups as `g`.

    Returns the helper relations it needs, as (name, sql, params) for a WITH clause, and the
    INSERT as (sql, params).

    Reminder: the responsible person, else the unit's coordinators.
    Breach: the responsible person and the unit's managers.
    Escalation: members of active steering groups of the level's kind that cover the unit (list
    the unit itself or its municipality, or list neither and belong to the county of the
    deadline's agreement), else the unit's managers.
    Only active memberships and active users count, except the named responsible person.

    The recipient sets are disjoint by construction (a user holds one membership per unit; the
    responsible person is left out of the managers), so they are concatenated, not
    de-duplicated: no sort over every notification. Shaped for the planner: recipients are
    joined to the claimed rows through relations it can hash or look up by unit, and the
    four-column join to the groups (for the text), whose result size it cannot estimate, comes
    last, where nothing is joined to its result.
    """
    helpers = [
        (
            "members",
            "SELECT m.unit_id, m.user_id "  # noqa: S608 - names only
            f"FROM {_table(Membership)} m JOIN {_table(User)} u ON u.id = m.user_id "
            "WHERE m.role = %s AND m.is_active = TRUE AND u.is_active = TRUE",
            [
                Membership.Role.COORDINATOR
                if kind == Notification.Kind.REMINDER
                else Membership.Role.MANAGER
            ],
        ),
    ]
    row = "c.id, c.object_id, c.rule_id, c.due_at, c.content_type_id, c.escalation_level"
    person = (
        f"SELECT {row}, c.responsible_user_id AS user_id FROM claimed c "  # noqa: S608 - names only
        "WHERE c.responsible_user_id IS NOT NULL"
    )
    members = (
        f"SELECT {row}, members.user_id FROM claimed c "  # noqa: S608 - names only
        "JOIN members ON members.unit_id = c.responsible_unit_id"
    )
    if kind == Notification.Kind.REMINDER:
        recipients = f"{person} UNION ALL {members} WHERE c.responsible_user_id IS NULL"
    elif kind == Notification.Kind.BREACH:
        recipients = (
            f"{person} UNION ALL {members} "
            "WHERE c.responsible_user_id IS NULL OR members.user_id <> c.responsible_user_id"
        )
    else:
        helpers += [
            (
                "coverage",
                f"SELECT gu.unit_id, sg.kind, gm.user_id FROM {_table(SteeringGroup)} sg "  # noqa: S608 - names only
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
                "WHERE sg.is_active = TRUE AND u.is_active = TRUE",
                [],
            ),
            # Groups that list no unit and no municipality cover their whole county: the county
            # of the deadline's agreement, as for the deviation reports they see
            # (sip.deviations.selectors._steering_covers).
            (
                "county_wide",
                f"SELECT sg.county, sg.kind, gm.user_id FROM {_table(SteeringGroup)} sg "  # noqa: S608 - names only
                f"JOIN {_table(SteeringGroup.members.through)} gm ON gm.steeringgroup_id = sg.id "
                f"JOIN {_table(User)} u ON u.id = gm.user_id "
                "WHERE sg.is_active = TRUE AND u.is_active = TRUE "
                f"AND NOT EXISTS (SELECT 1 FROM {_table(SteeringGroup.units.through)} gu "
                "WHERE gu.steeringgroup_id = sg.id) "
                f"AND NOT EXISTS (SELECT 1 FROM {_table(SteeringGroup.municipalities.through)} gk "
                "WHERE gk.steeringgroup_id = sg.id)",
                [],
            ),
            # The steering kind of the level each rule's rows reached: two columns the planner
            # can join on, unlike the four of a group.
            (
                "ladder",
                "SELECT DISTINCT g_rule, g_level + 1 AS level, g_steering FROM g "
                "WHERE g_steering <> ''",
                [],
            ),
            # UNION, not UNION ALL: a member of a group listing the unit and of a county-wide
            # group of the same kind is notified once.
            (
                "steering",
                f"SELECT {row}, coverage.user_id FROM claimed c "  # noqa: S608 - names only
                "JOIN ladder ON ladder.g_rule = c.rule_id AND ladder.level = c.escalation_level "
                "JOIN coverage ON coverage.unit_id = c.responsible_unit_id "
                "AND coverage.kind = ladder.g_steering "
                f"UNION SELECT {row}, county_wide.user_id FROM claimed c "
                "JOIN ladder ON ladder.g_rule = c.rule_id AND ladder.level = c.escalation_level "
                f"JOIN {_table(DeadlineRule)} r ON r.id = c.rule_id "
                f"JOIN {_table(Agreement)} a ON a.id = r.agreement_id "
                "JOIN county_wide ON county_wide.county = a.county "
                "AND county_wide.kind = ladder.g_steering",
                [],
            ),
        ]
        recipients = (
            "SELECT * FROM steering "  # noqa: S608 - names only
            f"UNION ALL {members} WHERE c.id NOT IN (SELECT id FROM steering)"
        )
    # The claim has already moved an escalated row one level past its group's key.
    level_offset = 1 if kind == Notification.Kind.ESCALATION else 0
    insert = (
        f"INSERT INTO {_table(Notification)} (user_id, deadline_id, kind, text, created_at) "  # noqa: S608 - our own fragments; values are params
        "SELECT r.user_id, r.id, %s, g.g_before || CAST(r.object_id AS TEXT) || g.g_after, %s "
        f"FROM ({recipients}) r JOIN g ON r.rule_id = g.g_rule AND r.due_at = g.g_due "
        "AND r.content_type_id = g.g_ct AND r.escalation_level = g.g_level + %s",
        [kind, _db_dt(now), level_offset],
    )
    return helpers, insert


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

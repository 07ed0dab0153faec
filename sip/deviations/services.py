"""Every write to deviation reports. Each step checks the workflow and who may take it, runs in one
transaction, and appends an entry to the report's timeline; nothing is ever edited or removed."""

import datetime as dt
import json
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Membership, Unit, User
from agreements.models import Agreement, DeadlineRule
from agreements.selectors import deadline_rule_get, escalation_ladder
from config.exceptions import ApplicationError
from deadlines.models import Deadline
from deadlines.selectors import deadline_open_for_subject
from deadlines.services import deadline_cancel, deadline_meet, deadline_open
from sip.deviations import selectors
from sip.deviations.models import DeviationEntry, DeviationReport
from sip.models import Case, Invitation, Meeting

Status = DeviationReport.Status
Kind = DeviationEntry.Kind


def _save(report: DeviationReport, by: User | None) -> None:
    report._history_user = by
    report.save()


def _entry(
    report: DeviationReport,
    *,
    kind: str,
    by: User | None,
    at: dt.datetime,
    from_status: str = "",
    to_status: str = "",
    text: str = "",
    measures: str = "",
) -> DeviationEntry:
    entry = DeviationEntry(
        report=report,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        level=report.level,
        text=text,
        measures=measures,
        by=by,
        at=at,
    )
    entry.save()
    return entry


def _lock(report: DeviationReport) -> DeviationReport:
    """Re-read under a row lock so two users cannot take the same step at once."""
    return (
        DeviationReport.objects.select_for_update(of=("self",))
        .select_related("agreement", "level", "case")
        .get(pk=report.pk)
    )


def _require(report: DeviationReport, *, by: User, action: str) -> None:
    """Refuse a step on a closed report, a step the workflow does not allow now, or a user who
    may not take it (the same rules the report page uses to offer the step)."""
    if report.is_final:
        raise ApplicationError(_("Rapporten är avslutad och kan inte ändras."))
    access = selectors.report_access(report=report, user=by)
    ladder = selectors.report_ladder(report=report)
    following = selectors.next_level(ladder, report.level)
    if action not in selectors.report_actions(report=report, access=access, next_level=following):
        if action == selectors.ESCALATE and following is None and access.sees_report:
            if not ladder:
                raise ApplicationError(_("Överenskommelsen har ingen eskaleringstrappa."))
            raise ApplicationError(_("Rapporten står redan på eskaleringstrappans översta nivå."))
        raise ApplicationError(
            _("Du kan inte ta det steget när rapporten har status ”%(status)s”.")
            % {"status": report.get_status_display()}
        )


def _move(report: DeviationReport, to: str, *, by: User | None, at: dt.datetime, **entry) -> None:
    previous = report.status
    report.status = to
    if to == Status.CLOSED:
        report.closed_at = at
    _save(report, by)
    _entry(report, from_status=previous, to_status=to, by=by, at=at, **entry)


def _first_concerned_unit(report: DeviationReport) -> Unit:
    return report.concerned_units.order_by("pk").first()


def _arrive(report: DeviationReport, *, at: dt.datetime, by: User | None) -> None:
    """Start the reply clock of the level the report now stands at.

    The agreement's active "svar på avvikelse" rule makes the clock; a level's own
    reply_working_days, where given, sets its length. No rule, no clock.
    """
    rule = deadline_rule_get(agreement=report.agreement, kind=DeadlineRule.Kind.DEVIATION_REPLY)
    if rule is None:
        return
    deadline_open(
        rule=rule,
        started_at=at,
        subject=report,
        responsible_unit=_first_concerned_unit(report),
        working_days=report.level.reply_working_days if report.level_id else None,
        by=by,
    )


def _reply_clock(report: DeviationReport) -> Deadline | None:
    return deadline_open_for_subject(subject=report, kind=DeadlineRule.Kind.DEVIATION_REPLY)


def _check_text(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(message)
    return text


# --- filing ------------------------------------------------------------------------------------


def _check_context(
    *, case: Case | None, meeting: Meeting | None, deadline: Deadline | None
) -> None:
    if meeting is not None and (case is None or meeting.case_id != case.pk):
        raise ApplicationError(_("Mötet hör inte till ärendet."))
    if deadline is None:
        return
    subjects = {(ContentType.objects.get_for_model(Case).pk, case.pk if case else None)}
    if meeting is not None:
        subjects.add((ContentType.objects.get_for_model(Meeting).pk, meeting.pk))
    if (deadline.content_type_id, deadline.object_id) not in subjects:
        raise ApplicationError(_("Fristen hör inte till ärendet."))
    existing = DeviationReport.objects.filter(deadline=deadline).first()
    if existing:
        raise ApplicationError(
            _(
                "Det finns redan en avvikelse för fristen (%(reference)s, %(status)s). "
                "Bekräfta eller kommentera den i stället, eller rapportera från ärendet utan frist."
            )
            % {"reference": existing.reference, "status": existing.get_status_display()}
        )


@transaction.atomic
def report_create(
    *,
    by: User,
    reporting_unit: Unit,
    concerned_units: Iterable[Unit],
    category: str,
    occurred_at: dt.datetime,
    description: str,
    agreement: Agreement | None = None,
    case: Case | None = None,
    meeting: Meeting | None = None,
    deadline: Deadline | None = None,
) -> DeviationReport:
    """File a deviation report.

    1. The reporter files for a unit they are an active member of; the case's agreement governs
       a report on a case, otherwise the reporter names the agreement.
    2. The report starts at the ladder's first handling level and is registered at once.
    3. The level's reply clock opens where the agreement sets one.
    """
    concerned_units = list(concerned_units)
    description = _check_text(description, _("Beskriv vad som hände."))
    if category not in DeviationReport.Category.values:
        raise ApplicationError(_("Välj en kategori."))
    if not concerned_units:
        raise ApplicationError(_("Ange minst en berörd verksamhet."))
    if not Membership.objects.filter(
        user=by, unit=reporting_unit, is_active=True, unit__is_active=True
    ).exists():
        raise ApplicationError(_("Du kan bara rapportera för en verksamhet du är aktiv i."))
    now = timezone.now()
    if timezone.is_naive(occurred_at) or occurred_at > now:
        raise ApplicationError(_("Ange när det hände; tidpunkten kan inte ligga i framtiden."))
    if case is not None:
        agreement = case.agreement
    if agreement is None:
        raise ApplicationError(_("Ange vilken överenskommelse som gäller."))
    _check_context(case=case, meeting=meeting, deadline=deadline)

    report = DeviationReport(
        agreement=agreement,
        reporting_unit=reporting_unit,
        reported_by=by,
        category=category,
        case=case,
        meeting=meeting,
        deadline=deadline,
        occurred_at=occurred_at,
        description=description,
        status=Status.REGISTERED,
        level=selectors.starting_level(escalation_ladder(agreement=agreement)),
        created_at=now,
        registered_at=now,
    )
    _save(report, by)
    report.concerned_units.set(concerned_units)
    _entry(report, kind=Kind.CREATED, to_status=Status.REGISTERED, by=by, at=now)
    _arrive(report, at=now, by=by)
    return report


# --- drafts ----------------------------------------------------------------------------------


@transaction.atomic
def report_confirm(*, report: DeviationReport, by: User, description: str) -> DeviationReport:
    """The coordinator confirms an automatic draft: it becomes a registered report filed by them
    for the reporting unit, with the text they approve, and its first reply clock opens."""
    report = _lock(report)
    _require(report, by=by, action=selectors.CONFIRM)
    now = timezone.now()
    report.description = _check_text(description, _("Beskriv vad som hände."))
    report.reported_by = by
    report.registered_at = now
    report.level = selectors.starting_level(selectors.report_ladder(report=report))
    _move(report, Status.REGISTERED, by=by, at=now, kind=Kind.STATUS)
    _arrive(report, at=now, by=by)
    return report


@transaction.atomic
def report_dismiss(*, report: DeviationReport, by: User, reason: str) -> DeviationReport:
    """Dismiss a draft with a reason. It stays, dismissed, so the sweep never makes it again."""
    report = _lock(report)
    _require(report, by=by, action=selectors.DISMISS)
    reason = _check_text(reason, _("Ange varför utkastet avfärdas."))
    now = timezone.now()
    report.closed_at = now
    _move(report, Status.DISMISSED, by=by, at=now, kind=Kind.STATUS, text=reason)
    return report


def _breach_draft_sql(*, now: dt.datetime, breached_at: dt.datetime | None) -> tuple[str, list]:
    """One INSERT … SELECT: a draft for every breached (or met-late) deadline on a SIP case or
    meeting whose agreement wants drafts and that has no report yet. The NOT EXISTS keeps the
    statement cheap; the unique constraint with ON CONFLICT keeps it right when two run at once.

    With `breached_at` only the deadlines breached at that moment are candidates: one sweep's
    breaches, found in the entries of `deadline_unit_breached_idx` (breached_at is in every one)
    without reading the rows of the deadlines breached before. PostgreSQL before 18 cannot seek
    on an index's second column, so it reads all the entries: 17 ms over 40,000 past breaches at
    national scale, growing with them.
    """
    qn = connection.ops.quote_name
    report = qn(DeviationReport._meta.db_table)
    case_type = ContentType.objects.get_for_model(Case).pk
    meeting_type = ContentType.objects.get_for_model(Meeting).pk
    breached, breached_params = (
        ("d.breached_at IS NOT NULL", [])
        if breached_at is None
        else ("d.breached_at = %s", [connection.ops.adapt_datetimefield_value(breached_at)])
    )
    return (
        f"INSERT INTO {report} (agreement_id, reporting_unit_id, reported_by_id, category, "  # noqa: S608 - names only
        "case_id, meeting_id, deadline_id, invitation_id, occurred_at, description, status, "
        "level_id, created_at, registered_at, closed_at) "
        "SELECT c.agreement_id, c.convening_unit_id, NULL, %s, c.id, m.id, d.id, NULL, "
        "d.due_at, '', %s, NULL, %s, NULL, NULL "
        f"FROM {qn(Deadline._meta.db_table)} d "
        f"LEFT JOIN {qn(Meeting._meta.db_table)} m "
        "ON d.content_type_id = %s AND m.id = d.object_id "
        f"JOIN {qn(Case._meta.db_table)} c "
        "ON c.id = CASE WHEN d.content_type_id = %s THEN d.object_id ELSE m.case_id END "
        f"JOIN {qn(Agreement._meta.db_table)} a ON a.id = c.agreement_id "
        f"WHERE {breached} AND d.status IN (%s, %s) "
        "AND d.content_type_id IN (%s, %s) AND a.create_deviation_drafts = %s "
        f"AND NOT EXISTS (SELECT 1 FROM {report} r WHERE r.deadline_id = d.id) "
        "ON CONFLICT DO NOTHING",
        [
            DeviationReport.Category.MISSED_DEADLINE,
            Status.DRAFT,
            connection.ops.adapt_datetimefield_value(now),
            meeting_type,
            case_type,
            *breached_params,
            Deadline.Status.BREACHED,
            Deadline.Status.MET,
            case_type,
            meeting_type,
            True,
        ],
    )


def _draft_follow_ups(*, now: dt.datetime) -> list[tuple[str, list]]:
    """What each new draft gets besides its row, as INSERT … SELECTs over the relation `drafted`
    (the new reports): its concerned unit (the deadline's responsible unit, else the convening
    unit), its history row and a "created" entry by the system."""
    qn = connection.ops.quote_name
    concerned = DeviationReport.concerned_units.through
    columns = ", ".join(qn(f.column) for f in DeviationReport._meta.concrete_fields)
    db_now = connection.ops.adapt_datetimefield_value(now)
    text = _("Utkast skapat automatiskt: fristen överskreds.")
    return [
        (
            f"INSERT INTO {qn(concerned._meta.db_table)} (deviationreport_id, unit_id) "  # noqa: S608 - names only
            "SELECT r.id, COALESCE(d.responsible_unit_id, c.convening_unit_id) FROM drafted r "
            f"JOIN {qn(Deadline._meta.db_table)} d ON d.id = r.deadline_id "
            f"JOIN {qn(Case._meta.db_table)} c ON c.id = r.case_id",
            [],
        ),
        (
            f"INSERT INTO {qn(DeviationReport.history.model._meta.db_table)} ({columns}, "  # noqa: S608 - names only
            "history_date, history_change_reason, history_type, history_user_id) "
            f"SELECT {columns}, %s, %s, '+', NULL FROM drafted",
            [db_now, text],
        ),
        (
            f"INSERT INTO {qn(DeviationEntry._meta.db_table)} (report_id, kind, from_status, "  # noqa: S608 - names only
            "to_status, level_id, text, measures, by_id, at) "
            "SELECT id, %s, '', %s, NULL, %s, '', NULL, %s FROM drafted",
            [Kind.CREATED, Status.DRAFT, text, db_now],
        ),
    ]


@transaction.atomic
def deviation_drafts_from_breaches(
    *, now: dt.datetime | None = None, breached_at: dt.datetime | None = None
) -> list[int]:
    """Create the missing drafts for breached deadlines; returns the new reports' ids.

    Set-based and idempotent: a second run, or two at once, creates nothing more. `breached_at`
    limits the run to the deadlines breached at that moment (what one sweep breached); without
    it every breached deadline is a candidate (the periodic safety net).

    1. Insert the drafts (see _breach_draft_sql); only the rows this call inserted count.
    2. Give each its concerned unit, history row and "created" entry (see _draft_follow_ups).

    On PostgreSQL both are one statement: the INSERT's RETURNING is the relation `drafted` the
    other INSERTs read, so no id list travels back and forth. SQLite (`make run`) allows no writes
    inside WITH: there the new ids come back and each follow-up reads the drafts by id.
    """
    now = now or timezone.now()
    sql, params = _breach_draft_sql(now=now, breached_at=breached_at)
    follow_ups = _draft_follow_ups(now=now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            parts = [("drafted", f"{sql} RETURNING *", params)] + [
                (f"follow_up_{n}", *follow_up) for n, follow_up in enumerate(follow_ups)
            ]
            cursor.execute(
                "WITH "  # noqa: S608 - our own fragments; values are params
                + ", ".join(f"{name} AS ({part_sql})" for name, part_sql, _params in parts)
                + " SELECT id FROM drafted",
                [param for _name, _sql, part_params in parts for param in part_params],
            )
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(f"{sql} RETURNING id", params)
        ids = sorted(row[0] for row in cursor.fetchall())
        if ids:
            report = connection.ops.quote_name(DeviationReport._meta.db_table)
            drafted = (
                f"WITH drafted AS (SELECT * FROM {report} "  # noqa: S608 - names only
                "WHERE id IN (SELECT value FROM json_each(%s))) "
            )
            for follow_up_sql, follow_up_params in follow_ups:
                cursor.execute(drafted + follow_up_sql, [json.dumps(ids), *follow_up_params])
    return ids


def deviation_drafts_for_absences(*, meeting: Meeting, by: User) -> list[DeviationReport]:
    """Drafts for directory units absent from a held meeting without notice (the invitation was
    not declined and no excuse was recorded). Called by meeting_record_held, inside its
    transaction; external organisations are not parties to the agreement and get none."""
    case = meeting.case
    if not case.agreement.create_deviation_drafts:
        return []
    absent = [
        invitation
        for invitation in meeting.invitations.select_related("participant__unit")
        if invitation.attended is False
        and not invitation.excused
        and invitation.response != Invitation.Response.DECLINED
        and invitation.participant.unit_id
    ]
    reported = set(
        DeviationReport.objects.filter(invitation__in=absent).values_list(
            "invitation_id", flat=True
        )
    )
    now = timezone.now()
    drafts = []
    for invitation in absent:
        if invitation.pk in reported:
            continue
        report = DeviationReport(
            agreement=case.agreement,
            reporting_unit=case.convening_unit,
            category=DeviationReport.Category.NON_ATTENDANCE,
            case=case,
            meeting=meeting,
            invitation=invitation,
            occurred_at=meeting.starts_at,
            status=Status.DRAFT,
            created_at=now,
        )
        _save(report, by)
        report.concerned_units.set([invitation.participant.unit])
        _entry(
            report,
            kind=Kind.CREATED,
            to_status=Status.DRAFT,
            by=by,
            at=now,
            text=_("Utkast skapat när mötet registrerades: frånvaro utan anmält förhinder."),
        )
        drafts.append(report)
    return drafts


# --- the workflow ----------------------------------------------------------------------------


def _step(
    report: DeviationReport, *, by: User, action: str, to: str, text: str = ""
) -> DeviationReport:
    report = _lock(report)
    _require(report, by=by, action=action)
    _move(report, to, by=by, at=timezone.now(), kind=Kind.STATUS, text=(text or "").strip())
    return report


@transaction.atomic
def report_receive(*, report: DeviationReport, by: User, text: str = "") -> DeviationReport:
    """The handler at the current level acknowledges the report (mottagen)."""
    return _step(report, by=by, action=selectors.RECEIVE, to=Status.RECEIVED, text=text)


@transaction.atomic
def report_investigate(*, report: DeviationReport, by: User, text: str = "") -> DeviationReport:
    return _step(report, by=by, action=selectors.INVESTIGATE, to=Status.INVESTIGATING, text=text)


@transaction.atomic
def report_answer(
    *, report: DeviationReport, by: User, answer: str, measures: str
) -> DeviationReport:
    """The handler answers with what happened and the measures taken; the reply clock is met."""
    report = _lock(report)
    _require(report, by=by, action=selectors.ANSWER)
    answer = _check_text(answer, _("Skriv svaret."))
    measures = _check_text(measures, _("Ange vilka åtgärder som vidtas."))
    now = timezone.now()
    _move(report, Status.ANSWERED, by=by, at=now, kind=Kind.ANSWER, text=answer, measures=measures)
    clock = _reply_clock(report)
    if clock:
        deadline_meet(deadline=clock, met_at=now, by=by)
    return report


@transaction.atomic
def report_escalate(*, report: DeviationReport, by: User, reason: str) -> DeviationReport:
    """Lift the report to the next step of its agreement's own ladder.

    1. Refused at the top of the ladder and where the agreement has none.
    2. The current level's reply clock, if still running, is cancelled; the new level's opens.
    """
    report = _lock(report)
    _require(report, by=by, action=selectors.ESCALATE)
    reason = _check_text(reason, _("Ange varför rapporten lyfts."))
    level = selectors.next_level(selectors.report_ladder(report=report), report.level)
    now = timezone.now()
    clock = _reply_clock(report)
    if clock:
        deadline_cancel(
            deadline=clock, reason=_("Lyft till %(level)s.") % {"level": level.name}, by=by
        )
    report.level = level
    _move(report, Status.ESCALATED, by=by, at=now, kind=Kind.ESCALATION, text=reason)
    _arrive(report, at=now, by=by)
    return report


@transaction.atomic
def report_close(*, report: DeviationReport, by: User, text: str = "") -> DeviationReport:
    """Close an answered report. From here on nothing about it can change."""
    report = _lock(report)
    _require(report, by=by, action=selectors.CLOSE)
    now = timezone.now()
    clock = _reply_clock(report)
    if clock:
        deadline_cancel(deadline=clock, reason=_("Avvikelsen är avslutad."), by=by)
    _move(report, Status.CLOSED, by=by, at=now, kind=Kind.STATUS, text=(text or "").strip())
    return report


@transaction.atomic
def report_comment(*, report: DeviationReport, by: User, text: str) -> DeviationEntry:
    report = _lock(report)
    _require(report, by=by, action=selectors.COMMENT)
    text = _check_text(text, _("Skriv en kommentar."))
    return _entry(report, kind=Kind.COMMENT, by=by, at=timezone.now(), text=text)

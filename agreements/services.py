"""Writes to agreements: new versions and the parties that signed them."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from actors.models import Huvudman, User
from agreements.models import Agreement, ClosedDay, DeadlineRule, EscalationLevel
from config.exceptions import ApplicationError

PARTY_KINDS = (Huvudman.Kind.REGION, Huvudman.Kind.KOMMUN)


@transaction.atomic
def agreement_attach_county_parties(*, agreement: Agreement, by: User | None = None) -> int:
    """Attach every region and kommun of the agreement's county as a party; return how many.

    Idempotent: parties already attached stay, so the demo-data command can run it again. `by`
    is taken for the same call shape as every other service; party links have no history rows
    (Agreement's history does not track many-to-many fields).
    """
    huvudman_ids = set(
        Huvudman.objects.filter(county=agreement.county, kind__in=PARTY_KINDS).values_list(
            "id", flat=True
        )
    )
    existing = set(agreement.parties.values_list("id", flat=True))
    agreement.parties.add(*(huvudman_ids - existing))
    return len(huvudman_ids - existing)


@transaction.atomic
def agreement_new_version(
    *, agreement: Agreement, valid_from: dt.date, by: User | None
) -> Agreement:
    """Create the next version of an agreement, in force from `valid_from`.

    1. Lock every version of the code, so two admins cannot both create version N+1.
    2. Refuse unless `agreement` is the newest version and `valid_from` is after its start.
    3. Close the old version the day before (unless it already ends earlier).
    4. Copy the agreement, its parties, rules, ladder and closed days to version N+1.

    The old version's rules and ladder are left exactly as they were: cases opened under it keep
    pointing at them.
    """
    versions = list(
        Agreement.objects.select_for_update().filter(code=agreement.code).order_by("-version")
    )
    newest = versions[0]
    if newest.pk != agreement.pk:
        raise ApplicationError(
            _("Det finns redan en nyare version (v%(version)s) av överenskommelsen.")
            % {"version": newest.version}
        )
    old = newest
    if valid_from <= old.valid_from:
        raise ApplicationError(
            _("Den nya versionen måste börja gälla efter %(date)s, då den nuvarande började gälla.")
            % {"date": old.valid_from.isoformat()}
        )

    day_before = valid_from - dt.timedelta(days=1)
    if old.valid_to is None or old.valid_to > day_before:
        old.valid_to = day_before
        old._history_user = by
        old.save(update_fields=["valid_to"])

    new = Agreement(
        code=old.code,
        version=old.version + 1,
        name=old.name,
        county=old.county,
        target_group=old.target_group,
        valid_from=valid_from,
        valid_to=None,
        source_document=old.source_document,
        source_title=old.source_title,
        create_deviation_drafts=old.create_deviation_drafts,
        fallback_cost_rule=old.fallback_cost_rule,
        fallback_cost_payer=old.fallback_cost_payer,
    )
    new._history_user = by
    try:
        with transaction.atomic():
            new.save()
    except IntegrityError as exc:
        raise ApplicationError(
            _("Versionen kunde inte skapas eftersom den redan finns. Ladda om sidan.")
        ) from exc
    new.parties.set(old.parties.all())

    # Row by row rather than bulk_create, so each copy gets a history row carrying the user.
    for rule in DeadlineRule.objects.filter(agreement=old).order_by("pk"):
        copy = DeadlineRule(
            agreement=new,
            kind=rule.kind,
            start_event=rule.start_event,
            amount=rule.amount,
            time_unit=rule.time_unit,
            responsible=rule.responsible,
            reminder_offsets=list(rule.reminder_offsets),
            escalate_after=rule.escalate_after,
            source_section=rule.source_section,
            source_quote=rule.source_quote,
            is_active=rule.is_active,
        )
        copy._history_user = by
        copy.save()
    for level in EscalationLevel.objects.filter(agreement=old).order_by("order"):
        copy = EscalationLevel(
            agreement=new,
            order=level.order,
            name=level.name,
            kind=level.kind,
            steering_group_kind=level.steering_group_kind,
            reply_working_days=level.reply_working_days,
            source_section=level.source_section,
            source_quote=level.source_quote,
        )
        copy._history_user = by
        copy.save()
    for closed in ClosedDay.objects.filter(agreement=old).order_by("date"):
        copy = ClosedDay(agreement=new, date=closed.date, reason=closed.reason)
        copy._history_user = by
        copy.save()
    return new

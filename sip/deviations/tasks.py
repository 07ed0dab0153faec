import datetime as dt

from celery import shared_task

from sip.deviations.services import deviation_drafts_from_breaches


@shared_task
def create_deviation_drafts(breached_at: str | None = None) -> int:
    """Drafts for breached deadlines that have none; returns how many it made. Idempotent.

    Queued by the deadline sweep with the moment it breached at (ISO 8601): only that sweep's
    breaches are looked at. Run without it by beat every 5 minutes ("Avvikelseutkast"), as the
    safety net over every breach, for drafts a lost message never made.
    """
    moment = dt.datetime.fromisoformat(breached_at) if breached_at else None
    return len(deviation_drafts_from_breaches(breached_at=moment))

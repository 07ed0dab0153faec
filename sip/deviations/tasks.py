from celery import shared_task

from sip.deviations.services import deviation_drafts_from_breaches


@shared_task
def create_deviation_drafts() -> int:
    """Periodic safety net (beat task "Avvikelseutkast"): the sweep's signal normally creates the
    drafts at once; this catches any the signal missed. Idempotent."""
    return len(deviation_drafts_from_breaches())

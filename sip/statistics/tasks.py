from celery import shared_task

from sip.statistics.services import statistics_reports_compute_ahead


@shared_task
def compute_statistics_reports() -> int:
    """Periodic entry point (beat task "Statistik i förväg"): the service is idempotent."""
    return statistics_reports_compute_ahead()

from celery import shared_task

from deadlines.services import deadline_sweep


@shared_task
def sweep_deadlines() -> dict[str, int]:
    """Periodic entry point (beat task "Fristsvep"); the sweep itself is idempotent."""
    result = deadline_sweep()
    return {
        "breached": len(result.breached_ids),
        "reminded": len(result.reminded_ids),
        "escalated": len(result.escalated_ids),
    }

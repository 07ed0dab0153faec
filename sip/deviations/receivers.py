"""Reactions to lower apps' signals. Thin: each hands one idempotent service to a worker."""

from django.db import transaction

from sip.deviations import tasks


def drafts_after_sweep(sender, *, result, now, **kwargs) -> None:
    """Queue the drafts for what the sweep breached; the sweep does not wait for them.

    Only a sweep that breached something can have made new candidates, and they are exactly
    the deadlines breached at the sweep's moment. Queued once the caller's transaction commits,
    so the worker sees the breaches; robust, because by then the sweep is done and a broker
    failure must not fail it. The beat task "Avvikelseutkast" makes any draft a lost message
    missed.
    """
    if result.breached_ids:
        transaction.on_commit(
            lambda: tasks.create_deviation_drafts.delay(breached_at=now.isoformat()),
            robust=True,
        )

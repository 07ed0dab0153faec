"""Reactions to lower apps' signals. Thin: each calls one idempotent service."""

from sip.deviations.services import deviation_drafts_from_breaches


def drafts_after_sweep(sender, *, result, now, **kwargs) -> None:
    # Only a sweep that breached something can have made new candidates.
    if result.breached_ids:
        deviation_drafts_from_breaches(now=now)

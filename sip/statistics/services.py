"""Follow-up statistics: computing reports ahead into the cache (the only thing it writes)."""

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone, translation

from sip.statistics.selectors import (
    Period,
    ReportQuery,
    Split,
    default_dimension,
    report_published,
    statistics_scopes_to_compute_ahead,
)

logger = logging.getLogger(__name__)
# How much longer than STATISTICS_CACHE_SECONDS a report computed ahead is kept: the next hourly
# run replaces it, and a run reaches a scope some minutes after it starts, so without the margin
# a report would expire before its successor is written and a visitor would compute it cold.
KEEP_MARGIN_SECONDS = 30 * 60


def statistics_reports_compute_ahead(*, today: dt.date | None = None) -> int:
    """Compute into the cache the reports asked for most, so that a first visit is served at once.

    1. The scopes: the country, and the STATISTICS_PRECOMPUTE_SCOPES steering groups and
       managers' unit sets whose members or managers signed in last
       (statistics_scopes_to_compute_ahead).
    2. For each, the report a first visit shows (the scope's default rows, split by gender) for
       the current and the previous calendar year, in every language of the site (the key holds
       the language: a browser asking for English gets the English report), computed anew and
       kept STATISTICS_CACHE_SECONDS + KEEP_MARGIN_SECONDS.

    A report that fails is logged and skipped, so one scope cannot starve the rest. Idempotent:
    running it twice, or twice at once, overwrites the same keys with the same figures. Returns
    the number of reports computed.
    """
    today = today or timezone.localdate()
    periods = [
        Period(dt.date(year, 1, 1), dt.date(year, 12, 31)) for year in (today.year, today.year - 1)
    ]
    keep = settings.STATISTICS_CACHE_SECONDS + KEEP_MARGIN_SECONDS
    computed = failed = 0
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            # Read in the language: a scope's label is part of its cache key.
            limit = settings.STATISTICS_PRECOMPUTE_SCOPES
            for scope in statistics_scopes_to_compute_ahead(limit=limit):
                for period in periods:
                    query = ReportQuery(
                        scope=scope,
                        period=period,
                        dimension=default_dimension(scope),
                        split=Split.GENDER,
                    )
                    try:
                        report_published(query=query, fresh=True, keep_seconds=keep)
                    except Exception:
                        failed += 1
                        logger.exception(
                            "statistics computed ahead: the report for %s, %s failed",
                            scope.key,
                            period.first.year,
                        )
                    else:
                        computed += 1
    if failed:
        total = failed + computed
        logger.error("statistics computed ahead: %s of %s reports failed", failed, total)
    return computed

"""Follow-up statistics: computing reports ahead into the cache (the only thing it writes)."""

import datetime as dt

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


def statistics_reports_compute_ahead(*, today: dt.date | None = None) -> int:
    """Compute into the cache the reports asked for most, so that a first visit is served at once.

    1. The scopes: the country, and the STATISTICS_PRECOMPUTE_SCOPES steering groups and
       managers' unit sets whose members or managers signed in last
       (statistics_scopes_to_compute_ahead).
    2. For each, the report a first visit shows (the scope's default rows, split by gender) for
       the current and the previous calendar year, computed anew and cached for
       STATISTICS_CACHE_SECONDS, in the site's language.

    Idempotent: running it twice, or twice at once, overwrites the same keys with the same
    figures. Returns the number of reports computed.
    """
    today = today or timezone.localdate()
    periods = [
        Period(dt.date(year, 1, 1), dt.date(year, 12, 31)) for year in (today.year, today.year - 1)
    ]
    computed = 0
    with translation.override(settings.LANGUAGE_CODE):
        scopes = statistics_scopes_to_compute_ahead(limit=settings.STATISTICS_PRECOMPUTE_SCOPES)
        for scope in scopes:
            for period in periods:
                query = ReportQuery(
                    scope=scope,
                    period=period,
                    dimension=default_dimension(scope),
                    split=Split.GENDER,
                )
                report_published(query=query, fresh=True)
                computed += 1
    return computed

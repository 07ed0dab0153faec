"""My meetings by week and by month, and the calendar subscription (.ics feed) with its page."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.exceptions import ApplicationError
from sip.agenda import services
from sip.agenda.grid import (
    iso_week,
    local_range,
    month_grid,
    parse_iso_week,
    parse_month,
    week_grid,
)
from sip.agenda.selectors import (
    calendar_feed_get,
    calendar_feed_owner,
    meeting_list_for_user,
    mine_entries,
)
from sip.ics import meetings_feed_ics

# What the feed covers: recent history for context, and the year ahead.
FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 365
NEW_TOKEN_SESSION_KEY = "sip_calendar_new_token"  # noqa: S105 - a session key, not a secret


@login_required
def calendar_week(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    monday = parse_iso_week(request.GET.get("vecka", ""), default=today)
    start, end = local_range(monday, monday + dt.timedelta(days=6))
    meetings = meeting_list_for_user(user=request.user, starts_from=start, starts_before=end)
    return render(
        request,
        "sip/agenda/week.html",
        {
            "days": week_grid(monday=monday, entries=mine_entries(meetings), today=today),
            "week": iso_week(monday),
            "week_number": monday.isocalendar()[1],
            "previous": iso_week(monday - dt.timedelta(days=7)),
            "next": iso_week(monday + dt.timedelta(days=7)),
            "this_week": iso_week(today),
        },
    )


@login_required
def calendar_month(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    first = parse_month(request.GET.get("manad", ""), default=today)
    weeks = month_grid(first=first, entries=(), today=today)
    start, end = local_range(weeks[0][0].date, weeks[-1][-1].date)
    meetings = meeting_list_for_user(user=request.user, starts_from=start, starts_before=end)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=31)).replace(day=1)
    return render(
        request,
        "sip/agenda/month.html",
        {
            "weeks": month_grid(first=first, entries=mine_entries(meetings), today=today),
            "first": first,
            "previous": f"{previous:%Y-%m}",
            "next": f"{following:%Y-%m}",
            "this_month": f"{today:%Y-%m}",
        },
    )


@login_required
@never_cache
def calendar_subscription(request: HttpRequest) -> HttpResponse:
    """Show, make anew or revoke the subscription link. A new link is shown once only."""
    if request.method == "POST":
        try:
            if "aterkalla" in request.POST:
                services.calendar_feed_revoke(user=request.user)
                messages.success(request, _("Prenumerationslänken är återkallad."))
            else:
                token = services.calendar_feed_rotate(user=request.user)
                request.session[NEW_TOKEN_SESSION_KEY] = token
                messages.success(
                    request,
                    _("En ny prenumerationslänk är skapad. En tidigare länk fungerar inte längre."),
                )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("sip:calendar_subscription")
    token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    feed_url = (
        request.build_absolute_uri(reverse("sip:calendar_feed", args=[token])) if token else ""
    )
    response = render(
        request,
        "sip/agenda/subscription.html",
        {"feed": calendar_feed_get(user=request.user), "feed_url": feed_url},
    )
    # The link is a secret: it must not leak to another site through the Referer header.
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The .ics feed a calendar client polls. The token in the URL is the only credential, so it
    works without a session; an unknown or revoked token gets the same 404 as a wrong address."""
    user = calendar_feed_owner(token=token)
    if user is None:
        raise Http404
    now = timezone.now()
    meetings = meeting_list_for_user(
        user=user,
        starts_from=now - dt.timedelta(days=FEED_PAST_DAYS),
        starts_before=now + dt.timedelta(days=FEED_FUTURE_DAYS),
    )
    response = HttpResponse(
        meetings_feed_ics(meetings=meetings, name=_("Samordna – mina SIP-möten")),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response

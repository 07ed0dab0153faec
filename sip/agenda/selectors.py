"""Reads for the calendars: my meetings, other units' booked SIP meetings, and the feed's owner."""

import datetime as dt
from collections.abc import Collection

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from actors.models import Membership, User
from sip.agenda.grid import Entry
from sip.agenda.models import CalendarFeed, token_hash
from sip.ics import meeting_summary
from sip.models import Meeting, Participant
from sip.selectors import case_list_for_user


def meeting_list_for_user(
    *, user: User, starts_from: dt.datetime, starts_before: dt.datetime
) -> QuerySet[Meeting]:
    """Meetings not cancelled in cases the user may see, where the user is the handläggare or
    one of the user's units takes part. One query, whatever the number of meetings."""
    my_units = Membership.objects.filter(user=user, is_active=True, unit__is_active=True).values(
        "unit_id"
    )
    return (
        Meeting.objects.filter(
            case__in=case_list_for_user(user=user).values("pk"),
            starts_at__gte=starts_from,
            starts_at__lt=starts_before,
        )
        .exclude(status=Meeting.Status.CANCELLED)
        .filter(
            Q(case__coordinator=user)
            | Exists(Participant.objects.filter(case=OuterRef("case"), unit__in=my_units))
        )
        .select_related("case")
        .order_by("starts_at", "pk")
    )


def meeting_list_busy_for_units(
    *,
    unit_ids: Collection[int],
    starts_from: dt.datetime,
    starts_before: dt.datetime,
    exclude: Collection[int] = (),
) -> QuerySet[Meeting]:
    """Planned meetings of any case that one of the units convenes or takes part in.

    Across every case, not only those the user may see: the page shows them as anonymous busy
    slots (time and unit only), which is what a clash check needs and nothing more.
    `busy_participants` holds the participations of those units (two queries in all).
    """
    return (
        Meeting.objects.filter(
            Q(case__convening_unit__in=unit_ids) | Q(case__participants__unit__in=unit_ids),
            status=Meeting.Status.PLANNED,
            starts_at__gte=starts_from,
            starts_at__lt=starts_before,
        )
        .exclude(pk__in=exclude)
        .distinct()
        .select_related("case__convening_unit")
        .prefetch_related(
            Prefetch(
                "case__participants",
                queryset=Participant.objects.filter(unit__in=unit_ids).select_related("unit"),
                to_attr="busy_participants",
            )
        )
        .order_by("starts_at", "pk")
    )


def mine_entries(meetings: QuerySet[Meeting]) -> list[Entry]:
    return [
        Entry(
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            label=meeting_summary(meeting),
            kind="mine",
            url=reverse("sip:case_detail", args=[meeting.case_id]),
            detail=meeting.place or (_("Video") if meeting.video_link else ""),
        )
        for meeting in meetings
    ]


def busy_entries(meetings: QuerySet[Meeting], *, unit_ids: Collection[int]) -> list[Entry]:
    entries = []
    for meeting in meetings:
        names = {participant.unit.name for participant in meeting.case.busy_participants}
        if meeting.case.convening_unit_id in unit_ids:
            names.add(meeting.case.convening_unit.name)
        entries.append(
            Entry(
                starts_at=meeting.starts_at,
                ends_at=meeting.ends_at,
                label=_("Upptaget: %(units)s") % {"units": ", ".join(sorted(names))},
                kind="busy",
            )
        )
    return entries


def calendar_feed_owner(*, token: str) -> User | None:
    """The active user a subscription token belongs to, in one query; None for any other token."""
    feed = (
        CalendarFeed.objects.filter(token_hash=token_hash(token), user__is_active=True)
        .select_related("user")
        .first()
    )
    return feed.user if feed else None


def calendar_feed_get(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()

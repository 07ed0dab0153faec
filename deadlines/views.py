from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deadlines.selectors import notification_list_for_user, notification_unread_count
from deadlines.services import notification_mark_all_read, notification_mark_read

PAGE_SIZE = 50


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notification_list_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("sida")
    )
    return render(
        request,
        "deadlines/notifications.html",
        {"page": page, "unread": notification_unread_count(user=request.user)},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    # Filtering by owner first turns someone else's notification into a plain 404.
    notification = get_object_or_404(notification_list_for_user(user=request.user), pk=pk)
    notification_mark_read(notification=notification, user=request.user)
    if request.headers.get("HX-Request"):
        return render(request, "deadlines/_notification.html", {"notification": notification})
    return redirect("deadlines:notifications")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notiser markerades som lästa.") % {"count": count})
    return redirect("deadlines:notifications")

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from deadlines.models import Deadline, Notification


@admin.register(Deadline)
class DeadlineAdmin(SimpleHistoryAdmin):
    list_display = (
        "kind",
        "status",
        "content_type",
        "object_id",
        "due_at",
        "responsible_unit",
        "responsible_user",
        "escalation_level",
    )
    list_filter = ("status", "kind", "escalation_level")
    search_fields = ("object_id", "responsible_unit__name", "responsible_user__username", "reason")
    list_select_related = ("content_type", "responsible_unit", "responsible_user")
    raw_id_fields = ("rule", "responsible_unit", "responsible_user")
    date_hierarchy = "due_at"
    readonly_fields = ("created_at", "breached_at", "reminders_sent")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "text", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "text")
    list_select_related = ("user",)
    raw_id_fields = ("user", "deadline")

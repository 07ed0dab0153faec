"""Admin for SIP: only the access log, read-only.

Case content (persons, cases, consents, meetings, plans, and the placements and deviation reports
about them) is deliberately not in the admin: admins manage the directory and the agreements, and
read a case only as a member of a unit that has it, through the pages that apply the access rules,
mask protected persons and log every read (docs/access-control.md).
"""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sip.access.models import AccessLogEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Entries are never added, changed or deleted here. Persons and cases are shown by id, so
    browsing the log reveals no names."""

    list_display = ["at", "user", "unit", "action", "case_id", "individual_id", "protected"]
    list_filter = ["action", "protected"]
    list_select_related = ["user", "unit"]
    date_hierarchy = "at"
    search_fields = ["user__username"]
    fields = [
        "at",
        "user",
        "unit",
        "action",
        "case_id",
        "individual_id",
        "protected",
        "ip_address",
        "path",
        "reason",
    ]
    readonly_fields = fields

    @admin.display(description=_("ärende (id)"))
    def case_id(self, entry: AccessLogEntry) -> int | None:
        return entry.case_id

    @admin.display(description=_("person (id)"))
    def individual_id(self, entry: AccessLogEntry) -> int:
        return entry.individual_id

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

"""Read-only admin: reports change only through their workflow, and the record is never edited."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from sip.deviations.models import DeviationEntry, DeviationReport


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DeviationEntryInline(ReadOnlyMixin, admin.TabularInline):
    model = DeviationEntry
    extra = 0
    fields = ["at", "kind", "from_status", "to_status", "level", "text", "measures", "by"]
    readonly_fields = fields


@admin.register(DeviationReport)
class DeviationReportAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "category", "status", "agreement", "reporting_unit", "created_at"]
    list_filter = ["status", "category", "agreement"]
    inlines = [DeviationEntryInline]


@admin.register(DeviationEntry)
class DeviationEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "report", "kind", "by", "at"]
    list_filter = ["kind"]

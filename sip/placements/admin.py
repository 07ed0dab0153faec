"""Admin for placements. Status, clocks and agreements change only through the services, so the
fields that carry history are read-only here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from sip.placements.models import CostShare, CostSplit, ExaminationRequest, Placement


class ExaminationRequestInline(admin.TabularInline):
    model = ExaminationRequest
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "unit", "requested_on", "status", "answered_on", "note"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Placement)
class PlacementAdmin(SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "individual",
        "placement_type",
        "legal_basis",
        "is_acute",
        "decided_on",
        "placing_municipality",
        "ended_on",
    ]
    list_filter = ["placement_type", "legal_basis", "is_acute", "protected_residence"]
    raw_id_fields = ["individual", "case", "responsible_unit", "coordinator"]
    filter_horizontal = ["authorised_users"]
    # Decision, acuteness and agreement started the clocks; changing them here would not move them.
    readonly_fields = [
        "agreement",
        "placing_municipality",
        "decided_on",
        "is_acute",
        "legal_basis",
        "joint_planning_invited_on",
        "ended_on",
        "end_reason",
    ]
    inlines = [ExaminationRequestInline]


class CostShareInline(admin.TabularInline):
    model = CostShare
    extra = 0
    can_delete = False
    readonly_fields = [
        "huvudman",
        "unit",
        "percent",
        "amount",
        "agreed_by",
        "agreed_at",
        "declined_by",
        "declined_at",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CostSplit)
class CostSplitAdmin(SimpleHistoryAdmin):
    list_display = ["description", "placement", "status", "proposed_at", "settled_at"]
    list_filter = ["status", "basis"]
    inlines = [CostShareInline]

    def has_change_permission(self, request, obj=None) -> bool:
        # Who agreed to what, and when, is the record: it changes only through the services.
        return False

    def has_add_permission(self, request) -> bool:
        return False
